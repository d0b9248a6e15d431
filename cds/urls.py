"""URLs in the one spelling allowlists are matched against, and the path-boundary prefix
test: below every layer, so the settings file and the service's outbound requests read
allowlists alike (RFC 3986 section 6.2.2)."""

from __future__ import annotations

import re
import urllib.parse
from typing import Final

__all__ = ["DEFAULT_PORTS", "UnsafeUrl", "normalise_url", "url_has_prefix"]

DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class UnsafeUrl(Exception):
    """A URL the service refuses to contact; the message names the host, never a path."""


def url_has_prefix(url: str, prefix: str) -> bool:
    """True if `url` lies under `prefix` on a path boundary.

    ``https://ehr.example.org`` covers ``https://ehr.example.org/jwks`` but not
    ``https://ehr.example.org.evil.com/``: a bare string prefix would.
    """
    if not url.startswith(prefix):
        return False
    if prefix.endswith("/"):
        return True
    rest = url[len(prefix) :]
    return rest == "" or rest[0] in "/?#"


#: Percent-encodings of characters that change how a path is split or decoded (`/`, `\\`,
#: `%`): a server may decode them once more, so a URL holding them is never normalised.
_AMBIGUOUS_ESCAPES: Final = re.compile(r"%(2f|5c|25)", re.IGNORECASE)
#: A path parameter (``;``), also encoded: some servers strip ``;...`` from each segment before
#: they resolve dot segments (``/keys/..;/private`` is ``/private`` to Tomcat), others do not.
_PATH_PARAMETER: Final = re.compile(r";|%3b", re.IGNORECASE)
_UNRESERVED_ESCAPE: Final = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def normalise_url(url: str) -> str:
    """`url` in the one spelling the allowlists are matched against (RFC 3986 section 6.2.2).

    Scheme and host lower case, the default port dropped, percent-encoded unreserved
    characters decoded (``%2e`` is a dot), ``.`` and ``..`` segments removed, an empty path
    made ``/``, the fragment dropped. So ``HTTPS://EHR.example.org:443/keys/%2e%2e/admin`` is
    ``https://ehr.example.org/admin``, outside a ``https://ehr.example.org/keys/`` prefix.
    UnsafeUrl for what cannot be normalised safely: not http(s), userinfo, no host, a
    backslash, an encoded ``/``, ``\\`` or ``%`` in the path, a path parameter (``;`` or
    ``%3b``: a server may strip it before resolving ``..``, which this function cannot know).
    """
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl(f"scheme {scheme!r} is not http or https")
    if "@" in parts.netloc:
        raise UnsafeUrl("a URL with userinfo (user@host) is refused")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UnsafeUrl("not a valid port") from None
    if not host:
        raise UnsafeUrl("no host")
    if "\\" in url or _AMBIGUOUS_ESCAPES.search(parts.path):
        raise UnsafeUrl("a backslash or an encoded slash ('/', '\\') or '%' in the path is refused")
    if _PATH_PARAMETER.search(parts.path):
        raise UnsafeUrl("a path parameter (';' or '%3b') in the path is refused")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _remove_dot_segments(_UNRESERVED_ESCAPE.sub(_decode_unreserved, parts.path)) or "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, parts.query, ""))


def _decode_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 on an absolute path: ``/a/./b/../c`` is ``/a/c``."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)
