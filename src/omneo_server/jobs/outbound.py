"""Outbound calls to URLs that tenants choose (webhooks and targets): where they may go, and the one
HTTP client that goes there.

A tenant writes the URL and the server makes the request, so an unguarded URL lets a tenant make the
server call its own network: the cloud metadata service (``169.254.169.254``), databases and admin
consoles on private addresses, loopback services. Two checks keep requests on the public internet:

* **when a URL is written** (:func:`check_url`): http or https only, no credentials in it, a host
  that is a valid name or IP literal (in any spelling the C library accepts: ``2130706433``,
  ``0x7f000001``, ``127.1``, ``[::ffff:127.0.0.1]``) whose address is allowed, no obviously internal
  name (``localhost``, ``*.internal``, single labels…) and, when it resolves within a second, no name
  that resolves to an address that is not allowed. A name that does not resolve is accepted: it is
  checked again when used.
* **when a request is made** (:func:`client`): the host is resolved once, every address is checked,
  and the connection is opened to a checked address, so a name that answers differently the next
  time (DNS rebinding) gains nothing. TLS still checks the certificate against the host name.

An address is allowed when it is a public unicast address (:func:`blocked` is false) or lies in a
network the operator allows with ``OMNEO_WEBHOOK_ALLOW_NETWORKS`` (comma-separated CIDRs).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from omneo_server.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Answers the addresses a host name has (tests swap it for a scripted one).
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]

#: How long a write may wait for a host name to resolve; past it the name is accepted (and checked
#: again at delivery), so a slow resolver cannot make an API request slow.
WRITE_RESOLVE_SECONDS = 1.0
#: Threads for those lookups: their own few, so lookups stuck on a slow resolver can neither pile up
#: nor starve the event loop's default executor (which the database drivers also use).
_write_lookups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="omneo-url-lookup")

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

# --- which addresses --------------------------------------------------------------------------------

#: Not caught by ``ipaddress``'s flags but no place for a webhook either.
_ALSO_BLOCKED: tuple[Network, ...] = (
    ipaddress.ip_network("192.88.99.0/24"),  # 6to4 relay anycast (deprecated)
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.ip_network("::/96"),  # IPv4-compatible IPv6 (deprecated), with :: and ::1
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def blocked(address: IPAddress) -> bool:
    """Whether ``address`` is anything but a public unicast address: loopback, private, link-local,
    shared (CGNAT), unspecified, multicast, broadcast, reserved, documentation or benchmarking, site-
    local; an IPv6 address that embeds an IPv4 one (mapped, NAT64, 6to4) is judged by that one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return blocked(embedded)
        if address.is_site_local:
            return True
    return (
        not address.is_global
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or any(address in network for network in _ALSO_BLOCKED)
    )


