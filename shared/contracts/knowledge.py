"""Events published by the knowledge service: documents, their versions, links and must-reads;
company services and the requests raised to departments."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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


# --- company services and requests to other departments ----------------------------------------

SERVICE_TOPIC = "crm.knowledge.service"
REQUEST_TOPIC = "crm.knowledge.request"

FieldType = Literal[
    "text",
    "number",
    "money",
    "date",
    "boolean",
    "select",
    "user",
    "document",
    "file",
    "company",
    "contact",
    "deal",
]
RequestStatus = Literal["submitted", "accepted", "returned", "delivered", "rejected", "cancelled"]


class FormField(BaseModel):
    """One field of a service's input or output form."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="the field's name in `inputs` / `outputs`", examples=["decision"])
    label: str = Field(description="what the form shows", examples=["Decyzja"])
    type: FieldType = Field(description="what the field holds")
    required: bool = Field(default=False, description="true: the form is refused without it")
    options: list[str] = Field(default_factory=list, description="the choices of a select")
    minimum: str | None = Field(default=None, description="a number or a date, by the type")
    maximum: str | None = Field(default=None, description="a number or a date, by the type")
    pattern: str | None = Field(default=None, description="a regular expression a text matches")
    prefill: str | None = Field(
        default=None, description="filled from the record raised from", examples=["deal.amount"]
    )
    help: str = Field(default="", description="a hint shown under the field")


@contract("crm.service.published.v1", topic=SERVICE_TOPIC, source=SOURCE)
class ServicePublished(Contract):
    """A company service was published or changed (a new form version when its forms changed)."""

    service_id: UUID = Field(description="the service")
    department_id: UUID = Field(description="the department that delivers it")
    name: str = Field(description="its name", examples=["Weryfikacja kredytowa klienta"])
    description: str = Field(default="", description="what it is for, for requesters")
    version: int = Field(ge=1, description="the current form version")
    inputs: list[FormField] = Field(description="what a requester fills in")
    outputs: list[FormField] = Field(description="what the department delivers")
    sla_hours: int = Field(description="working hours of the department to deliver")
    requesters: list[str] = Field(
        description="principals who may request it", examples=[["everyone"]]
    )
    active: bool = Field(description="false: withdrawn, no new requests")
    url: str = Field(description="its page, from the CRM's address", examples=["/services/6f1c…"])


class RequestSnapshot(Contract):
    """A service request as it stands after the step the event reports, inputs and outputs whole.

    Values are JSON: text, numbers and money as strings, dates as ISO strings, booleans, ids of
    users, companies, contacts and deals as strings, files as `{document_id, file_name}`."""

    request_id: UUID = Field(description="the request")
    service_id: UUID = Field(description="the service requested")
    service_name: str = Field(description="its name when the request was made")
    service_version: int = Field(description="the form version the request was made with")
    department_id: UUID = Field(description="the department that delivers it")
    requester_id: UUID = Field(description="who raised it")
    assignee_id: UUID | None = Field(
        description="who of the department works on it; null: nobody yet"
    )
    status: RequestStatus = Field(description="where it stands after this step")
    inputs: dict[str, Any] = Field(description="the input form's values by field key")
    outputs: dict[str, Any] = Field(description="the output form's values by field key, so far")
    deal_id: UUID | None = Field(description="the deal it was raised from")
    company_id: UUID | None = Field(description="the company it concerns; null: none")
    contact_id: UUID | None = Field(default=None, description="the contact it concerns; null: none")
    submitted_at: datetime = Field(description="when it was first submitted")
    due_at: datetime | None = Field(description="when the SLA runs out; null while returned")
    actor_id: UUID | None = Field(description="who took the step; null: the CRM (the SLA)")
    url: str = Field(description="its page, from the CRM's address", examples=["/requests/6f1c…"])


