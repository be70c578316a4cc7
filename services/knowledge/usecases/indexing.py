"""A document's search vectors: its title, tags, description and text, in `tsvector`s."""

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import cast, delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge import language
from services.knowledge.domain.text import (
    Field,
    anchor_buckets,
    document_vectors,
    fold,
    language_of,
    word_anchors,
)
from services.knowledge.tables import Document, DocumentAnchors, DocumentSearch, Extraction


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


def summary_text(text: str) -> str:
    """The beginning of an English text its summary is made of: whole words only, so that
    every lexeme of the summary is one of the full vector's (a search relies on it)."""
    if len(text) <= SUMMARY_TEXT:
        return text
    head = text[: SUMMARY_TEXT + 1]
    return head.rsplit(None, 1)[0] if len(head.split(None, 1)) > 1 else ""


@dataclass(frozen=True)
class Indexed:
    """What indexing makes of some fields: their language, the expressions of their full and
    summary vectors, and where each lexeme first appears in the weight-D text."""

    language: str
    search: Any
    summary: Any
    anchors: dict[str, int]


async def index_document(session: AsyncSession, document: Document, text: str) -> None:
    """Polish by its lemmas (written here); English through PostgreSQL's `english` stemmer.
    Both vectors go to the document's search row."""
    indexed = await vectors_of(_fields(document, text))
    document.language = indexed.language
    copied = {
        "folder_id": document.folder_id,
        "owner_id": document.owner_id,
        "updated_at": document.updated_at,
        "archived_at": document.archived_at,
    }
    row = insert(DocumentSearch).values(
        document_id=document.id,
        **copied,
        search=indexed.search,
        summary=indexed.summary,
        anchored=True,
    )
    found = {"search": row.excluded.search, "summary": row.excluded.summary, "anchored": True}
    await session.execute(
        row.on_conflict_do_update(index_elements=[DocumentSearch.document_id], set_=found)
    )
    await session.execute(delete(DocumentAnchors).where(DocumentAnchors.document_id == document.id))
    buckets = anchor_buckets(indexed.anchors)
    if buckets:
        await session.execute(
            insert(DocumentAnchors),
            [
                {"document_id": document.id, "bucket": bucket, "anchors": anchors}
                for bucket, anchors in buckets.items()
            ],
        )


async def vectors_of(fields: list[Field]) -> Indexed:
    """The language of the fields, the expressions of their full and summary vectors (English:
    through PostgreSQL's stemmer, the summary from the text's beginning), and the text's
    anchors."""
    spoken = language_of(" ".join(field.text[:20000] for field in fields))
    if spoken == "en":
        text = " ".join(field.text for field in fields if field.weight == "D")
        beginning = [
            Field(summary_text(field.text), "D") if field.weight == "D" else field
            for field in fields
        ]
        return Indexed(spoken, _english(fields), _english(beginning), word_anchors(text))
    vectors = await asyncio.to_thread(document_vectors, fields, language.lexemes)
    full, summary = cast(vectors.full, TSVECTOR), cast(vectors.summary, TSVECTOR)
    return Indexed(spoken, full, summary, vectors.anchors)


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
