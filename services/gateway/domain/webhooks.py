"""Webhooks for systems without Kafka, the pure rules: which addresses a delivery may reach,
which events a subscription takes, when to try again, and the Standard Webhooks signature."""

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def is_refused_address(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), multicast, reserved or unspecified: never
    reached unless the host is allowed explicitly."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def matches(filters: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Every filter holds: the event's field equals the value, or one of the values in a list."""
    for field, wanted in filters.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if _comparable(data.get(field)) not in {_comparable(one) for one in allowed}:
            return False
    return True


def _comparable(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def next_delay(attempts: int, *, first: timedelta, longest: timedelta) -> timedelta:
    """Exponential backoff: `first`, twice that, four times, ... never more than `longest`."""
    delay: timedelta = first * (2 ** max(0, attempts - 1))
    return min(delay, longest)
