"""HTTP clients of the gateway's backend services: ASGI in one process, HTTP when distributed."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

import httpx
from fastapi import Request
from starlette.types import ASGIApp

from services.gateway.inprocess import call
from shared.auth import IDENTITY_HEADER
from shared.idempotency import KEY_HEADER, STATUS_HEADER, WRITES
from shared.metrics import RESENT

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A backend service did not answer; `reason` says how."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"the {service} service is unavailable: {reason}")
        self.service = service
        self.reason = reason


# Reads, and what a DAV client reads: sent again on another connection when one fails.
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})
ATTEMPTS = 4  # at most, within the timeout of the call
PAUSES = (0.05, 0.2, 0.4)  # before the second, third and fourth attempt
IN_PROGRESS_PAUSE = 0.5  # before sending a keyed write again that the service says is being made
# A connection inside a cluster opens in milliseconds: one that takes this long goes to a replica
# that is gone (its node lost), and the call goes again while there is time left.
CONNECT_SECONDS = 2.0


class Backends:
    """One client per backend service, each with the gateway's timeout; or, in one process,
    the service apps themselves, called without a network-style hop (`inprocess.py`).

    Over HTTP a call survives losing the replica it reached (killed, stopped, cut off): a read,
    and a write with an `Idempotency-Key` (the caller's, or one made here for every write whose
    body is at hand), is sent again on a new connection (a Kubernetes Service, or the
    rehearsal's proxy, gives it to another replica) when the connection fails, is reset or times
    out, all within the call's timeout. The service makes a keyed write once however often it
    comes (`shared/idempotency.py`); its 409 `in-progress` is waited out the same way."""

    def __init__(
        self,
        clients: Mapping[str, httpx.AsyncClient] | None = None,
        apps: Mapping[str, ASGIApp] | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._clients = dict(clients or {})
        self._apps = dict(apps or {})
        self._timeout = timeout

    @classmethod
    def over_http(cls, urls: Mapping[str, str | None], timeout: float) -> "Backends":
        return cls(
            {
                name: httpx.AsyncClient(
                    base_url=url, timeout=httpx.Timeout(timeout, connect=_connect(timeout))
                )
                for name, url in urls.items()
                if url
            },
            timeout=timeout,
        )

    @classmethod
    def in_process(cls, apps: Mapping[str, ASGIApp]) -> "Backends":
        return cls(apps=apps)

    def app_of(self, service: str) -> ASGIApp | None:
        """The service's app when it runs in this process (and is not reached by a client)."""
        return None if service in self._clients else self._apps.get(service)

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        identity: str | None,
        stream: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call a service as the signed identity (None: anonymously, for the few public paths);
        `ServiceUnavailable` when it does not answer. With `stream`, the answer's body is left
        unread, to be passed on piece by piece (the caller closes it)."""
        headers = dict(kwargs.pop("headers", {}))
        if identity is not None:
            headers[IDENTITY_HEADER] = identity
        app = self.app_of(service)
        if app is not None:
            return await call(
                app,
                httpx.Request(method, f"http://{service}{path}", headers=headers, **kwargs),
                stream=stream,
            )
        client = self._clients.get(service)
        if client is None:
            raise ServiceUnavailable(service, "no address configured")
        method = method.upper()
        again = _replayable(kwargs) and (method in SAFE or _keyed(method, headers))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        attempt = 0
        while True:
            attempt += 1
            left = deadline - loop.time()
            try:
                # The first attempt has the client's own timeout, the next what is left.
                timeout = _left(left) if attempt > 1 else httpx.USE_CLIENT_DEFAULT
                sent = client.build_request(
                    method, path, headers=headers, timeout=timeout, **kwargs
                )
                answer = await client.send(sent, stream=stream)
            except httpx.TransportError as error:
                pause = PAUSES[min(attempt, len(PAUSES)) - 1]
                if again and attempt < ATTEMPTS and deadline - loop.time() > pause + 0.05:
                    log.info("gateway -> %s: %s; sending it again", service, _named(error))
                    RESENT.labels(service, "read" if method in SAFE else "write").inc()
                    await asyncio.sleep(pause)
                    continue
                if isinstance(error, httpx.TimeoutException):
                    raise ServiceUnavailable(service, "it did not answer in time") from None
                log.warning("gateway -> %s: %s", service, _named(error))
                raise ServiceUnavailable(service, "it cannot be reached") from None
            if (
                again
                and answer.status_code == 409
                and answer.headers.get(STATUS_HEADER) == "in-progress"
                and deadline - loop.time() > IN_PROGRESS_PAUSE + 0.05
            ):
                await answer.aclose()
                RESENT.labels(service, "write").inc()
                await asyncio.sleep(IN_PROGRESS_PAUSE)
                continue
            return answer

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def _connect(timeout: float) -> float:
    return min(CONNECT_SECONDS, timeout)


def _left(seconds: float) -> httpx.Timeout:
    """The timeout of a second attempt: what is left of the call's."""
    seconds = max(seconds, 0.01)
    return httpx.Timeout(seconds, connect=_connect(seconds))


def _replayable(kwargs: Mapping[str, Any]) -> bool:
    """Whether the body can be sent again: bytes, text, a form or JSON (not a stream, nor files
    that may be read once)."""
    content = kwargs.get("content")
    return "files" not in kwargs and (content is None or isinstance(content, bytes | str))


def _keyed(method: str, headers: dict[str, str]) -> bool:
    """A write carries a key, the caller's or a new one: it may be sent again."""
    if method not in WRITES:
        return False
    if not any(name.lower() == KEY_HEADER.lower() for name in headers):
        headers[KEY_HEADER] = uuid4().hex
    return True


def _named(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def origin(request: Request) -> dict[str, str]:
    """Where the caller reached the gateway, for links a service writes (kept if a proxy set them)."""
    return {
        "x-forwarded-host": request.headers.get("x-forwarded-host", request.url.netloc),
        "x-forwarded-proto": request.headers.get("x-forwarded-proto", request.url.scheme),
    }
