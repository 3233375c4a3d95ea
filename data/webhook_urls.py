"""Which webhook URLs an alert may call: https, no credentials in the URL, and a host whose every
address is public. Checked when a rule is saved and again before each delivery attempt (a name can
be re-pointed at 127.0.0.1 after it was checked: DNS rebinding), and the delivery then connects to
the very address that was checked.

`WebhookPolicy.allowed` lists networks let through anyway, for local testing only
(CARDCHARTS_WEBHOOK_ALLOW_PRIVATE, e.g. "127.0.0.0/8"); plain http is accepted only for a URL whose
every address is in that list. The default is empty: nothing private, ever.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_CHARS = 2000  # alert_rules.webhook's CHECK
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeWebhook(ValueError):
    """A webhook URL that may not be called; the text says why."""


@dataclass(frozen=True)
class WebhookPolicy:
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, networks: str) -> WebhookPolicy:
        """From CARDCHARTS_WEBHOOK_ALLOW_PRIVATE: comma-separated networks ('' for none)."""
        entries = [entry.strip() for entry in networks.split(",") if entry.strip()]
        try:
            return cls(tuple(ipaddress.ip_network(entry, strict=False) for entry in entries))
        except ValueError as exc:
            raise ValueError(f"CARDCHARTS_WEBHOOK_ALLOW_PRIVATE: {exc}") from None

    def allows(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed)


STRICT = WebhookPolicy()  # production's: public addresses only, https only


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: SplitResult
    address: IPAddress

    @property
    def host(self) -> str:
        return self.url.hostname or ""


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _embedded_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where it really goes."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why an alert may not call this address (not a public unicast one), or None."""
    inner = _embedded_v4(address)
    if inner is not None:
        return address_problem(inner)
    for flag in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):  # most telling first
        if getattr(address, f"is_{flag}"):
            return f"{address} is a {flag.replace('_', '-')} address"
    if not address.is_global:  # shared (100.64/10), documentation and other special ranges
        return f"{address} is not a public address"
    return None


def parse_url(url: object) -> SplitResult:
    """The URL's parts when its form is acceptable (scheme, no credentials, a host); UnsafeWebhook if not."""
    if not isinstance(url, str) or not url:
        raise UnsafeWebhook("a webhook is a URL such as https://discord.com/api/webhooks/...")
    if len(url) > MAX_URL_CHARS:
        raise UnsafeWebhook(f"a webhook URL has at most {MAX_URL_CHARS} characters")
    if not url.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UnsafeWebhook("a webhook URL is plain ASCII without spaces (IDN hosts in their xn-- form)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise UnsafeWebhook(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise UnsafeWebhook("a webhook must be an https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeWebhook("a webhook URL may not carry a user name or password")
    if not parts.hostname:
        raise UnsafeWebhook("a webhook URL needs a host")
    return parts


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check(url: object, policy: WebhookPolicy = STRICT, resolver: Resolver = system_resolver) -> Target:
    """The URL checked against `policy`, with the address to connect to; UnsafeWebhook otherwise.

    Every address the host resolves to must be public (or allowed by the policy): an attacker's
    name with one public and one private address could otherwise be sent to the private one."""
    parts = parse_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None:
        addresses: Iterable[IPAddress] = [literal]
    else:
        try:
            found = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeWebhook(f"the webhook host {host} cannot be resolved ({exc})") from None
        addresses = [ipaddress.ip_address(entry.split("%", 1)[0]) for entry in found]
        if not addresses:
            raise UnsafeWebhook(f"the webhook host {host} has no address")
    for address in addresses:
        problem = address_problem(address)
        if problem is not None and not policy.allows(address):
            raise UnsafeWebhook(f"the webhook host {host} may not be called: {problem}")
    if parts.scheme != "https" and not all(policy.allows(address) for address in addresses):
        raise UnsafeWebhook("a webhook must be an https:// URL")
    return Target(parts, next(iter(addresses)))
