"""What a bind host means: loopback or not, every address or not, in every spelling the
system's resolver (so uvicorn) reads."""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Final

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """True for a host name or address that only this machine can reach."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: What `inet_aton` reads as an IPv4 address besides the dotted quad: 1 to 4 parts, each
#: decimal, octal (``0``-led) or hexadecimal (``0x``), the last filling the remaining bytes.
_INET_ATON: Final = re.compile(
    r"(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}"
)


def bind_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a bind host means, as the system's resolver reads it; None for a name.

    Besides the usual spellings (``0.0.0.0``, ``::``, ``[::]``, ``0000::0``), `getaddrinfo`
    (so uvicorn) reads the `inet_aton` shortcuts: ``0``, ``0x0``, ``0.0`` and ``00`` are all
    0.0.0.0, every address; ``127.1`` is 127.0.0.1.
    """
    text = host.strip().removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not _INET_ATON.fullmatch(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def is_unspecified(host: str) -> bool:
    """True for a bind host meaning "every address": empty, ``0.0.0.0``, ``::``, ``[::]``,
    ``0000::0``, and the `inet_aton` forms ``0``, ``0x0``, ``0.0``, ... (`bind_address`)."""
    if not host.strip():
        return True
    address = bind_address(host)
    return address is not None and address.is_unspecified


def is_loopback_bind(host: str) -> bool:
    """True for a bind host that only this machine can reach: a loopback name, or an address
    (in any spelling `bind_address` reads) in 127/8 or ``::1``."""
    if is_loopback(host):
        return True
    address = bind_address(host)
    return address is not None and address.is_loopback
