"""Request and response models of the company services and the requests to departments."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.knowledge.domain import forms
from services.knowledge.domain.lifecycle import Status
from services.knowledge.schemas import Principals
from shared.contracts.knowledge import FieldType
from shared.schemas import Strict

Text = Annotated[str, Field(max_length=5000)]
Reason = Annotated[str, Field(min_length=1, max_length=5000)]
Values = Annotated[
    dict[str, Any],
    Field(
        max_length=forms.MAX_FIELDS,
        description="by field key: text, a number or an amount as a string, a date "
        "(YYYY-MM-DD), true/false, an option, or the id of a user, an uploaded file "
        "(`POST /api/requests/files`), a company, a contact or a deal",
        examples=[{"company": "0b6e2a9c-3f3e-4f43-9d4a-1c2b3d4e5f60", "limit": "50000"}],
    ),
]


class FieldSpec(Strict):
    """One field of a service's input or output form."""

    key: Annotated[str, Field(min_length=1, max_length=40, examples=["decision"])]
    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Decyzja"])]
    type: FieldType
    required: bool = False
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, examples=[["approved", "rejected"]]
    )
    minimum: Annotated[str | None, Field(max_length=40)] = Field(
        default=None, description="numbers and amounts: the least; dates: the earliest"
    )
    maximum: Annotated[str | None, Field(max_length=40)] = None
    pattern: Annotated[str | None, Field(max_length=200)] = Field(
        default=None, description="a regular expression the whole text must match"
    )
    prefill: str | None = Field(
        default=None,
        description="filled from the deal or company a request is raised from: "
        + ", ".join(forms.PREFILLS),
    )
    help: Annotated[str, Field(max_length=300)] = ""

    def field(self) -> forms.Field:
        return forms.Field(
            key=self.key,
            label=self.label,
            type=self.type,
            required=self.required,
            options=tuple(self.options),
            minimum=self.minimum or None,
            maximum=self.maximum or None,
            pattern=self.pattern or None,
            prefill=self.prefill or None,
            help=self.help,
        )


Form = Annotated[list[FieldSpec], Field(max_length=forms.MAX_FIELDS)]


class ServiceCreate(Strict):
    department_id: UUID = Field(description="the department that handles it")
    name: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        examples=["Weryfikacja kredytowa klienta"]
    )
    description: Text = ""
    sla_hours: Annotated[int, Field(ge=1, le=2000)] = Field(
        description="working hours of the department to deliver", examples=[8]
    )
    requesters: Principals = Field(
        default_factory=lambda: ["everyone"], description="who may request it"
    )
    inputs: Form = Field(default_factory=list, description="what must be given")
    outputs: Form = Field(default_factory=list, description="what the department delivers")


class ServiceUpdate(Strict):
    """Any of these; new forms make a new version (requests keep the version they were made with)."""

    department_id: UUID | None = None
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    description: Annotated[str | None, Field(max_length=5000)] = None
    sla_hours: Annotated[int | None, Field(ge=1, le=2000)] = None
    requesters: Principals | None = None
    inputs: Form | None = None
    outputs: Form | None = None
    active: bool | None = None


class FieldPublic(BaseModel):
    key: str
    label: str
    type: FieldType
    required: bool
    options: list[str]
    minimum: str | None
    maximum: str | None
    pattern: str | None
    prefill: str | None
    help: str


class ServicePublic(BaseModel):
    id: UUID
    department_id: UUID
    department_name: str
    name: str
    description: str
    sla_hours: int
    requesters: list[str]
    version: int
    inputs: list[FieldPublic]
    outputs: list[FieldPublic]
    active: bool
    may_request: bool = Field(description="whether the caller may request it")
    created_at: datetime
    updated_at: datetime


class RequestCreate(Strict):
    service_id: UUID
    inputs: Values = Field(default_factory=dict)
    deal_id: UUID | None = Field(default=None, description="the deal it is raised from")
    company_id: UUID | None = Field(default=None, description="the company it is raised for")
    contact_id: UUID | None = None
    comment: Text = ""


class RequestAccept(Strict):
    assignee_id: UUID | None = Field(
        default=None, description="default: the caller; someone else: the department's head"
    )


class BulkAccept(Strict):
    request_ids: Annotated[list[UUID], Field(min_length=1, max_length=200)]


class RequestReturn(Strict):
    comment: Reason = Field(description="what the department still needs")


class RequestResubmit(Strict):
    inputs: Values = Field(default_factory=dict, description="the inputs that change")
    comment: Text = ""


class RequestDeliver(Strict):
    outputs: Values
    comment: Text = ""


class RequestReject(Strict):
    reason: Reason


class RequestCancel(Strict):
    reason: Text = ""


class CommentCreate(Strict):
    body: Text = ""
    files: Annotated[list[UUID], Field(max_length=10)] = Field(
        default_factory=list, description="uploaded files (`POST /api/requests/files`)"
    )


class UploadedFile(BaseModel):
    document_id: UUID
    file_name: str
    size: int
    media_type: str


class StepPublic(BaseModel):
    id: UUID
    kind: str = Field(
        description="submitted | accepted | returned | resubmitted | delivered | rejected | "
        "cancelled | comment"
    )
    author_id: UUID
    author_name: str | None
    body: str
    files: list[dict[str, Any]]
    at: datetime


Standing = Literal["on_time", "due_soon", "overdue"]


class RequestPublic(BaseModel):
    id: UUID
    service_id: UUID
    service_name: str
    service_version: int
    department_id: UUID
    department_name: str
    requester_id: UUID
    requester_name: str | None
    assignee_id: UUID | None
    assignee_name: str | None
    status: Status
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    input_fields: list[FieldPublic]
    output_fields: list[FieldPublic]
    deal_id: UUID | None
    company_id: UUID | None
    contact_id: UUID | None
    names: dict[str, str] = Field(
        description="what the ids of the request name: people, deals, companies, contacts"
    )
    sla_hours: int
    submitted_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None = Field(description="when the SLA runs out; null unless running")
    warn_at: datetime | None
    sla: Standing | None = Field(description="how the running SLA stands")
    may: list[str] = Field(description="the steps the caller may take now")
    steps: list[StepPublic] | None = Field(default=None, description="with one request only")
    updated_at: datetime = Field(
        description="its last change: a step, a comment, the SLA's warning or end"
    )


class LoadRow(BaseModel):
    assignee_id: UUID | None = Field(description="null: nobody has taken them yet")
    assignee_name: str | None
    open: int
    due_soon: int
    overdue: int


class DepartmentLoad(BaseModel):
    department_id: UUID
    department_name: str
    rows: list[LoadRow]
