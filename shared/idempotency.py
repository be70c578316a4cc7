"""Idempotency keys: a write sent again with the same `Idempotency-Key` is made once and answered
as the first time.

A write carrying the header (the caller's own key, or one the gateway made for it) is *keyed*.
Its first unit of work records the key as its first statement (`claim`, called by
`db.unit_of_work`), in the write's own transaction: the key is there exactly when the write was
committed. Just before the answer leaves, it is recorded with the key (`Idempotency`, the
middleware). A repeat then finds the key and gets, instead of a second write:

- the first answer again (`Idempotency-Status: replayed`);
- 409 with `Retry-After` while the first attempt is still being made, or is made but its answer
  not recorded yet (`in-progress`): the gateway repeats within its timeout, a caller later;
- 409 once the first attempt was made but its answer was lost for good (its process died between
  the commit and the answer, `answer-lost`): the write stands, the caller looks the record up;
- 422 naming the header when the key came with another method, path or body (a multipart
  body's boundary, which a client draws anew for each attempt, does not count).

Two attempts at once take turns on a transaction-level advisory lock of the key, taken without
waiting: the second is told `in-progress` at once, whatever the first is doing. A first attempt
whose process stops mid-transaction (SIGSTOP, a frozen node) cannot hold the key for long: a
keyed write's transaction is ended by PostgreSQL once idle for `HOLD_SECONDS`
(`idle_in_transaction_session_timeout`), rolled back with its lock, and the repeat is made.

Keys are kept per caller (the signed identity's user; in the gateway's own API, the credentials
presented) for `CRM_IDEMPOTENCY_KEY_HOURS`, then swept (`shared/sweeps.py`); an expired key is a
new one. Reads are never keyed: nothing here touches a GET.
"""

import contextvars
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import IDENTITY_HEADER, InvalidIdentity, verified_tokens
from shared.errors import problem_details
from shared.metrics import KEYED_WRITES

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
STATUS_HEADER = "Idempotency-Status"  # replayed | in-progress | answer-lost
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_LENGTH = 255
# A keyed write's transaction left idle this long (its process stopped) is ended by PostgreSQL.
HOLD_SECONDS = 5
# A key made but without its answer this long is taken as answered and lost (its process died).
ANSWER_GRACE_SECONDS = 30
STORED_BYTES = 256 * 1024  # a larger answer is not kept: its repeat is told `answer-lost`
_LOCK_CLASS = 0x69646B  # "idk": the advisory locks of keys (two-key form, their own space)
_KEY_NAME = KEY_HEADER.lower().encode()
_IDENTITY_NAME = IDENTITY_HEADER.lower().encode()
# Not kept with an answer: what describes one hop or one moment, not the answer.
_NOT_KEPT = frozenset({"content-length", "date", "server", "connection", "transfer-encoding"})

_ARMED: contextvars.ContextVar["Keyed | None"] = contextvars.ContextVar(
    "crm_idempotency_key", default=None
)


_BOUNDARY = re.compile(rb'boundary="?([^";]+)"?', re.IGNORECASE)


class BoundaryBlind:
    """The SHA-256 of a body with every occurrence of `boundary` left out, however the body is
    cut into pieces: a client draws a multipart body's boundary anew for every attempt, so the
    same form sent again differs from the first only there."""

    def __init__(self, boundary: bytes) -> None:
        self._boundary = boundary
        self._held = b""  # the end of what came, which may be a boundary's beginning
        self._sha = hashlib.sha256()

    def update(self, piece: bytes) -> None:
        data = (self._held + piece).replace(self._boundary, b"")
        split = max(0, len(data) - (len(self._boundary) - 1))
        self._sha.update(data[:split])
        self._held = data[split:]

    def hexdigest(self) -> str:
        whole = self._sha.copy()
        whole.update(self._held)
        return whole.hexdigest()


def body_digest(content_type: bytes) -> Any:
    """How a body is fingerprinted: whole, or blind to its multipart boundary."""
    found = (
        _BOUNDARY.search(content_type) if content_type.lower().startswith(b"multipart/") else None
    )
    return BoundaryBlind(b"--" + found.group(1)) if found else hashlib.sha256()


