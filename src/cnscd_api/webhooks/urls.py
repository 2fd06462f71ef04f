"""Which URLs events may be sent to: no server-side request forgery.

A URL is checked when an endpoint is saved and again before every attempt (its name may
resolve elsewhere by then): every address its host resolves to must be a public one.
Loopback is allowed for development and tests (``Settings.webhook_loopback_allowed``);
private, link-local, reserved, multicast and cloud metadata addresses never are. In production
the scheme must be https.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cnscd_api.config import Settings
from cnscd_api.core.errors import Unprocessable

Resolver = Callable[..., list[Any]]
# Metadata services of clouds that are not in a private or link-local range themselves.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "168.63.129.16", "fd00:ec2::254")
)


FIELD = "body.url"


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address, loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return not loopback
    return (
        address in METADATA_ADDRESSES
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, settings: Settings, resolve: Resolver = socket.getaddrinfo) -> None:
    """Raise ``Unprocessable`` (blaming ``body.url``) unless events may be sent to ``url``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Unprocessable.at(FIELD, "webhook_url_invalid") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username:
        raise Unprocessable.at(FIELD, "webhook_url_invalid")
    if parts.scheme != "https" and settings.is_production:
        raise Unprocessable.at(FIELD, "webhook_url_not_https")
    host = parts.hostname
    try:
        found = resolve(
            host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        raise Unprocessable.at(FIELD, "webhook_url_unresolvable", host=host) from None
    loopback = settings.webhook_loopback_allowed
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if _forbidden(address, loopback):
            raise Unprocessable.at(FIELD, "webhook_url_forbidden_address", address=str(address))
