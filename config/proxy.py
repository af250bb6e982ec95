"""The client's address behind a reverse proxy.

Sign-in, password-reset and upload limits count per client address (REMOTE_ADDR, as django-axes
uses too). Behind an HTTP proxy REMOTE_ADDR is the proxy's, so every client would share one count.
When the request comes from an address in TRUSTED_PROXIES, the client is read from
X-Forwarded-For: its addresses are walked from the right (the one the nearest proxy added) past
those of trusted proxies, and the first other one is the client. Addresses further left were
written by the client itself and are never believed. A request from anywhere else keeps its
REMOTE_ADDR whatever headers it sends, and so does one whose header holds something that is not an
address where the walk needs one.
"""

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Longer than any honest chain of proxies, short enough that a padded header costs nothing.
MAX_FORWARDED_HOPS = 20


def proxy_networks(entries: Iterable[str]) -> list[Network]:
    """TRUSTED_PROXIES as networks; ImproperlyConfigured naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)."
            ) from None
    return networks


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: list[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, networks: list[Network]) -> str:
    """The client's address: `remote_addr`, or from `forwarded_for` when `remote_addr` is a proxy."""
    try:
        peer = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return remote_addr
    client = peer
    hops = [hop.strip() for hop in forwarded_for.split(",")][-MAX_FORWARDED_HOPS:]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address: nothing to its left can be placed, keep the last proxy
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class ClientAddressMiddleware:
    """First in MIDDLEWARE (before anything that reads REMOTE_ADDR)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.networks = proxy_networks(settings.TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.networks:
            meta = request.META
            meta["REMOTE_ADDR"] = client_address(
                meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), self.networks
            )
        return self.get_response(request)
