"""The knowledge service's request and response models, shared by its routers and use cases."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from services.knowledge.domain.access import parse_principal
from shared.schemas import Strict

if TYPE_CHECKING:
    from services.knowledge.domain.text import Snippet
    from services.knowledge.tables import Document, DocumentVersion, Folder
    from services.knowledge.usecases.acknowledgements import Confirmation
    from services.knowledge.usecases.folders import Access


def _principal(text: str) -> str:
    _kind, id_ = parse_principal(text)
    if id_ is not None:
        UUID(id_)  # ValueError names it
    return text


Principal = Annotated[
    str,
    Field(
        max_length=60,
        description="`everyone`, `team:<id>` (the group and those below it), "
        "`department:<id>` or `user:<id>`",
        examples=["team:0b6e2a9c-3f3e-4f43-9d4a-1c2b3d4e5f60"],
    ),
    AfterValidator(_principal),
]
Principals = Annotated[list[Principal], Field(max_length=200)]
Tag = Annotated[str, Field(min_length=1, max_length=50)]
Target = Literal["deal", "company", "contact"]
Type = Literal["pdf", "text_document", "spreadsheet", "presentation", "image", "text", "page"]


class FolderCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["Cenniki"])]
    parent_id: UUID | None = None
    readers: Principals | None = Field(
        default=None, description="defaults to the parent's (top level: everyone)"
    )
    editors: Principals | None = Field(default=None, description="defaults to the parent's")


class FolderUpdate(Strict):
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    readers: Principals | None = None
    editors: Principals | None = None


class FolderPublic(BaseModel):
    id: UUID
    parent_id: UUID | None
    name: str
    readers: list[str]
    editors: list[str]
    may_edit: bool
    created_at: datetime

    @classmethod
    def of(cls, folder: "Folder", access: "Access", *, may_edit: bool) -> "FolderPublic":
        return cls(
            id=folder.id,
            parent_id=folder.parent_id,
            name=folder.name,
            readers=list(access.readers),
            editors=list(access.editors),
            may_edit=may_edit,
            created_at=folder.created_at,
        )


class DocumentUpdate(Strict):
    title: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    description: Annotated[str | None, Field(max_length=5000)] = None
    tags: Annotated[list[Tag] | None, Field(max_length=30)] = None
    valid_until: date | None = None
    folder_id: UUID | None = Field(default=None, description="move it (null: out of the folders)")


class LinkCreate(Strict):
    target: Target
    target_id: UUID


class MustRead(Strict):
    audience: Principals = Field(
        description="groups and departments (or people) who must confirm every version; "
        "empty: nobody"
    )


class Extracted(BaseModel):
    status: Literal["pending", "running", "done", "failed", "unsupported"]
    pages: int
    error: str | None


class VersionPublic(BaseModel):
    number: int
    file_name: str
    media_type: str
    size: int
    sha256: str
    note: str
    author_id: UUID
    restored_from: int | None
    created_at: datetime
    current: bool

    @classmethod
    def of(cls, version: "DocumentVersion", *, current: int) -> "VersionPublic":
        return cls(
            number=version.number,
            file_name=version.file_name,
            media_type=version.media_type,
            size=version.size,
            sha256=version.sha256,
            note=version.note,
            author_id=version.author_id,
            restored_from=version.restored_from,
            created_at=version.created_at,
            current=version.number == current,
        )


class LinkPublic(BaseModel):
    target: Target
    target_id: UUID
    linked_by: UUID
    linked_at: datetime


class DocumentPublic(BaseModel):
    id: UUID
    folder_id: UUID | None
    kind: Literal["file", "page"]
    title: str
    description: str
    tags: list[str]
    owner_id: UUID
    valid_until: date | None
    expired: bool = Field(description="past its valid-until date")
    version: int
    file_name: str
    media_type: str
    size: int
    sha256: str
    language: str
    must_read: list[str]
    may_edit: bool
    extraction: Extracted | None = None
    links: list[LinkPublic] = Field(default_factory=list)
    to_confirm: bool = Field(
        default=False, description="the caller is asked to confirm this version"
    )
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(
        cls, document: "Document", *, may_edit: bool, today: date, **more: Any
    ) -> "DocumentPublic":
        return cls(
            id=document.id,
            folder_id=document.folder_id,
            kind=document.kind,
            title=document.title,
            description=document.description,
            tags=list(document.tags),
            owner_id=document.owner_id,
            valid_until=document.valid_until,
            expired=document.valid_until is not None and document.valid_until < today,
            version=document.version,
            file_name=document.file_name,
            media_type=document.media_type,
            size=document.size,
            sha256=document.sha256,
            language=document.language,
            must_read=list(document.must_read),
            may_edit=may_edit,
            created_at=document.created_at,
            updated_at=document.updated_at,
            archived_at=document.archived_at,
            **more,
        )


class ConfirmationPublic(BaseModel):
    user_id: UUID
    name: str | None
    requested_at: datetime
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, confirmation: "Confirmation") -> "ConfirmationPublic":
        return cls(
            user_id=confirmation.user_id,
            name=confirmation.name,
            requested_at=confirmation.requested_at,
            acknowledged_at=confirmation.acknowledged_at,
        )


class Confirmations(BaseModel):
    version: int
    confirmed: int
    waiting: int
    people: list[ConfirmationPublic]


class MustReadItem(BaseModel):
    document_id: UUID
    title: str
    version: int
    requested_at: datetime
    acknowledged_at: datetime | None


class Fragment(BaseModel):
    text: str
    match: bool

    @staticmethod
    def list_of(snippet: "Snippet | None") -> list["Fragment"]:
        return [Fragment(text=t, match=m) for t, m in snippet.parts] if snippet else []


class SearchHit(BaseModel):
    kind: Literal["document"] = "document"
    id: UUID
    url: str = Field(description="the document's page in the CRM")
    title: list[Fragment] = Field(description="the title, matched words marked")
    snippet: list[Fragment] = Field(description="the text around the matches, matched words marked")
    score: float
    folder_id: UUID | None
    media_type: str
    document_kind: Literal["file", "page"]
    owner_id: UUID
    version: int
    updated_at: datetime


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None