def parse_networks(text: str) -> tuple[Network, ...]:
    """``OMNEO_WEBHOOK_ALLOW_NETWORKS``: comma-separated CIDRs. A wrong one raises ``ValueError``
    naming it, so a mistyped setting stops the start rather than silently allowing nothing."""
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ValueError(
                f"OMNEO_WEBHOOK_ALLOW_NETWORKS: {item!r} is not a network in CIDR notation "
                f"(e.g. 127.0.0.0/8 or 10.1.0.0/16): {exc}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class Policy:
    """Where outbound calls may go: public addresses, plus the ``allowed`` networks."""

    allowed: tuple[Network, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # the same host as its IPv4 address: the same answer
        return any(address in network for network in self.allowed) or not blocked(address)


@functools.lru_cache(maxsize=8)
def _policy(allow_networks: str) -> Policy:
    return Policy(parse_networks(allow_networks))


def policy(settings: Settings) -> Policy:
    """The policy of ``settings`` (``webhook_allow_networks`` is parsed once per value)."""
    return _policy(settings.webhook_allow_networks)


# --- checking a URL when it is written -------------------------------------------------------------


class UrlRefused(ValueError):
    """A URL that may not be used for outbound calls; the message says why."""


NOT_A_URL = "The url is not a valid URL."
NOT_HTTP = "The url must be an http or https URL."
CREDENTIALS = "The url may not contain a user name or password."
BAD_HOST = "The url's host is not a valid host name or IP address."
ZONE = "The url may not name an IPv6 zone."
ADDRESS_NOT_ALLOWED = "The url points to an address that is not allowed (not a public internet address)."
INTERNAL_NAME = "The url's host is an internal name."
RESOLVES_NOT_ALLOWED = "The url's host resolves to an address that is not allowed (not a public internet address)."

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
#: Names that only mean something inside a network (``localhost``, mDNS, cloud-internal zones…).
_INTERNAL_ZONES = ("localhost", "internal", "local", "localdomain", "lan", "home.arpa")


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` is when it is an IP literal, in any spelling the C library accepts
    (``2130706433``, ``0x7f000001``, ``0x7f.1``, ``127.1``): the very spellings the connection would
    honour. Numeric parsing only: no lookup is made."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(infos[0][4][0]) if infos else None


def internal_name(host: str) -> bool:
    """A single-label name (resolved through search domains: inside) or one in an internal zone."""
    return "." not in host or any(host == zone or host.endswith(f".{zone}") for zone in _INTERNAL_ZONES)


@dataclass(frozen=True)
class Destination:
    """Where a URL leads, as far as can be told without a lookup."""

    #: Lower case, without a trailing dot.
    host: str
    #: When the host is an IP literal.
    address: IPAddress | None


def destination(url: str) -> Destination:
    """Parse ``url`` as the HTTP client will and refuse (:class:`UrlRefused`) what no setting allows:
    not http or https, credentials, a malformed host, an IPv6 zone id."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UrlRefused(NOT_A_URL) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UrlRefused(NOT_HTTP)
    try:
        authority = urlsplit(url).netloc
    except ValueError:
        raise UrlRefused(NOT_A_URL) from None
    if parsed.userinfo or "@" in authority:  # even an empty user name
        raise UrlRefused(CREDENTIALS)
    host = parsed.raw_host.decode("ascii").lower()  # international names as their xn-- form
    if ":" in host:  # IPv6 (httpx gives it without brackets)
        if "%" in host:
            raise UrlRefused(ZONE)
        try:
            return Destination(host, ipaddress.IPv6Address(host))
        except ValueError:
            raise UrlRefused(BAD_HOST) from None
    host = host.removesuffix(".")
    if not _HOST_NAME.match(host) or len(host) > 253:
        raise UrlRefused(BAD_HOST)
    return Destination(host, _literal(host))


def system_lookup(host: str) -> list[str]:
    """The addresses the system resolver gives ``host`` (blocking: run it in a thread)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


async def _lookup_for_write(host: str, seconds: float) -> list[IPAddress] | None:
    """The addresses ``host`` resolves to, or None when it does not resolve within ``seconds``."""
    lookup = asyncio.get_running_loop().run_in_executor(_write_lookups, system_lookup, host)
    try:
        return _addresses(await asyncio.wait_for(lookup, seconds))
    except (TimeoutError, OSError, UnicodeError, ValueError):
        return None


def _addresses(texts: Iterable[str]) -> list[IPAddress]:
    found: list[IPAddress] = []
    for text in texts:
        address = ipaddress.ip_address(text)
        if address not in found:
            found.append(address)
    return found


async def check_url(url: str, rules: Policy, *, resolve_within: float = WRITE_RESOLVE_SECONDS) -> None:
    """Refuse (:class:`UrlRefused`) a URL that leads, or plainly may lead, where ``rules`` do not
    allow. An internal-looking name passes only when it resolves, and only into allowed networks; any
    other name that resolves must resolve only to allowed addresses, and one that does not resolve
    (within ``resolve_within`` seconds) passes: the delivery checks it again."""
    where = destination(url)
    if where.address is not None:
        if not rules.permits(where.address):
            raise UrlRefused(ADDRESS_NOT_ALLOWED)
        return
    internal = internal_name(where.host)
    if internal and not rules.allowed:
        raise UrlRefused(INTERNAL_NAME)  # no allowed network it could resolve into: no lookup needed
    addresses = await _lookup_for_write(where.host, resolve_within)
    if not addresses:
        if internal:
            raise UrlRefused(INTERNAL_NAME)
        return
    if not all(rules.permits(address) for address in addresses):
        raise UrlRefused(INTERNAL_NAME if internal else RESOLVES_NOT_ALLOWED)


# --- the client: checking where each connection goes -----------------------------------------------


class AddressRefused(Exception):
    """A request was not sent: its host is, or resolves to, an address the policy does not allow."""

    def __init__(self, host: str, addresses: list[IPAddress]) -> None:
        super().__init__(f"{host} resolves to {', '.join(map(str, addresses))}, which is not allowed")
        self.host = host
        self.addresses = addresses


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` has (a literal answers itself)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _addresses(str(info[4][0]) for info in infos)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that resolves the host itself, refuses it (:class:`AddressRefused`) if any
    of its addresses is not permitted, and connects to a checked address through ``backend``. The
    connection pool still passes the URL's host name to TLS, so SNI and the certificate check use it."""

    def __init__(
        self, rules: Policy, resolver: Resolver = resolve, backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.rules = rules
        self.resolver = resolver
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        started = time.monotonic()
        try:
            with anyio.fail_after(timeout):
                addresses = await self.resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:  # the name does not resolve
            raise httpcore.ConnectError(str(exc)) from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        refused = [address for address in addresses if not self.rules.permits(address)]
        if refused:
            raise AddressRefused(host, refused)
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.backend.connect_tcp(
                    str(address), port, timeout=left, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:  # try the next address
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("outbound calls do not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose network backend is :class:`GuardedBackend`.
    ``AsyncHTTPTransport`` takes no network backend, so the pool it builds is replaced by the same
    pool with one (its request handling and exception mapping are kept as they are)."""

    def __init__(self, rules: Policy, resolver: Resolver = resolve) -> None:
        ssl_context = httpx.create_ssl_context()  # honours the operator's SSL_CERT_FILE / SSL_CERT_DIR
        super().__init__(verify=ssl_context, trust_env=False, limits=LIMITS)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=GuardedBackend(rules, resolver),
        )


def client(settings: Settings, *, resolver: Resolver = resolve) -> httpx.AsyncClient:
    """The client for every call to a tenant's URL: guarded connections, no redirects followed, no
    proxy or credentials taken from the environment. Raises ``ValueError`` when the setting is wrong."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy(settings), resolver), follow_redirects=False, trust_env=False
    )


__all__ = [
    "AddressRefused",
    "Destination",
    "GuardedBackend",
    "GuardedTransport",
    "Policy",
    "UrlRefused",
    "blocked",
    "check_url",
    "client",
    "destination",
    "internal_name",
    "parse_networks",
    "policy",
    "resolve",
]
