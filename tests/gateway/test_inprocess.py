"""In-process calls: a passed-on answer streams piece by piece, a page's call reads it whole."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from starlette.types import Message

from services.gateway.inprocess import call, hand_on


def streaming_app(release: asyncio.Event) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> StreamingResponse:
        received = [piece async for piece in request.stream()]

        async def pieces() -> AsyncIterator[bytes]:
            yield b"first:" + b"".join(received)
            await release.wait()  # the rest only once the caller has read the first piece
            yield b":last"

        return StreamingResponse(pieces(), headers={"x-pieces": "2", "x-hop": "no"})

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("the service failed")

    return app


async def test_a_handed_on_answer_arrives_piece_by_piece_with_the_body_streamed_in() -> None:
    release = asyncio.Event()
    body: Iterator[tuple[bytes, bool]] = iter([(b"a", True), (b"b", True), (b"", False)])
    sent: list[Message] = []
    first_piece = asyncio.Event()

    async def receive() -> Message:
        piece = next(body, None)
        if piece is None:  # the body is over: as a server, wait for the client to leave
            await asyncio.Event().wait()
            raise AssertionError("unreachable")
        return {"type": "http.request", "body": piece[0], "more_body": piece[1]}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first_piece.set()

    scope: dict[str, Any] = {"type": "http", "method": "POST", "scheme": "http", "path": "/echo"}
    scope |= {"query_string": b"", "headers": []}
    answering = asyncio.create_task(
        hand_on(
            streaming_app(release),
            scope,
            receive,
            send,
            headers=[(b"x-crm-identity", b"signed")],
            dropped=frozenset({b"x-hop"}),
        )
    )
    await asyncio.wait_for(first_piece.wait(), 5)
    done_before_release = answering.done()
    release.set()
    await asyncio.wait_for(answering, 5)

    start, *pieces = sent
    headers = dict(start["headers"])
    assert not done_before_release
    assert (start["status"], headers[b"x-pieces"], b"x-hop" in headers) == (200, b"2", False)
    assert b"".join(p.get("body", b"") for p in pieces) == b"first:ab:last"


async def test_a_pages_call_reads_the_whole_answer() -> None:
    release = asyncio.Event()
    release.set()
    request = httpx.Request("POST", "http://service/echo", content=b"ab")

    answer = await call(streaming_app(release), request)

    assert (answer.status_code, answer.content) == (200, b"first:ab:last")


async def test_an_app_that_fails_before_answering_raises_its_error() -> None:
    request = httpx.Request("GET", "http://service/broken")
    with pytest.raises(RuntimeError, match="the service failed"):
        await call(streaming_app(asyncio.Event()), request)


async def test_a_service_failing_after_it_answered_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "GET", "scheme": "http", "path": "/broken"}
    scope |= {"query_string": b"secret=1", "headers": []}
    with caplog.at_level("ERROR", logger="services.gateway.inprocess"):
        await hand_on(
            streaming_app(asyncio.Event()), scope, receive, send, headers=[], dropped=frozenset()
        )

    assert sent[0]["status"] == 500
    [failure] = caplog.records
    assert failure.getMessage() == "GET /broken failed" and "secret" not in caplog.text
    assert failure.exc_info and "the service failed" in str(failure.exc_info[1])
