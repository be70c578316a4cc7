"""Where file content lives, by its SHA-256: one small interface, two implementations.

`PostgresStore` keeps content in the service's own database (the default: the embedded mode
needs nothing else); `S3Store` in a bucket of an S3-compatible object store. Both take and give
content as streams of chunks, so a large file never sits whole in memory.
"""

from collections.abc import AsyncIterator
from typing import Protocol

CHUNK = 1024 * 1024


class ContentStore(Protocol):
    async def start(self) -> None:
        """Get ready (e.g. make sure the bucket exists)."""

    async def close(self) -> None: ...

    async def has(self, sha256: str) -> bool:
        """Whether content with this hash is kept."""

    async def put(self, sha256: str, size: int, chunks: AsyncIterator[bytes]) -> None:
        """Keep `size` bytes under their hash; nothing happens when they are kept already."""

    def read(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes `start` to `end` (inclusive) of a kept content, in chunks."""