@dataclass
class Keyed:
    """A keyed write being answered: its key, what it asked, and how far it got."""

    key: str
    identity: str | None
    method: str
    target: str
    app: Any
    keep_seconds: float
    digest: Any = field(default_factory=hashlib.sha256)
    body_read: bool = False
    declared_length: str = ""
    credentials: str = ""  # a digest of the Authorization or Cookie header, if any
    attempt: UUID = field(default_factory=uuid4)
    claimed: bool = False  # a unit of work of this request recorded the key
    committed: bool = False  # ... and committed: the answer is to be kept

    def fingerprint(self) -> str:
        """Method, path, query and body; a body not read whole yet (a streamed upload) by its
        declared length."""
        what = self.digest.hexdigest() if self.body_read else f"streamed {self.declared_length}"
        return hashlib.sha256(f"{self.method} {self.target} {what}".encode()).hexdigest()

    def caller(self) -> str:
        """Whose key it is: the signed identity's user in a service; in the gateway's own API,
        the credentials the caller presented (a token or the session's cookies), digested."""
        if self.identity is not None:
            try:
                return verified_tokens(self.app).identity(self.identity).user_id
            except InvalidIdentity:
                pass
        return f"presented {self.credentials}" if self.credentials else ""


class Repeated(Exception):
    """The key was made before: its answer is given again."""

    def __init__(self, status_code: int, headers: list[list[str]], body: bytes) -> None:
        super().__init__(f"repeated request answered {status_code} again")
        self.status_code = status_code
        self.headers = headers
        self.body = body


class InProgress(Exception):
    """Another attempt with the key is being made, or made and not answered yet."""


class AnswerLost(Exception):
    """The key's write was made long ago, but its answer was never recorded."""


class KeyReused(Exception):
    """The key came with another request."""


def armed() -> Keyed | None:
    """The keyed write this task answers, if its key is not recorded yet (else None)."""
    keyed = _ARMED.get()
    return keyed if keyed is not None and not keyed.claimed else None


_CLAIM = text(
    "WITH turn AS MATERIALIZED ("
    " SELECT pg_try_advisory_xact_lock(CAST(:lock_class AS integer),"
    " hashtext(CAST(:caller AS text) || ' ' || CAST(:key AS text))) AS held,"
    " set_config('idle_in_transaction_session_timeout', CAST(:hold AS text), true) AS hold),"
    " claimed AS ("
    " INSERT INTO idempotency_key AS k (caller, key, fingerprint, attempt)"
    " SELECT CAST(:caller AS text), CAST(:key AS text), CAST(:fingerprint AS text),"
    " CAST(:attempt AS uuid) FROM turn WHERE turn.held"
    " ON CONFLICT (caller, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
    " attempt = excluded.attempt, created_at = now(), status = NULL, headers = NULL,"
    " body = NULL"
    " WHERE k.created_at < now() - make_interval(secs => CAST(:keep AS double precision))"
    " RETURNING 1)"
    " SELECT turn.held, EXISTS (SELECT 1 FROM claimed) AS claimed, turn.hold FROM turn"
)
_FOUND = text(
    "SELECT fingerprint, status, headers, body,"
    " created_at > now() - make_interval(secs => CAST(:grace AS double precision)) AS recent"
    " FROM idempotency_key WHERE caller = :caller AND key = :key"
)


async def claim(keyed: Keyed, session: AsyncSession) -> None:
    """Record `keyed`'s key in `session`'s transaction (its first statement, one round trip), or
    raise what a repeat is answered."""
    caller, fingerprint = keyed.caller(), keyed.fingerprint()
    held, claimed, _ = (
        await session.execute(
            _CLAIM,
            {
                "lock_class": _LOCK_CLASS,
                "caller": caller,
                "key": keyed.key,
                "hold": f"{HOLD_SECONDS * 1000}",
                "fingerprint": fingerprint,
                "attempt": keyed.attempt,
                "keep": float(keyed.keep_seconds),
            },
        )
    ).one()
    service = keyed.app.state.service
    if not held:
        KEYED_WRITES.labels(service, "in-progress").inc()
        raise InProgress
    if claimed:
        keyed.claimed = True
        KEYED_WRITES.labels(service, "made").inc()
        return
    found = (
        await session.execute(
            _FOUND, {"caller": caller, "key": keyed.key, "grace": float(ANSWER_GRACE_SECONDS)}
        )
    ).one()
    if found.fingerprint != fingerprint:
        KEYED_WRITES.labels(service, "reused").inc()
        raise KeyReused
    if found.status is None:
        KEYED_WRITES.labels(service, "in-progress" if found.recent else "answer-lost").inc()
        raise InProgress if found.recent else AnswerLost
    KEYED_WRITES.labels(service, "replayed").inc()
    raise Repeated(found.status, found.headers or [], bytes(found.body or b""))


_KEEP_ANSWER = (
    "UPDATE idempotency_key SET status = $1, headers = $2, body = $3"
    " WHERE caller = $4 AND key = $5 AND attempt = $6"
)


async def _keep_answer(keyed: Keyed, status_code: int, headers: Any, body: bytes) -> None:
    """The answer recorded with the key: one statement on a read-pool connection (no BEGIN, no
    ping), before the answer leaves."""
    kept = [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in headers
        if name.decode("latin-1").lower() not in _NOT_KEPT
    ]
    args = (status_code, kept, body, keyed.caller(), keyed.key, keyed.attempt)
    try:
        await keyed.app.state.reads.run(lambda connection: connection.execute(_KEEP_ANSWER, *args))
    except Exception:  # the write stands; a repeat is told it was made
        log.warning("the answer of a keyed write was not recorded", exc_info=True)


