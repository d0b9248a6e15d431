"""Settings: the single place a setting of the service is defined, and how it is built.

`settings.py` holds the model (`Settings`, `JwtIssuer`), `load.py` builds it from its layers and
refuses unsafe combinations, `hosts.py` reads what a bind host means. Precedence, lowest first,
all in `load_settings`:

    defaults  <  config file (YAML/JSON, ``--config``)  <  environment (``CDS_*``)  <  CLI flags

Unknown keys and wrong types stop start-up with a `ConfigError` that names the field and where
the value came from. The settings object is built once (CLI or `create_app`) and passed down.
"""

from cds.config.hosts import bind_address, is_loopback, is_loopback_bind, is_unspecified
from cds.config.load import MIN_HASH_KEY_CHARS, check_security, load_settings
from cds.config.settings import JwtIssuer, Settings, zone_of

__all__ = [
    "MIN_HASH_KEY_CHARS",
    "JwtIssuer",
    "Settings",
    "bind_address",
    "check_security",
    "is_loopback",
    "is_loopback_bind",
    "is_unspecified",
    "load_settings",
    "zone_of",
]
