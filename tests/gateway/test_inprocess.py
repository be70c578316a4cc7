"""In-process calls stream: a service's answer is handed on piece by piece as it is sent."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from services.gateway.inprocess import StreamingASGITransport


def streaming_app(release: asyncio.Event) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> StreamingResponse:
        received = [piece async for piece in request.stream()]

        async def pieces() -> AsyncIterator[bytes]:
            yield b"first:" + b"".join(received)
            await release.wait()  # the rest only once the caller has read the first piece
            yield b":last"

        return StreamingResponse(pieces(), headers={"x-pieces": "2"})

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("the service failed")

    return app


async def test_the_first_piece_arrives_before_the_app_has_finished() -> None:
    release = asyncio.Event()
    transport = StreamingASGITransport(streaming_app(release))

    async def body() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    client = httpx.AsyncClient(transport=transport, base_url="http://service")
    async with client, client.stream("POST", "/echo", content=body()) as answer:
        pieces = answer.aiter_bytes()
        first = await asyncio.wait_for(pieces.__anext__(), 5)
        release.set()
        rest = b"".join([piece async for piece in pieces])

    assert (answer.status_code, answer.headers["x-pieces"]) == (200, "2")
    assert (first, rest) == (b"first:ab", b":last")


async def test_an_app_that_fails_before_answering_raises_its_error() -> None:
    transport = StreamingASGITransport(streaming_app(asyncio.Event()))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        with pytest.raises(RuntimeError, match="the service failed"):
            await client.get("/broken")
