"""The one HTTP client for every URL a tenant, an agent or a customer can influence.

Webhooks, the payment processor, OAuth token endpoints and rich-link previews
all go through ``client()``. Its transport resolves the host itself, refuses
every address that is not on the public internet (loopback, private, link-local,
CGNAT, IETF-reserved, multicast, unspecified, and IPv6 forms that embed such an
IPv4 address) and then connects to the very address it checked, so a DNS answer
that changes between check and connect (rebinding) cannot reach inside. Each
redirect hop opens its own connection and is checked the same way; TLS still
verifies the certificate against the host name.

``settings.ALLOWED_PRIVATE_NETWORKS`` (CIDRs) opens chosen private ranges: an
internal identity provider, or the local sandbox in development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import typing
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that ``is_global`` lets through on some Python versions, or that embed
# another address: refused whatever the standard library says about them.
_ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (RFC 6598)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",  # IPv4-compatible (deprecated, ::127.0.0.1)
        "64:ff9b::/96",  # NAT64: reaches any IPv4 address, private ones too
        "64:ff9b:1::/48",
        "2002::/16",  # 6to4 embeds an IPv4 address
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",
    )
)


class UnsafeAddress(ValueError):
    """The URL's host is, or resolves to, an address this server must not reach."""


def allowed_private_networks() -> tuple[
    ipaddress.IPv4Network | ipaddress.IPv6Network, ...
]:
    return _parse_networks(tuple(getattr(settings, "ALLOWED_PRIVATE_NETWORKS", ())))


@lru_cache(maxsize=8)
def _parse_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def address_allowed(address: IPAddress) -> bool:
    """True for public unicast addresses and for the operator's allowed networks."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(
        address.version == network.version and address in network
        for network in allowed_private_networks()
    ):
        return True
    if any(
        address.version == network.version and address in network
        for network in _ALWAYS_REFUSED
    ):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_allowed(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, all of them allowed, or UnsafeAddress."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}") from exc
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        if not address_allowed(ipaddress.ip_address(text)):
            # One bad answer spoils the lot: never leave the choice to luck.
            raise UnsafeAddress(f"{host} resolves to a non-public address")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return addresses


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to addresses ``resolve_allowed`` returned for the host."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in resolve_allowed(host, port):
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeAddress("unix sockets are never reached")


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx does not take a network backend; its pool does. A proxy from
        # the environment would connect on our behalf, so none is used.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=10,
            max_keepalive_connections=0,
            network_backend=_CheckedBackend(),
        )


def client(
    *,
    timeout: httpx.Timeout | float,
    headers: dict[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client that reaches only allowed addresses and follows no redirects
    (callers that want them use ``get_following``, which checks every hop)."""
    return httpx.Client(
        transport=_CheckedTransport(verify=verify),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )


class TooLarge(ValueError):
    """The answer went past its size or time cap."""


def read_capped(response: httpx.Response, *, limit: int, seconds: float) -> bytes:
    """The body of a streamed response, at most ``limit`` bytes and ``seconds`` long
    (timeouts bound each read; a server trickling bytes is bounded here)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"answer is larger than {limit} bytes")
    deadline = time.monotonic() + seconds
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"answer is larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise TooLarge(f"answer took longer than {seconds:g} s")
    return bytes(body)


def check_url(url: str) -> None:
    """Refuse, before saving, a URL this server would refuse to reach.

    A name that does not resolve yet passes (it is checked again on every
    connection); literal addresses and names resolving inside are refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress("must be an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeAddress("has an invalid port") from exc
    try:
        resolve_allowed(parts.hostname, port)
    except httpcore.ConnectError:
        return


def validate_public_url(value: str) -> None:
    """Django validator for forms and serializers: ``check_url`` as a ValidationError."""
    try:
        check_url(value)
    except UnsafeAddress as exc:
        raise ValidationError(
            gettext(
                "This address is not on the public internet; this server will not call it."
            ),
            code="unsafe_url",
        ) from exc
