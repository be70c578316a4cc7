"""HTTP clients of the gateway's backend services: ASGI in one process, HTTP when distributed."""

import logging
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import Request
from starlette.types import ASGIApp

from services.gateway.inprocess import call
from shared.auth import IDENTITY_HEADER

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A backend service did not answer; `reason` says how."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"the {service} service is unavailable: {reason}")
        self.service = service
        self.reason = reason


class Backends:
    """One client per backend service, each with the gateway's timeout; or, in one process,
    the service apps themselves, called without a network-style hop (`inprocess.py`)."""

    def __init__(
        self,
        clients: Mapping[str, httpx.AsyncClient] | None = None,
        apps: Mapping[str, ASGIApp] | None = None,
    ) -> None:
        self._clients = dict(clients or {})
        self._apps = dict(apps or {})

    @classmethod
    def over_http(cls, urls: Mapping[str, str | None], timeout: float) -> "Backends":
        return cls(
            {
                name: httpx.AsyncClient(base_url=url, timeout=timeout)
                for name, url in urls.items()
                if url
            }
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
                app, httpx.Request(method, f"http://{service}{path}", headers=headers, **kwargs)
            )
        client = self._clients.get(service)
        if client is None:
            raise ServiceUnavailable(service, "no address configured")
        try:
            sent = client.build_request(method, path, headers=headers, **kwargs)
            return await client.send(sent, stream=stream)
        except httpx.TimeoutException:
            raise ServiceUnavailable(service, "it did not answer in time") from None
        except httpx.TransportError as error:
            log.warning("gateway -> %s: %s", service, error)
            raise ServiceUnavailable(service, "it cannot be reached") from None

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def origin(request: Request) -> dict[str, str]:
    """Where the caller reached the gateway, for links a service writes (kept if a proxy set them)."""
    return {
        "x-forwarded-host": request.headers.get("x-forwarded-host", request.url.netloc),
        "x-forwarded-proto": request.headers.get("x-forwarded-proto", request.url.scheme),
    }
