"""The public API in one process, without a hop: a signed-in caller's call of a service is
handed to that service's app as it came.

In the one-process CRM the services' apps run beside the gateway, so a call of theirs needs no
client, no routing through the gateway's pages and no copy of its body: this layer, in front of
all of the gateway's own, finds the caller (`callers.py` remembers them), checks that the path
is one of a service's and theirs to use, swaps their credentials for the signed identity and
lets the service answer straight to the caller. On the way it is protected as a call of the
gateway's routes is: the CSRF check and cookie for a browser, the body limit for a body, the
security headers on every answer; an API client's read (a bearer token, no cookie, no body)
needs only the headers, added as the answer passes. The service's own layers time the call
(`crm_http_request_seconds` with the service's name and route, as a service of its own counts
it), honour its `Idempotency-Key` and refuse NUL bytes, so the gateway's are not run a second
time. Anything else — no or an unknown token, a path the caller may not use, the iCalendar
feeds, a service reached over HTTP — goes on to the gateway's layers and routes, which answer
it as they always have (`proxy.py`).
"""

from functools import partial

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.api.proxy import HOP_BY_HOP, has_dot_segments
from services.gateway.body_limits import BodyLimit
from services.gateway.callers import CALLERS
from services.gateway.credentials import hash_token
from services.gateway.domain.routing import may_use, owner_of
from services.gateway.identity import (
    SESSION_COOKIE,
    bearer_token,
    identity_signed,
    user_of_token,
)
from services.gateway.inprocess import hand_on
from services.gateway.web.security import SECURITY_NAMES, BrowserSecurity, add_security_headers
from shared.auth import IDENTITY_HEADER

# Either way: the body's length is passed on with the body, unlike the proxy's HTTP client.
_NOT_PASSED = frozenset(name.encode() for name in HOP_BY_HOP - {"content-length"})
# An API client's read is answered with the gateway's security headers instead of any the
# service's answer came with.
_NOT_PASSED_TO_CLIENTS = _NOT_PASSED | SECURITY_NAMES
_IDENTITY = IDENTITY_HEADER.lower().encode()
_COOKIE_NAME = SESSION_COOKIE.encode() + b"="
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_PASSED = "crm.passed"  # the scope's key for the service and the headers it is passed


def _credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, bool]:
    """The bearer token, else the session cookie (as `identity.presented_token`), and whether
    the caller sent cookies (a browser, protected as one)."""
    bearer = cookie = None
    for name, value in headers:
        if name == b"authorization" and bearer is None:
            bearer = bearer_token(value.decode("latin-1"))
        elif name == b"cookie":
            cookie = value
    if bearer is not None or cookie is None:
        return bearer, cookie is not None
    for part in cookie.split(b";"):
        part = part.strip()
        if part.startswith(_COOKIE_NAME):
            return part[len(_COOKIE_NAME) :].decode("latin-1") or None, True
    return None, True


def _forwarded(scope: Scope, identity: bytes) -> list[tuple[bytes, bytes]]:
    """The caller's headers without hop-by-hop ones and credentials (the body's length kept),
    where the caller reached the gateway, and the signed identity."""
    headers = []
    host = b""
    forwarded_host = forwarded_proto = False
    for name, value in scope["headers"]:
        if name in _NOT_PASSED:
            if name == b"host":
                host = value
            continue
        if name == b"x-forwarded-host":
            forwarded_host = True
        elif name == b"x-forwarded-proto":
            forwarded_proto = True
        headers.append((name, value))
    if not forwarded_host:
        headers.append((b"x-forwarded-host", host))
    if not forwarded_proto:
        headers.append((b"x-forwarded-proto", scope["scheme"].encode()))
    headers.append((_IDENTITY, identity))
    return headers


async def _pass_on(scope: Scope, receive: Receive, send: Send) -> None:
    """The call passed to its service, behind the gateway's protections."""
    backend, headers = scope.pop(_PASSED)
    await hand_on(backend, scope, receive, send, headers=headers, dropped=_NOT_PASSED)


class InProcessPassage:
    def __init__(
        self,
        app: ASGIApp,
        *,
        gateway: FastAPI,
        upload_bytes: int,
        secure_cookies: bool,
        secret: str,
    ) -> None:
        self.app = app
        self.gateway = gateway
        self.protected = BrowserSecurity(
            BodyLimit(_pass_on, upload_bytes=upload_bytes),
            secure_cookies=secure_cookies,
            secret=secret,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        service = owner_of(path[5:]) if path.startswith("/api/") else None
        state = self.gateway.state
        backend = state.backends.app_of(service) if service else None
        token, browser = _credentials(scope["headers"]) if backend else (None, False)
        if not token or path.startswith("/api/calendar/feeds/") or has_dot_segments(path):
            await self.app(scope, receive, send)
            return
        known = CALLERS.known(hash_token(token))  # the usual case: no lookup, no await
        if known is None:
            user = await user_of_token(state.sessions, token)
            if user is None:
                await self.app(scope, receive, send)  # refused by the routes, as always
                return
            signed = await identity_signed(state.sessions, state.identity_secret, user)
        else:
            user, signed = known
        if not may_use(user.role, path[5:]):
            await self.app(scope, receive, send)  # refused by the routes, as always
            return
        assert backend is not None
        headers = _forwarded(scope, signed.header)
        if browser or scope["method"] not in _READS:
            scope[_PASSED] = (backend, headers)
            await self.protected(scope, receive, send)
            return
        await hand_on(
            backend,
            scope,
            receive,
            send,
            headers=headers,
            dropped=_NOT_PASSED_TO_CLIENTS,
            completed=partial(add_security_headers, path),
        )
