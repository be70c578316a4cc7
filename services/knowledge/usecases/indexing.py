"""A document's search vector: its title, tags, description and text, in one `tsvector`."""

import asyncio
from typing import Any

from sqlalchemy import cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge import language
from services.knowledge.domain.text import Field, document_vectors, fold, language_of
from services.knowledge.tables import Document, Extraction


async def text_of(session: AsyncSession, sha256: str) -> str:
    """The extracted text of a content; empty until extraction is done."""
    found = await session.scalar(
        select(Extraction.text).where(Extraction.sha256 == sha256, Extraction.status == "done")
    )
    return found or ""


def _fields(document: Document, text: str) -> list[Field]:
    return [
        Field(document.title, "A"),
        Field(" ".join(document.tags), "A"),
        Field(document.description, "B"),
        Field(text, "D"),
    ]


SUMMARY_TEXT = 3000  # characters of an English text its summary keeps


async def index_document(session: AsyncSession, document: Document, text: str) -> None:
    """Polish by its lemmas (written here); English through PostgreSQL's `english` stemmer."""
    fields = _fields(document, text)
    document.language, document.search, summary = await vectors_of(fields)
    if document.language == "en":
        summary = _english([*fields[:-1], Field(text[:SUMMARY_TEXT], "D")])
    document.summary = summary


async def vectors_of(fields: list[Field]) -> tuple[str, Any, Any]:
    """The language of the fields, and the expressions of their full and summary vectors
    (English: both the whole text through PostgreSQL's stemmer)."""
    spoken = language_of(" ".join(field.text[:20000] for field in fields))
    if spoken == "en":
        return spoken, _english(fields), _english(fields)
    vectors = await asyncio.to_thread(document_vectors, fields, language.lexemes)
    return spoken, cast(vectors.full, TSVECTOR), cast(vectors.summary, TSVECTOR)


# `setweight` takes a `"char"`, which no bound parameter is: the weight is written as a literal.
_WEIGHTS: dict[str, Any] = {weight: literal_column(f"'{weight}'") for weight in "ABCD"}


def _english(fields: list[Field]) -> Any:
    vectors = [
        func.setweight(func.to_tsvector("english", fold(field.text)), _WEIGHTS[field.weight])
        for field in fields
    ]
    combined: Any = vectors[0]
    for vector in vectors[1:]:
        combined = combined.op("||")(vector)
    return combined


async def reindex_content(session: AsyncSession, sha256: str, text: str) -> None:
    """Every document whose current version has this content, now that its text is known."""
    documents = await session.scalars(
        select(Document).where(Document.sha256 == sha256).with_for_update()
    )
    for document in documents:
        await index_document(session, document, text)