def _key_problem(message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": problem_details({KEY_HEADER: message}, "header")},
        status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _digest(credentials: bytes | None) -> str:
    return hashlib.sha256(credentials).hexdigest() if credentials else ""


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= KEY_LENGTH and all(" " < c <= "~" for c in key)


class Idempotency:
    """Plain ASGI: arms keyed writes for `unit_of_work`, and keeps their answers once committed.
    Anything else passes untouched (a read costs one context lookup)."""

    def __init__(
        self, app: ASGIApp, *, keep_seconds: float, keyed: Callable[[str], bool] | None = None
    ) -> None:
        self.app = app
        self.keep_seconds = keep_seconds
        self.keyed = keyed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if scope["type"] == "http" and scope["method"] in WRITES:
            key = next((v for k, v in scope["headers"] if k == _KEY_NAME), None)
            if key is not None and self.keyed is not None and not self.keyed(scope["path"]):
                key = None
        if key is None:
            if _ARMED.get() is None:
                await self.app(scope, receive, send)
                return
            token = _ARMED.set(None)  # an app called in process by a keyed one: not keyed
            try:
                await self.app(scope, receive, send)
            finally:
                _ARMED.reset(token)
            return
        text_key = key.decode("latin-1")
        if not _valid_key(text_key):
            await _key_problem(f"must be 1 to {KEY_LENGTH} visible ASCII characters")(
                scope, receive, send
            )
            return
        await self._keyed(scope, receive, send, text_key)

    async def _keyed(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        headers = dict(scope["headers"])
        keyed = Keyed(
            key=key,
            identity=headers[_IDENTITY_NAME].decode("latin-1")
            if _IDENTITY_NAME in headers
            else None,
            method=scope["method"],
            target=f"{scope['path']}?{query}",
            app=scope["app"],
            keep_seconds=self.keep_seconds,
            declared_length=headers.get(b"content-length", b"").decode("latin-1"),
            digest=body_digest(headers.get(b"content-type", b"")),
            credentials=_digest(headers.get(b"authorization") or headers.get(b"cookie")),
        )

        async def hashing() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                keyed.digest.update(message.get("body", b""))
                if not message.get("more_body", False):
                    keyed.body_read = True
            return message

        start: Message | None = None
        pieces: list[bytes] = []
        size = 0
        passing = False

        async def keeping(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if not keyed.committed:
                    passing = True  # nothing was written under the key: nothing to keep
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            pieces.append(message.get("body", b""))
            size += len(pieces[-1])
            more = message.get("more_body", False)
            if size > STORED_BYTES:
                passing = True  # too large to keep: passed on as it comes
            elif more:
                return
            else:
                body = b"".join(pieces)
                await _keep_answer(keyed, start["status"], start.get("headers", []), body)
                pieces[:] = [body]
            await send(start)
            for piece in pieces[:-1]:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": pieces[-1], "more_body": more})

        token = _ARMED.set(keyed)
        try:
            await self.app(scope, hashing, keeping)
        finally:
            _ARMED.reset(token)


def install_idempotency(app: FastAPI, *, keep_seconds: float, keyed: Any = None) -> None:
    """The middleware and the answers of a repeat."""

    async def repeated(_: Request, error: Exception) -> Response:
        assert isinstance(error, Repeated)
        response = Response(error.body, error.status_code)
        for name, value in error.headers:
            response.headers.append(name, value)
        response.headers[STATUS_HEADER] = "replayed"
        return response

    async def in_progress(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"a request with this {KEY_HEADER} is being made; send it again in a "
                "moment for its answer"
            },
            status.HTTP_409_CONFLICT,
            headers={"Retry-After": "1", STATUS_HEADER: "in-progress"},
        )

    async def answer_lost(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"a request with this {KEY_HEADER} was made, but its answer was lost; "
                "look the record up instead of sending it again"
            },
            status.HTTP_409_CONFLICT,
            headers={STATUS_HEADER: "answer-lost"},
        )

    async def reused(_: Request, __: Exception) -> JSONResponse:
        return _key_problem(
            "this key was used for another request (another method, path or body); "
            "use a new key for a new request"
        )

    app.add_exception_handler(Repeated, repeated)
    app.add_exception_handler(InProgress, in_progress)
    app.add_exception_handler(AnswerLost, answer_lost)
    app.add_exception_handler(KeyReused, reused)
    app.add_middleware(Idempotency, keep_seconds=keep_seconds, keyed=keyed)
