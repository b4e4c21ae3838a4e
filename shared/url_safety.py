"""Where the hub may send webhooks: URL vetting against server-side request forgery, and a transport that
connects only to the address it vetted (so a name that re-resolves elsewhere — DNS rebinding — fails).

Outside demo mode a webhook URL must be `https`, carry no userinfo, and every address its host resolves
to must be public: loopback, private, shared (CGNAT), link-local (cloud metadata at 169.254.169.254),
multicast, reserved and unspecified addresses are refused, in every spelling the C resolver accepts
(`0x7f000001`, `2130706433`, `127.1`, `0177.0.0.1`, `0`) and inside IPv6 forms that carry an IPv4 address
(IPv4-mapped `::ffff:127.0.0.1`, 6to4, Teredo, NAT64). In demo mode loopback and private addresses and
plain `http` are allowed (the simulated parties and local receivers live there) and names are not
resolved; link-local, multicast, reserved and unspecified addresses and userinfo are refused in every mode.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port → the addresses the name resolves to (tests inject a stub; the default asks the system).
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not public, whatever a Python version's `is_global` says: IETF protocol assignments, documentation,
# benchmarking, shared address space (CGNAT).
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.0.2.0/24", "198.51.100.0/24",
                                                       "203.0.113.0/24", "198.18.0.0/15", "100.64.0.0/10",
                                                       "2001:db8::/32"))
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why in words an operator can act on."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Policy:
    """`allow_local`: loopback and private addresses, plain http, no DNS resolution (demo mode)."""

    allow_local: bool
    resolver: Resolver = system_resolver

    @property
    def description(self) -> str:
        if self.allow_local:
            return ("demo mode: http or https; loopback and private addresses allowed, names not resolved; "
                    "userinfo, link-local, multicast, reserved and unspecified addresses refused")
        return ("https only; no userinfo; every address the host resolves to must be public; the relay "
                "re-resolves at delivery and connects to the vetted address")


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form the C resolver accepts (`127.1`, `0x7f000001`)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host or not host or not all(c.isalnum() or c == "." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # decimal, hex, octal and short forms
    except OSError:
        return None


def _embedded(addr: IPAddress) -> list[IPAddress]:
    """The address itself and any IPv4 address an IPv6 form carries."""
    out: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            out.append(addr.ipv4_mapped)
        if addr.sixtofour is not None:
            out.append(addr.sixtofour)
        if addr.teredo is not None:
            out.extend(addr.teredo)
        if addr in _NAT64:
            out.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return out


def address_problem(addr: IPAddress, *, allow_local: bool) -> str | None:
    """Why webhooks may not go to `addr` (None when they may)."""
    for a in _embedded(addr):
        if a.is_loopback:
            if not allow_local:
                return f"{addr} is a loopback address"
            continue
        if a.is_unspecified:
            return f"{addr} is the unspecified address"
        if a.is_link_local:
            return f"{addr} is link-local (cloud metadata lives there)"
        if a.is_multicast:
            return f"{addr} is a multicast address"
        if a.is_reserved:
            return f"{addr} is a reserved address"
        local = (a.is_private or not a.is_global or (a.version == 6 and a.is_site_local)
                 or any(a in n for n in _NOT_PUBLIC if n.version == a.version))
        if local and not allow_local:
            return f"{addr} is a loopback or private address"
    return None


def parse(url: str, *, allow_local: bool) -> httpx.URL:
    """The parsed URL, or UnsafeURL for a form no webhook may use (whatever the addresses)."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeURL(f"not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UnsafeURL("must be an absolute http(s) URL, e.g. https://example.go.kr/hooks")
    if not allow_local and parsed.scheme != "https":
        raise UnsafeURL("must use https")
    if parsed.userinfo:
        raise UnsafeURL("must not carry a user name or password (userinfo)")
    return parsed


def _host_name(parsed: httpx.URL) -> str:
    return parsed.raw_host.decode("ascii").lower().rstrip(".")


def vet(url: str, policy: Policy) -> list[IPAddress]:
    """Checks `url` against the policy; returns the addresses to connect to (empty: resolve as usual,
    demo mode with a name). Raises UnsafeURL naming what is wrong."""
    parsed = parse(url, allow_local=policy.allow_local)
    host = _host_name(parsed)
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    elif host in _LOCAL_NAMES or host.endswith(".localhost"):
        if not policy.allow_local:
            raise UnsafeURL(f"{host} is a loopback name")
        return []
    elif policy.allow_local:
        return []
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0])
                         for a in policy.resolver(host, parsed.port or (443 if parsed.scheme == "https" else 80))]
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnsafeURL(f"host {host} does not resolve ({type(exc).__name__})") from None
        if not addresses:
            raise UnsafeURL(f"host {host} does not resolve")
    for addr in addresses:
        why = address_problem(addr, allow_local=policy.allow_local)
        if why:
            raise UnsafeURL(f"host {host} resolves to {why}" if literal is None else why)
    return addresses


class PinnedTransport(httpx.AsyncBaseTransport):
    """Vets every request's URL again and connects to the vetted address, keeping the name for the
    `Host` header and TLS (SNI and certificate check): a name re-pointed at a private address between
    the operator's check and the delivery is refused, never connected to.

    Without an `inner` transport each name gets its own connection pool (`make_pool`), so a connection
    opened with one name's SNI is never reused for another name on the same address."""

    def __init__(self, policy: Policy | Callable[[], Policy], inner: httpx.AsyncBaseTransport | None = None,
                 make_pool: Callable[[], httpx.AsyncBaseTransport] = httpx.AsyncHTTPTransport):
        self.policy = policy
        self.inner = inner
        self.make_pool = make_pool
        self.pools: dict[str, httpx.AsyncBaseTransport] = {}

    def _pool(self, name: str) -> httpx.AsyncBaseTransport:
        if self.inner is not None:
            return self.inner
        if name not in self.pools:
            self.pools[name] = self.make_pool()
        return self.pools[name]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy = self.policy if isinstance(self.policy, Policy) else self.policy()
        try:  # names are resolved only outside demo mode: only then is a thread worth its hop
            addresses = (vet(str(request.url), policy) if policy.allow_local
                         else await anyio.to_thread.run_sync(vet, str(request.url), policy))
        except UnsafeURL as exc:
            raise UnsafeURLError(str(exc), request=request) from None
        name = request.url.host
        if addresses:
            request.url = request.url.copy_with(host=str(addresses[0]))
            request.extensions = {**request.extensions, "sni_hostname": name}
        return await self._pool(name).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in [*self.pools.values(), *([self.inner] if self.inner is not None else [])]:
            await pool.aclose()


class UnsafeURLError(httpx.RequestError):
    """A delivery refused before connecting: the URL (or what its name resolves to now) is not allowed."""
