"""Uploaded content on its way in: streamed to a temporary file, hashed, sized, its type sniffed.

The type comes from the bytes, never from what the client says; the file name only tells
Markdown and CSV from other plain text.
"""

import asyncio
import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO

import filetype

from services.knowledge.storage import CHUNK
from shared.errors import Invalid
from shared.text import N_

OCTET_STREAM = "application/octet-stream"
_ZIPPED = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_TEXT_NAMES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv"}


class TooLarge(Invalid):
    """The upload is over the size limit (413)."""

    status_code = 413


@dataclass(frozen=True)
class ContentInfo:
    """What a version's content is: its hash, size, sniffed type and file name."""

    file_name: str
    size: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class Staged(ContentInfo):
    """Content received in full, waiting in a temporary file to be kept."""

    file: IO[bytes]

    async def chunks(self) -> AsyncIterator[bytes]:
        await asyncio.to_thread(self.file.seek, 0)
        while piece := await asyncio.to_thread(self.file.read, CHUNK):
            yield piece

    def close(self) -> None:
        self.file.close()


async def stage_file(file: IO[bytes], file_name: str, *, limit: int) -> Staged:
    """Hash and sniff a received file (read in pieces; refused when over `limit` bytes)."""
    digest, size = hashlib.sha256(), 0
    await asyncio.to_thread(file.seek, 0)
    while piece := await asyncio.to_thread(file.read, CHUNK):
        digest.update(piece)
        size += len(piece)
        if size > limit:
            raise TooLarge({"file": N_("the file is larger than the limit")})
    media_type = await asyncio.to_thread(sniff, file, file_name)
    return Staged(_safe_name(file_name), size, digest.hexdigest(), media_type, file)


def stage_text(text: str, file_name: str) -> Staged:
    """A page written in the CRM, as Markdown content."""
    data = text.encode()
    digest = hashlib.sha256(data).hexdigest()
    return Staged(file_name, len(data), digest, "text/markdown", io.BytesIO(data))


def _safe_name(name: str) -> str:
    """The last part of a path, without control characters; `file` when nothing is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in name if c.isprintable()).strip()
    return cleaned[:200] or "file"


def sniff(file: IO[bytes], file_name: str) -> str:
    """The media type of the content, judged by its bytes."""
    file.seek(0)
    head = file.read(8192)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zipped(file)
    guessed = filetype.guess_mime(head)
    if guessed:
        return str(guessed)
    if _is_text(head):
        suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        return _TEXT_NAMES.get(suffix, "text/plain")
    return OCTET_STREAM


def _zipped(file: IO[bytes]) -> str:
    """Office Open XML and OpenDocument files are zip archives: look inside."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return declared
            for member, media_type in _ZIPPED.items():
                if member in names:
                    return media_type
    except (zipfile.BadZipFile, OSError, ValueError):
        return OCTET_STREAM
    return "application/zip"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut at the end of the sample
    return True
