"""Documents for tests, made by the tests: a small PDF with Polish text, a DOCX, an XLSX, an ODT."""

import io

# Helvetica with the Polish letters WinAnsi lacks put on free codes, by their glyph names,
# so a PDF reader maps them back to Unicode.
_POLISH = "ąćęłńśźżĄĆĘŁŃŚŹŻ"
_GLYPHS = (
    "aogonek cacute eogonek lslash nacute sacute zacute zdotaccent "
    "Aogonek Cacute Eogonek Lslash Nacute Sacute Zacute Zdotaccent"
)
_CODES = {letter: 0x80 + i for i, letter in enumerate(_POLISH)}


def _encoded(line: str) -> bytes:
    out = bytearray()
    for letter in line:
        code = _CODES.get(letter)
        out += bytes([code]) if code is not None else letter.encode("cp1252")
    return bytes(out).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf(*pages: list[str]) -> bytes:
    """A PDF with one page per list of lines."""
    fonts = 3 + 2 * len(pages)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{3 + 2 * i} 0 R".encode() for i in range(len(pages)))
        + f"] /Count {len(pages)} >>".encode(),
    ]
    for i, lines in enumerate(pages):
        stream = (
            b"BT /F1 12 Tf 50 750 Td 14 TL "
            + b" ".join(b"(" + _encoded(line) + b") '" for line in lines)
            + b" ET"
        )
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {fonts} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
        b"/BaseEncoding /WinAnsiEncoding /Differences [128 "
        + " ".join(f"/{glyph}" for glyph in _GLYPHS.split()).encode()
        + b"] >> >>"
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def docx(*paragraphs: str) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def odt(*paragraphs: str) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()
