"""Where deliveries may go (SSRF): an `https://` URL (`http://` only where a setting allows it),
without credentials in it, whose host resolves only to public addresses. Loopback, private,
link-local (cloud metadata at 169.254.169.254 among them), shared, multicast, reserved and
unspecified addresses are refused unless an allow-list names them; the check runs when a
subscription is saved and again on every connection, so a name that later resolves elsewhere
(DNS rebinding) is caught. Pure: resolving is the caller's."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# metadata services that sit on ordinary-looking addresses (AWS's IPv6 one, Alibaba's)
METADATA = (ipaddress.ip_network("fd00:ec2::254/128"), ipaddress.ip_network("100.100.100.200/32"))


class RefusedTarget(ValueError):
    """The URL or an address it resolves to may not receive deliveries; says which and why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string


@dataclass(frozen=True)
class TargetRules:
    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, *, allow_http: bool, allowed: Iterable[str]) -> TargetRules:
        return cls(allow_http, tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allowed))


def parse_target(url: str, rules: TargetRules) -> Target:
    """The URL's parts; RefusedTarget for a scheme, host or credentials not allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedTarget(f"not a URL: {error}") from None
    schemes = ("https", "http") if rules.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise RefusedTarget(f"the URL must start with {' or '.join(s + '://' for s in schemes)}")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("credentials do not belong in a URL: the signature authenticates")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise RefusedTarget("the URL names no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def address_problem(address: Address, rules: TargetRules) -> str | None:
    """Why this address may not receive deliveries; None when it may."""
    if any(address in network for network in rules.allowed_networks):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_problem(address.ipv4_mapped, rules)
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if any(address in network for network in METADATA):
        return f"{address} is a cloud metadata address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def check_addresses(host: str, addresses: Sequence[str], rules: TargetRules) -> list[Address]:
    """Every address the host resolved to, each allowed; RefusedTarget naming the first that is not."""
    if not addresses:
        raise RefusedTarget(f"{host} resolves to no address")
    checked = []
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        problem = address_problem(address, rules)
        if problem is not None:
            raise RefusedTarget(f"{host} resolves to {problem}; deliveries go to public addresses only")
        checked.append(address)
    return checked
