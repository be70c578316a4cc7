"""Events published by the knowledge service: documents, their versions, links and must-reads."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/knowledge"
DOCUMENT_TOPIC = "crm.knowledge.document"


class DocumentSnapshot(Contract):
    """A document as it stands after the change, with its current version."""

    document_id: UUID = Field(description="the document")
    folder_id: UUID | None = Field(description="null: kept with its owner, outside the folders")
    kind: Literal["file", "page"] = Field(description="an uploaded file, or a page written here")
    title: str = Field(description="the document's title", examples=["Regulamin sprzedaży 2026"])
    tags: list[str] = Field(
        default_factory=list,
        description="words to find it by",
        examples=[["regulamin", "sprzedaż"]],
    )
    owner_id: UUID = Field(description="who added it")
    valid_until: date | None = Field(default=None, description="e.g. when a price list expires")
    version: int = Field(ge=1, description="the current version's number")
    media_type: str = Field(description="sniffed from the content", examples=["application/pdf"])
    file_name: str = Field(
        description="the current version's file name", examples=["Regulamin sprzedaży.pdf"]
    )
    size: int = Field(ge=0, description="bytes")
    sha256: str = Field(description="hex digest of the current version's content")
    url: str = Field(
        description="the document's page in the CRM", examples=["/knowledge/documents/6f1c…"]
    )


@contract("crm.document.created.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentCreated(DocumentSnapshot):
    """A document was added to the knowledge base (its first version)."""


@contract("crm.document.versioned.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentVersioned(DocumentSnapshot):
    """A new version became current: an upload, or an older version restored."""

    author_id: UUID = Field(description="who added the version")
    note: str = Field(
        default="",
        description="what changed, in the author's words",
        examples=["Ceny od 1 stycznia"],
    )
    restored_from: int | None = Field(default=None, description="the version brought back")


@contract("crm.document.archived.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentArchived(DocumentSnapshot):
    """A document was archived: gone from lists and search; links to it no longer count."""


@contract("crm.document.linked.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentLinked(Contract):
    """A document was attached to a deal, a company or a contact (e.g. the commercial offer)."""

    document_id: UUID = Field(description="the document")
    title: str = Field(description="the document's title")
    target: Literal["deal", "company", "contact"] = Field(description="what it was attached to")
    target_id: UUID = Field(description="the deal, company or contact")
    linked_by: UUID = Field(description="who attached it")
    linked_at: datetime = Field(description="when")
    url: str = Field(
        description="the document's page in the CRM", examples=["/knowledge/documents/6f1c…"]
    )


@contract("crm.document.acknowledgement_requested.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentAcknowledgementRequested(Contract):
    """People must read a document's version and confirm it (a must-read; asked again per version)."""

    document_id: UUID = Field(description="the document")
    title: str = Field(description="the document's title")
    version: int = Field(description="the version to read")
    recipient_ids: list[UUID] = Field(description="those asked now")
    requested_by: UUID = Field(description="who asked")


@contract("crm.document.acknowledged.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentAcknowledged(Contract):
    """Someone confirmed having read a must-read document's version."""

    document_id: UUID = Field(description="the document")
    version: int = Field(description="the version read")
    user_id: UUID = Field(description="who confirmed")
    acknowledged_at: datetime = Field(description="when")
