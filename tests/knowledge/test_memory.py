"""A 100 MB upload and download stream through the knowledge service: its memory stays flat."""

import asyncio
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.apps import TEST_SECRET, identity_headers
from shared.testing.processes import free_port
from tests.knowledge.conftest import S3Server

pytestmark = pytest.mark.slow

MB = 1024 * 1024
SERVE = """
import asyncio, sys, uvicorn
from services.knowledge.app import create_app
from services.knowledge.settings import KnowledgeSettings
from shared.bus import InProcessBus

bus = InProcessBus()
asyncio.run(bus.start())
settings = KnowledgeSettings(
    database_url=sys.argv[1], identity_secret=sys.argv[2], max_upload_mb=200
)
uvicorn.run(create_app(settings, bus), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def _status(pid: int, field: str) -> int:
    """A memory figure of a process from /proc, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def _multipart(boundary: str, size: int, digest: Any) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="duzy.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for _ in range(size // MB):
        piece = os.urandom(MB)
        digest.update(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


@contextmanager
def _serving(
    url: str, port: int, log: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """The knowledge service alone in a process of its own, as `crm serve` would run it."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, url, TEST_SECRET, str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(15)


def _reset_peak(pid: int) -> None:
    """Make the process's peak RSS (VmHWM) start again from its RSS now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


@pytest.mark.parametrize("storage", ["postgres", "s3"])
async def test_a_100_mb_upload_and_download_raise_the_rss_by_less_than_30_mb(
    storage: str, new_database: Any, tmp_path: Path, s3_server: S3Server
) -> None:
    url, port, log = await new_database("memory"), free_port(), tmp_path / "knowledge.log"
    env = {"KNOWLEDGE_STORAGE": storage}
    if storage == "s3":
        settings = s3_server.settings(f"memory{port}")
        env |= {f"KNOWLEDGE_{name.upper()}": str(value) for name, value in settings.items()}
    client = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=identity_headers(), timeout=120
    )
    with _serving(url, port, log, env) as process:
        async with client:
            await _wait_until_serving(client, process, log)
            await _round_trip(client, 2 * MB)  # warm up: every code path loaded once
            before = _status(process.pid, "VmRSS")
            _reset_peak(process.pid)
            sent, received = await _round_trip(client, 100 * MB)
            peak = _status(process.pid, "VmHWM")

    assert sent == received
    assert peak - before < 30 * MB, f"RSS grew by {(peak - before) / MB:.1f} MB"


async def _wait_until_serving(
    client: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, _tail(log)
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(_tail(log))


async def _round_trip(client: httpx.AsyncClient, size: int) -> tuple[str, str]:
    """Upload `size` random bytes and download them again; both SHA-256 digests."""
    sent, boundary = hashlib.sha256(), "crm-memory-test"
    upload = await client.post(
        "/api/documents",
        content=_async(_multipart(boundary, size, sent)),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert upload.status_code == 201, upload.text
    received = hashlib.sha256()
    async with client.stream("GET", f"/api/documents/{upload.json()['id']}/content") as answer:
        async for piece in answer.aiter_bytes():
            received.update(piece)
    return sent.hexdigest(), received.hexdigest()


async def _async(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece
