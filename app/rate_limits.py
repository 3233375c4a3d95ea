"""Rate limits on the API and the exports, applied once where the Flask app is built.

Each request under a limited path prefix is counted against its client's sliding window
(data/rate_limit.py). An allowed response carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (the IETF httpapi draft's headers; Reset: seconds until the window frees a
request); a refused one is a 429 with the same headers, `Retry-After` and a JSON error. Other
paths are never counted. When Redis cannot answer, the request is served without the headers.

A request whose Bearer token named a user (app/api/auth.py set `g.user_id` before this runs) is
counted under that user (`ratelimit:user:{id}:{scope}`), wherever it comes from; any other under
its client address (`ratelimit:ip:{address}:{scope}`).

The client is `remote_addr`, except from a trusted proxy (CARDCHARTS_TRUSTED_PROXIES): then it is
the right-most X-Forwarded-For address that is not itself a trusted proxy. Everything left of
that address was written by the client, so it is never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from flask import Flask, Response, g, jsonify, request

from app.exports import PREFIX as EXPORT_PREFIX
from app.settings import Settings
from data.rate_limit import Decision, RateLimitRepository

EXTENSION = "cardcharts.rate_limits"
SCOPES = (("/api/", "api"), (EXPORT_PREFIX + "/", "export"))  # path prefix -> scope of the window
UNKNOWN_CLIENT = "unknown"  # a peer that is not an IP address (a Unix socket): one window for all

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def scope_of(path: str) -> str | None:
    return next((scope for prefix, scope in SCOPES if path.startswith(prefix)), None)


def client_ip(remote_addr: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The address requests are counted under, normalised ('::ffff:1.2.3.4' is '1.2.3.4')."""
    peer = _address(remote_addr)
    if peer is None:
        return UNKNOWN_CLIENT
    if not _trusted(peer, trusted):
        return str(peer)
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a trusted proxy wrote no address here: what lies further left is the client's word
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)


def install(server: Flask, limiter: RateLimitRepository, settings: Settings) -> None:
    """Count every /api/ and /export/ request of `server` against its scope's limit."""
    if EXTENSION in server.extensions:
        raise RuntimeError("rate limits are already installed on this server")
    server.extensions[EXTENSION] = limiter
    rates = {"api": settings.api_rate, "export": settings.export_rate}
    trusted = settings.trusted_proxy_networks

    @server.before_request
    def count_request():
        scope = scope_of(request.path)
        if scope is None:
            return None
        user = g.get("user_id")
        if user is not None:
            decision = limiter.hit("user", str(user), scope, rates[scope])
        else:
            client = client_ip(request.remote_addr, request.headers.getlist("X-Forwarded-For"), trusted)
            decision = limiter.hit("ip", client, scope, rates[scope])
        g.rate_limit = decision
        if decision is None or decision.allowed:
            return None
        response = jsonify(
            error=f"too many requests: the limit is {rates[scope]} per client; retry in {decision.retry_after} s"
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(decision.retry_after)
        return response

    @server.after_request
    def rate_limit_headers(response: Response) -> Response:
        decision: Decision | None = g.pop("rate_limit", None)
        if decision is not None:
            response.headers["RateLimit-Limit"] = str(decision.limit)
            response.headers["RateLimit-Remaining"] = str(decision.remaining)
            response.headers["RateLimit-Reset"] = str(decision.reset_seconds)
        return response


def _address(text: str | None) -> Address | None:
    """An IP address from a peer or an X-Forwarded-For hop ('1.2.3.4', '1.2.3.4:80', '[2001:db8::1]:443');
    None for anything else."""
    text = (text or "").strip()
    if text.startswith("["):
        text, closed, port = text[1:].partition("]")
        if not closed or not (port == "" or (port[0] == ":" and _port(port[1:]))):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _port(port):
            return None
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
