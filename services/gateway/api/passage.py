"""The public API in one process, without a hop: a signed-in caller's call of a service is
handed to that service's app as it came.

In the one-process CRM the services' apps run beside the gateway, so a call of theirs needs no
client, no routing through the gateway's pages and no copy of its body: this layer, in front of
the gateway's routes, finds the caller (`callers.py` remembers them), checks that the path is
one of a service's and theirs to use, swaps their credentials for the signed identity and lets
the service answer straight to the caller. Anything else — no or an unknown token, a path the
caller may not use, the iCalendar feeds, a service reached over HTTP — goes on to the routes,
which answer it as they always have (`proxy.py`). The CSRF check, the security headers and the
body limit stay in front of both.
"""

from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.api.proxy import HOP_BY_HOP, has_dot_segments
from services.gateway.backends import Backends
from services.gateway.domain.routing import may_use, owner_of
from services.gateway.identity import SESSION_COOKIE, identity_signed, user_of_token
from services.gateway.inprocess import hand_on
from shared.auth import IDENTITY_HEADER

# Either way: the body's length is passed on with the body, unlike the proxy's HTTP client.
_NOT_PASSED = frozenset(name.encode() for name in HOP_BY_HOP - {"content-length"})
_IDENTITY = IDENTITY_HEADER.lower().encode()
_COOKIE_NAME = SESSION_COOKIE.encode() + b"="


@dataclass(frozen=True)
class _Route:
    """What the metrics name a passed call by: the proxy's route."""

    path: str = "/api/{path:path}"


_ROUTE = _Route()


def _token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token, else the session cookie (as `identity.presented_token`)."""
    cookie = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token:
                return token.decode("latin-1")
        elif name == b"cookie":
            cookie = value
    if cookie is None:
        return None
    for part in cookie.split(b";"):
        part = part.strip()
        if part.startswith(_COOKIE_NAME):
            return part[len(_COOKIE_NAME) :].decode("latin-1") or None
    return None


def _forwarded(scope: Scope, identity: str) -> list[tuple[bytes, bytes]]:
    """The caller's headers without hop-by-hop ones and credentials (the body's length kept),
    where the caller reached the gateway, and the signed identity."""
    headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_PASSED]
    names = {k for k, _ in headers}
    if b"x-forwarded-host" not in names:
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        headers.append((b"x-forwarded-host", host))
    if b"x-forwarded-proto" not in names:
        headers.append((b"x-forwarded-proto", scope["scheme"].encode()))
    headers.append((_IDENTITY, identity.encode()))
    return headers


class InProcessPassage:
    def __init__(self, app: ASGIApp, *, gateway: FastAPI) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        service = owner_of(path[5:]) if path.startswith("/api/") else None
        backends: Backends = self.gateway.state.backends
        backend = backends.app_of(service) if service else None
        token = _token(scope["headers"]) if backend else None
        if not token or path.startswith("/api/calendar/feeds/") or has_dot_segments(path):
            await self.app(scope, receive, send)
            return
        state = self.gateway.state
        user = await user_of_token(state.sessions, token)
        if user is None or not may_use(user.role, path[5:]):
            await self.app(scope, receive, send)  # refused by the routes, as always
            return
        signed = await identity_signed(state.sessions, state.identity_secret, user)
        scope["route"] = _ROUTE
        assert backend is not None
        await hand_on(
            backend,
            scope,
            receive,
            send,
            headers=_forwarded(scope, signed.token),
            dropped=_NOT_PASSED,
        )
