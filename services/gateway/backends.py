"""HTTP clients of the gateway's backend services: ASGI in one process, HTTP when distributed."""

from collections.abc import Mapping

import httpx
from fastapi import FastAPI


class Backends:
    """One client per backend service, each with the gateway's timeout."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient]) -> None:
        self._clients = dict(clients)

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
    def in_process(cls, apps: Mapping[str, FastAPI], timeout: float) -> "Backends":
        return cls(
            {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url=f"http://{name}",
                    timeout=timeout,
                )
                for name, app in apps.items()
            }
        )

    def get(self, service: str) -> httpx.AsyncClient | None:
        return self._clients.get(service)

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
