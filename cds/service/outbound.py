"""Outbound requests: which URLs the service may contact, checked before and at connect time.

A hook call makes the service fetch from the request's `fhirServer`, and a JWT makes it read
the JWK Set at its `jku` header: both are chosen by the caller, so both are SSRF vectors.
Besides the allowlists (`fhir_server_allowlist`, an issuer's `jku_prefixes`), every such URL
must pass `Outbound.check_url` before anything is sent:

* the scheme is http or https, there is no userinfo (``http://a@b``), and the URL lies under
  an allowlisted prefix on the same scheme, host and port, both compared as the server will
  read them (`normalise_url`: ``/r4/../admin`` is ``/admin``, also when spelt ``%2e%2e``; a
  backslash or an encoded slash in the path is refused, and so is a ``;`` or ``%3b``: path
  parameters, which servers such as Tomcat strip before resolving ``..``, so that
  ``/r4/..;/admin`` passes a prefix check as a string and reaches ``/admin``);
* every address the host resolves to is public. Loopback is accepted only when the URL names
  a loopback host literally (``127.0.0.1``, ``[::1]``, ``localhost``), which the allowlist
  must then say explicitly; private and other non-global unicast (10/8, 172.16/12,
  192.168/16, 100.64/10, fc00::/7) only with `allow_private_fhir_servers`; link-local
  (169.254/16 with the cloud metadata service, fe80::/10), unspecified, multicast, reserved
  and 0/8 never. IPv4-mapped, NAT64 and 6to4 IPv6 addresses are judged by their IPv4 address.

A name may resolve to a public address for the check and to 127.0.0.1 a moment later (DNS
rebinding), so the service's own HTTP client (`guarded_client`) resolves each connection
itself, checks the addresses again and connects to the checked address. That client ignores
proxy variables (a proxy would resolve names itself) and never follows redirects.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import httpcore
import httpx

from cds.config import is_loopback
from cds.urls import DEFAULT_PORTS, UnsafeUrl, normalise_url, url_has_prefix

Resolve = Callable[[str, int], Awaitable[Sequence[str]]]
AddressKind = Literal["public", "loopback", "private", "forbidden"]

_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_THIS_NETWORK: Final = ipaddress.ip_network("0.0.0.0/8")


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the system resolver, off the event loop)."""
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host))]  # a literal: nothing to look up
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_kind(address: str) -> AddressKind:
    """Whether an IP address is public, loopback, private, or never to be contacted."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    if ip.is_loopback:
        return "loopback"
    if (
        ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
        or ip in _THIS_NETWORK
    ):
        return "forbidden"
    return "public" if ip.is_global else "private"


@dataclass(frozen=True)
class Outbound:
    """The address policy of outbound requests, with the resolver it uses (injectable)."""

    allow_private: bool = False
    resolve: Resolve = resolve_host
    resolve_timeout: float = 5.0

    def check_address(self, host: str, address: str) -> None:
        """UnsafeUrl unless `host` may be contacted at `address`."""
        try:
            kind = address_kind(address)
        except ValueError:
            raise UnsafeUrl(f"{host} resolves to something not an IP address") from None
        if kind == "public":
            return
        if kind == "loopback" and is_loopback(host):
            return
        if kind == "private" and self.allow_private:
            return
        raise UnsafeUrl(f"{host} resolves to a {kind} address")

    async def check_url(self, url: str, prefixes: Iterable[str]) -> None:
        """UnsafeUrl unless `url` is http(s), without userinfo, under one of `prefixes` (both
        normalised), and every address of its host may be contacted."""
        url = normalise_url(url)
        parsed = _parse(url)
        if parsed.scheme not in DEFAULT_PORTS:
            raise UnsafeUrl(f"scheme {parsed.scheme!r} is not http or https")
        if parsed.userinfo:
            raise UnsafeUrl("a URL with userinfo (user@host) is refused")
        if not parsed.host:
            raise UnsafeUrl("no host")
        if not any(_under(url, parsed, prefix) for prefix in prefixes):
            raise UnsafeUrl(f"{parsed.host} is not under an allowlisted prefix")
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        try:
            async with asyncio.timeout(self.resolve_timeout):
                addresses = await self.resolve(parsed.host, port)
        except (OSError, TimeoutError) as exc:
            raise UnsafeUrl(f"{parsed.host} does not resolve") from exc
        if not addresses:
            raise UnsafeUrl(f"{parsed.host} does not resolve")
        for address in addresses:
            self.check_address(parsed.host, address)


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)  # the parser that will send the request
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeUrl("not a valid URL") from exc


def _under(url: str, parsed: httpx.URL, prefix: str) -> bool:
    try:
        prefix = normalise_url(prefix)
        allowed = httpx.URL(prefix)
    except UnsafeUrl:
        return False
    if not url_has_prefix(url, prefix):
        return False
    return (allowed.scheme, allowed.host, allowed.port) == (
        parsed.scheme,
        parsed.host,
        parsed.port,
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves each connection itself, refuses disallowed addresses, connects to a checked
    one (TLS still verifies the original host name: httpcore passes it as SNI)."""

    def __init__(self, outbound: Outbound, inner: httpcore.AsyncNetworkBackend) -> None:
        self.outbound = outbound
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.outbound.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve") from exc
        try:
            for address in addresses:
                self.outbound.check_address(host, address)
        except UnsafeUrl as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from exc
        failure: Exception = httpcore.ConnectError(f"{host} does not resolve")
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(outbound: Outbound, max_connections: int = 100) -> httpx.AsyncClient:
    """The service's HTTP client: every connection goes through `GuardedBackend`, proxy
    variables are ignored and redirects are not followed."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=max_connections), trust_env=False
    )
    pool = transport._pool  # httpx offers no public way to set httpcore's network backend
    pool._network_backend = GuardedBackend(outbound, pool._network_backend)
    return httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False)