@contract("crm.request.submitted.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestSubmitted(RequestSnapshot):
    """A request reached the department's queue."""


@contract("crm.request.accepted.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestAccepted(RequestSnapshot):
    """Someone of the department took the request (`assignee_id`)."""


@contract("crm.request.returned.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestReturned(RequestSnapshot):
    """The department asks the requester for more information; the SLA clock stops."""

    comment: str = Field(description="what the department asks")


@contract("crm.request.resubmitted.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestResubmitted(RequestSnapshot):
    """The requester amended a returned request and sent it back; the SLA clock runs again."""

    comment: str = Field(default="", description="what the requester says of the change")


@contract("crm.request.delivered.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestDelivered(RequestSnapshot):
    """The department delivered every required output."""

    output_fields: list[FormField] = Field(description="the output form, to show the outputs")


@contract("crm.request.rejected.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestRejected(RequestSnapshot):
    """The department refused the request, saying why."""

    reason: str = Field(description="why")


@contract("crm.request.cancelled.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestCancelled(RequestSnapshot):
    """The requester withdrew the request."""

    reason: str = Field(default="", description="why, when given")


@contract("crm.request.commented.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestCommented(RequestSnapshot):
    """Someone commented on the request (with files, perhaps)."""

    comment_id: UUID = Field(description="the comment")
    author_id: UUID = Field(description="who wrote it")
    body: str = Field(description="its text")
    files: list[dict[str, Any]] = Field(
        default_factory=list, description="files attached: `{document_id, file_name}` each"
    )


@contract("crm.request.due_soon.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestDueSoon(RequestSnapshot):
    """Most of the SLA's working time is gone (sent once per submission)."""


@contract("crm.request.overdue.v1", topic=REQUEST_TOPIC, source=SOURCE)
class RequestOverdue(RequestSnapshot):
    """The SLA ran out before delivery: the department's head is told (sent once per request)."""


# --- the feed ("taśma"): posts, comments, reactions, promotion -------------------------------

POST_TOPIC = "crm.knowledge.post"

PostKind = Literal["note", "deal_won", "plan_approved", "request_delivered", "document_added"]


class PostRecord(Contract):
    """The company, contact or deal a post is a note on (its thread on the record)."""

    target: Literal["deal", "company", "contact"] = Field(description="the kind of record")
    target_id: UUID = Field(description="the record")


class PostSnapshot(Contract):
    """A post as it stands after the change."""

    post_id: UUID = Field(description="the post")
    author_id: UUID = Field(description="who wrote it; for an automatic post, who caused it")
    kind: PostKind = Field(description="`note`: written by a person; else the automatic kind")
    text: str = Field(description="light Markdown", examples=["Klient prosi o #rabat do piątku"])
    tags: list[str] = Field(
        default_factory=list, description="its #tags, without the #", examples=[["rabat"]]
    )
    audience: list[str] = Field(
        description="principals who may read it: `everyone`, `team:<id>`, `department:<id>`, "
        "`user:<id>`",
        examples=[["everyone"]],
    )
    important: bool = Field(default=False, description="the audience is asked to confirm it")
    pinned: bool = Field(default=False, description="shown on top of the feed")
    record: PostRecord | None = Field(default=None, description="the record it is a note on")
    mentioned_ids: list[UUID] = Field(default_factory=list, description="people @mentioned")
    attachments: int = Field(default=0, ge=0, description="files attached")
    document_id: UUID | None = Field(default=None, description="the document it was promoted to")
    created_at: datetime = Field(description="when it was written")
    edited_at: datetime | None = Field(default=None, description="its last edit; null: never")
    url: str = Field(description="the post's page in the CRM", examples=["/feed/posts/6f1c…"])


@contract("crm.post.created.v1", topic=POST_TOPIC, source=SOURCE)
class PostCreated(PostSnapshot):
    """A post was written (or made from an event: a deal won, a plan approved, ...)."""

    asked_ids: list[UUID] = Field(
        default_factory=list, description="an important post: the people asked to confirm it"
    )


@contract("crm.post.edited.v1", topic=POST_TOPIC, source=SOURCE)
class PostEdited(PostSnapshot):
    """A post's text, audience, importance or pin changed (the old text stays in its history)."""

    edited_by: UUID = Field(description="who edited it")
    new_mention_ids: list[UUID] = Field(
        default_factory=list, description="people mentioned by this change, not before"
    )
    asked_ids: list[UUID] = Field(
        default_factory=list, description="people asked to confirm it by this change"
    )


@contract("crm.post.deleted.v1", topic=POST_TOPIC, source=SOURCE)
class PostDeleted(Contract):
    """A post was deleted by its author or an administrator: gone from the feed and search."""

    post_id: UUID = Field(description="the post")
    author_id: UUID = Field(description="who wrote it")
    deleted_by: UUID = Field(description="who deleted it")
    deleted_at: datetime = Field(description="when")
    audience: list[str] = Field(description="the post's audience")
    record: PostRecord | None = Field(default=None, description="the record it was a note on")


@contract("crm.post.commented.v1", topic=POST_TOPIC, source=SOURCE)
class PostCommented(Contract):
    """Someone commented on a post."""

    post_id: UUID = Field(description="the post")
    comment_id: UUID = Field(description="the comment")
    author_id: UUID = Field(description="who wrote the comment")
    post_author_id: UUID = Field(description="who wrote the post")
    text: str = Field(description="the comment, light Markdown")
    mentioned_ids: list[UUID] = Field(default_factory=list, description="people @mentioned")
    audience: list[str] = Field(description="the post's audience")
    record: PostRecord | None = Field(default=None, description="the record the post is on")
    created_at: datetime = Field(description="when it was written")
    url: str = Field(description="the post's page in the CRM")


@contract("crm.post.reacted.v1", topic=POST_TOPIC, source=SOURCE)
class PostReacted(Contract):
    """Someone added or took back a reaction to a post."""

    post_id: UUID = Field(description="the post")
    post_author_id: UUID = Field(description="who wrote the post")
    user_id: UUID = Field(description="who reacted")
    reaction: str = Field(description="the kind of reaction", examples=["like"])
    added: bool = Field(description="false: the reaction was taken back")
    counts: dict[str, int] = Field(description="the post's reactions by kind, after the change")
    audience: list[str] = Field(description="the post's audience")
    record: PostRecord | None = Field(default=None, description="the record the post is on")


@contract("crm.post.promoted.v1", topic=POST_TOPIC, source=SOURCE)
class PostPromoted(Contract):
    """A post, with its comments and attachments, became a document in a folder."""

    post_id: UUID = Field(description="the post")
    post_author_id: UUID = Field(description="who wrote the post")
    document_id: UUID = Field(description="the document made of it")
    folder_id: UUID = Field(description="the document's folder")
    promoted_by: UUID = Field(description="who made the document")
    promoted_at: datetime = Field(description="when")
    url: str = Field(description="the document's page in the CRM")
    audience: list[str] = Field(description="the post's audience")
    record: PostRecord | None = Field(default=None, description="the record the post is on")
