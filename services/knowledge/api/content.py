"""Answering with content: streamed, with Range, ETag and a Content-Disposition that keeps a
Polish file name intact."""

import re
import unicodedata
from urllib.parse import quote

from fastapi import Request, Response, status
from fastapi.responses import StreamingResponse

from services.knowledge.storage import ContentStore
from services.knowledge.uploads import ContentInfo
from shared.conditional import none_match_hits
from shared.routing import head_asked

# Shown in the browser when asked to (a preview); anything else is always a download.
INLINE = {
    "application/pdf": "application/pdf",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "text/plain": "text/plain; charset=utf-8",
    "text/markdown": "text/plain; charset=utf-8",
    "text/csv": "text/plain; charset=utf-8",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ascii(letter: str) -> str:
    base = unicodedata.normalize("NFKD", letter.replace("ł", "l").replace("Ł", "L"))[:1]
    return base if base.isascii() and base.isprintable() and base not in '"\\' else "_"


def disposition(kind: str, file_name: str) -> str:
    """RFC 6266: the UTF-8 name (`Cennik łódzki.pdf` stays as it is) and an ASCII fallback
    for old clients (`Cennik lodzki.pdf`)."""
    fallback = "".join(_ascii(letter) for letter in file_name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(start, end) of one satisfiable range; None for the whole; False when unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # a range we do not understand (several ranges): the whole content
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else False
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def content_response(
    request: Request, store: ContentStore, content: ContentInfo, *, inline: bool
) -> Response:
    etag = f'"{content.sha256}"'
    shown = inline and content.media_type in INLINE
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "Content-Disposition": disposition("inline" if shown else "attachment", content.file_name),
        "X-Content-Type-Options": "nosniff",
    }
    media_type = INLINE[content.media_type] if shown else content.media_type
    if none_match_hits(request.headers.get("if-none-match"), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    wanted = _byte_range(request.headers.get("range"), content.size)
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range != etag:
        wanted = None
    if wanted is False:
        headers["Content-Range"] = f"bytes */{content.size}"
        return Response(status_code=status.HTTP_416_RANGE_NOT_SATISFIABLE, headers=headers)
    if content.size == 0:
        return Response(b"", media_type=media_type, headers=headers)
    start, end = wanted if isinstance(wanted, tuple) else (0, content.size - 1)
    headers["Content-Length"] = str(end - start + 1)
    code = status.HTTP_200_OK
    if isinstance(wanted, tuple):
        headers["Content-Range"] = f"bytes {start}-{end}/{content.size}"
        code = status.HTTP_206_PARTIAL_CONTENT
    if head_asked(request.scope):  # the headers only: nothing is read from the store
        return Response(b"", code, headers=headers, media_type=media_type)
    return StreamingResponse(
        store.read(content.sha256, start, end), code, headers=headers, media_type=media_type
    )
