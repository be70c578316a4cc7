"""A small HTTP/1.1 load generator: N keep-alive connections, each sending its next request as
soon as the previous answer is read, for a fixed time.

It runs in a process of its own (`python -m bench.load`, a JSON spec on stdin, a JSON result on
stdout), so what it costs is not counted against the server it measures, and it speaks raw
HTTP over asyncio streams: a few tens of microseconds per request, far less than any server
it is pointed at.
"""

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One kind of request: method, path, headers and body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def encoded(self, host: str) -> bytes:
        body = self.body.encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    requests: int
    seconds: float
    statuses: dict[str, int]
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def read_answer(reader: asyncio.StreamReader) -> int:
    """Read one whole answer (Content-Length or chunked); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str, port: int, requests: list[bytes], until: float, warm_until: float, out: Result
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while (now := time.perf_counter()) < until:
            writer.write(requests[i % len(requests)])
            i += 1
            try:
                status = await read_answer(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                out.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if now >= warm_until:
                out.latencies_ms.append((time.perf_counter() - now) * 1000)
                out.statuses[str(status)] = out.statuses.get(str(status), 0) + 1
                out.requests += 1
    finally:
        writer.close()


async def run(
    host: str, port: int, calls: list[Call], *, connections: int, seconds: float, warmup: float
) -> Result:
    """Every connection cycles through `calls` (each starting at its own place) for `seconds`
    after `warmup` seconds that are not counted."""
    encoded = [call.encoded(f"{host}:{port}") for call in calls]
    out = Result(0, seconds, {}, [], 0)
    start = time.perf_counter()
    warm_until, until = start + warmup, start + warmup + seconds
    await asyncio.gather(
        *(
            _connection(host, port, encoded[i:] + encoded[:i], until, warm_until, out)
            for i in range(connections)
        )
    )
    return out


def main() -> None:
    spec: dict[str, Any] = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    result = asyncio.run(
        run(
            spec["host"],
            spec["port"],
            [Call(**call) for call in spec["calls"]],
            connections=spec["connections"],
            seconds=spec["seconds"],
            warmup=spec["warmup"],
        )
    )
    json.dump(asdict(result), sys.stdout)


if __name__ == "__main__":
    main()
