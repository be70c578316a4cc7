"""Text out of documents: PDF, DOCX, ODT, XLSX/ODS, plain text and Markdown.

Each reader takes a seekable file and gives the text and its number of pages (PDF: its own;
other formats: standard pages of 1,800 characters, as Polish publishing counts them).
"""

import math
from collections.abc import Callable, Iterator
from typing import IO, Any

MAX_TEXT = 2_000_000  # characters kept per document: more than any search needs
STANDARD_PAGE = 1800


class Unsupported(Exception):
    """No text can be had from this type of content (an image, an archive)."""


def standard_pages(text: str) -> int:
    return max(1, math.ceil(len(text) / STANDARD_PAGE)) if text else 0


def _pdf(file: IO[bytes]) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(file)
    parts, length = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        length += len(text)
        if length > MAX_TEXT:
            break
    return "\n\n".join(parts), len(reader.pages)


def _docx(file: IO[bytes]) -> str:
    import docx

    document: Any = docx.Document(file)
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx(file: IO[bytes]) -> str:
    from openpyxl import load_workbook

    workbook: Any = load_workbook(file, read_only=True, data_only=True)
    try:
        return "\n".join(_sheet_lines(workbook))
    finally:
        workbook.close()


def _sheet_lines(workbook: Any) -> Iterator[str]:
    length = 0
    for sheet in workbook.worksheets:
        yield str(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            line = " | ".join(str(value) for value in row if value is not None)
            if line:
                length += len(line)
                yield line
            if length > MAX_TEXT:
                return


def _opendocument(file: IO[bytes]) -> str:
    from odf import teletype
    from odf.opendocument import load
    from odf.table import TableCell
    from odf.text import H, P

    document: Any = load(file)
    parts = [
        str(teletype.extractText(element))
        for kind in (H, P)
        for element in document.getElementsByType(kind)
    ]
    if not any(parts):  # a spreadsheet keeps its text in cells
        parts = [str(teletype.extractText(c)) for c in document.getElementsByType(TableCell)]
    return "\n".join(part for part in parts if part)


def _text(file: IO[bytes]) -> str:
    return file.read(MAX_TEXT * 4).decode("utf-8", errors="replace")


_READERS: dict[str, Callable[[IO[bytes]], str]] = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _docx,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _xlsx,
    "application/vnd.oasis.opendocument.text": _opendocument,
    "application/vnd.oasis.opendocument.spreadsheet": _opendocument,
    "text/plain": _text,
    "text/markdown": _text,
    "text/csv": _text,
}


def can_extract(media_type: str) -> bool:
    return media_type == "application/pdf" or media_type in _READERS


def extract(file: IO[bytes], media_type: str) -> tuple[str, int]:
    """The text of the content and its pages; `Unsupported` for types without text."""
    if media_type == "application/pdf":
        text, pages = _pdf(file)
        return text[:MAX_TEXT], pages
    reader = _READERS.get(media_type)
    if reader is None:
        raise Unsupported(media_type)
    text = reader(file)[:MAX_TEXT]
    return text, standard_pages(text)
