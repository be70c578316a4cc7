"""The deals service's request and response models, shared by its routers and use cases."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
)

from services.deals.domain.fields import FieldType, RecordType
from services.deals.domain.nip import normalize_nip
from shared.schemas import Changed, Day, Moment, Strict
from shared.text import N_

if TYPE_CHECKING:
    from services.deals.tables import Company


MAX_AMOUNT = Decimal("999999999999.99")  # what numeric(14, 2) holds
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, examples=["125000.00"]),
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),  # one spelling everywhere
]


# ISO 4217 as CLDR knows it, but the codes for testing and for no currency at all.
CURRENCIES = frozenset(list_currencies()) - {"XTS", "XXX"}
NO_SUCH_CURRENCY = N_("is not an ISO 4217 currency code")


def _known_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError(NO_SUCH_CURRENCY)
    return code


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", examples=["PLN"], description="an ISO 4217 code"),
    AfterValidator(_known_currency),
]


class DocumentLink(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200, examples=["Oferta handlowa v2"])]
    url: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^(https?://|/)")]


class DealCreate(Strict):
    title: Annotated[
        str,
        Field(min_length=1, max_length=200, examples=["Linia pakująca dla Kowalski sp. z o.o."]),
    ]
    company_id: UUID
    owner_id: UUID | None = Field(default=None, description="defaults to the caller")
    amount: Money | None = None
    currency: Currency = "PLN"
    expected_close_date: Day | None = None
    pipeline_id: UUID | None = Field(default=None, description="defaults to the default pipeline")
    stage_id: UUID | None = Field(
        default=None, description="defaults to the pipeline's first stage"
    )
    probability: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="defaults from the stage"
    )
    source: Annotated[str, Field(max_length=100)] | None = None
    contact_ids: list[UUID] = Field(default_factory=list, max_length=50)
    custom: dict[str, Any] = Field(default_factory=dict)
    documents: list[DocumentLink] = Field(
        default_factory=list,
        max_length=10,
        description="documents linked as the deal opens; they count for the stage's requirements",
    )


class DealImport(DealCreate):
    """A deal as a CSV row gives it: `DealCreate` and, as imported deals may already be lost, why."""

    lost_reason: Annotated[str, Field(max_length=100)] | None = None


class DealUpdate(Strict):
    """Any fields to change; with `stage_id` the deal moves, once the stage's requirements are met."""

    title: Changed[Annotated[str, Field(min_length=1, max_length=200)]] = None
    company_id: Changed[UUID] = None
    owner_id: Changed[UUID] = None
    amount: Money | None = None
    currency: Changed[Currency] = None
    expected_close_date: Day | None = None
    stage_id: Changed[UUID] = None
    probability: Changed[Annotated[int, Field(ge=0, le=100)]] = None
    source: Annotated[str, Field(max_length=100)] | None = None
    contact_ids: Changed[Annotated[list[UUID], Field(max_length=50)]] = None
    custom: Changed[dict[str, Any]] = None
    lost_reason: Annotated[str, Field(max_length=100)] | None = None


class BulkMove(Strict):
    deal_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]
    stage_id: UUID


class HandOver(Strict):
    """Everything a person owns given to a colleague (when they leave or change jobs)."""

    from_owner_id: UUID
    to_owner_id: UUID
    customers: bool = Field(True, description="their companies and contacts too, not only deals")


class HandedOver(BaseModel):
    """How many of each were given on: open deals (won and lost ones stay), companies, contacts."""

    deals: int
    companies: int
    contacts: int


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    url: str
    added_by: str
    added_at: datetime


class DealFilters(BaseModel):
    """The filters of the deal list (and its CSV export); each optional."""

    owner_id: UUID | None = None
    stage_id: UUID | None = None
    pipeline_id: UUID | None = None
    company_id: UUID | None = None
    amount_min: Decimal | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    amount_max: Decimal | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    close_from: date | None = None
    close_to: date | None = None
    archived: bool = Field(default=False, description="true: only the archived deals")
    updated_since: Moment | None = Field(
        default=None,
        description="only deals changed at or after this instant (RFC 3339 with its offset), "
        "in order of change (`updated_at`, then `id`; `sort` is then ignored): each on exactly "
        "one page",
    )
    include_archived: bool = Field(
        default=False, description="true: the archived deals too, with their `archived_at`"
    )
    no_next_activity: bool | None = Field(
        default=None, description="true: only deals in an open stage with no activity planned"
    )


class DealPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    company_id: UUID
    owner_id: UUID
    amount: Decimal | None
    currency: str
    expected_close_date: date | None
    pipeline_id: UUID
    stage_id: UUID
    probability: int
    source: str | None
    custom: dict[str, Any]
    lost_reason: str | None
    contact_ids: list[UUID] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


class NextActivity(BaseModel):
    """The earliest activity planned on a deal that has not been reported on or cancelled."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    title: str
    starts_at: datetime = Field(description="a series: its first occurrence")
    recurring: bool


class DealCard(DealPublic):
    """A deal on the board: with its company's and owner's names and what is planned next."""

    company_name: str
    owner_name: str | None = Field(description="null until the owner's profile arrives")
    next_activity: NextActivity | None


class Requirement(BaseModel):
    code: str
    field: str | None
    message: str


class RequirementsAnswer(BaseModel):
    stage_id: UUID
    ready: bool = Field(description="true when the deal may enter the stage now")
    unmet: list[Requirement]


class TimelineItem(BaseModel):
    id: UUID
    kind: str = Field(
        description="created | field_changed | stage_changed | outcome | document_added | "
        "request_delivered"
    )
    at: datetime
    actor_id: str | None
    actor_name: str | None
    deal_id: UUID | None
    data: dict[str, Any]


Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "title", "-title"]


class AddressIn(Strict):
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str = Field(default="PL", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class CompanyCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Kowalski i Synowie sp. z o.o."])
    tax_id: str | None = Field(default=None, description="Polish NIP", examples=["526-025-02-74"])
    address: AddressIn | None = None
    owner_id: UUID | None = Field(
        default=None,
        description="the account manager; defaults to the caller (others: heads, admins)",
    )

    @field_validator("tax_id")
    @classmethod
    def _valid_nip(cls, value: str | None) -> str | None:
        return normalize_nip(value) if value else None


class CompanyUpdate(Strict):
    name: Changed[Annotated[str, Field(min_length=1, max_length=200)]] = None
    tax_id: str | None = Field(default=None, description="Polish NIP")
    address: AddressIn | None = None
    owner_id: UUID | None = Field(default=None, description="another owner: heads, admins")

    @field_validator("tax_id")
    @classmethod
    def _valid_nip(cls, value: str | None) -> str | None:
        return normalize_nip(value) if value else None


class CompanyPublic(BaseModel):
    id: UUID
    name: str
    tax_id: str | None
    address: AddressIn | None
    owner_id: UUID | None = Field(description="the account manager; null: nobody's")
    created_by: str
    updated_at: datetime
    archived_at: datetime | None = None

    @classmethod
    def of(cls, company: "Company") -> "CompanyPublic":
        address = None
        if company.street or company.postal_code or company.city:
            address = AddressIn(
                street=company.street,
                postal_code=company.postal_code,
                city=company.city,
                country=company.country or "PL",
            )
        return cls(
            id=company.id,
            name=company.name,
            tax_id=company.tax_id,
            address=address,
            owner_id=company.owner_id,
            created_by=company.created_by,
            updated_at=company.updated_at,
            archived_at=company.archived_at,
        )


class CustomerAccess(Strict):
    """Who reads companies and contacts (and so may link activities, plans and documents to
    them); changing them stays with their owner, the owner's heads and administrators."""

    readers: Literal["sales", "group"] = Field(
        description="`sales`: every salesperson (default); `group`: the owner's group"
        " (a head: the subtree's)"
    )


class NipCheck(BaseModel):
    """A NIP as typed: whether it is one, and which company (if any) already has it."""

    tax_id: str | None = Field(description="the ten digits, when the NIP is valid")
    problem: str | None = Field(description="what is wrong with it, in the caller's language")
    company: CompanyPublic | None = Field(description="the company that has this NIP")


Phone = Annotated[
    str, Field(max_length=40, pattern=r"^[0-9 +()./-]{3,40}$", examples=["+48 600 100 200"])
]


class ContactCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["Jan Kowalski"])]
    company_id: UUID | None = None
    position: Annotated[str, Field(max_length=100)] | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    owner_id: UUID | None = Field(
        default=None, description="who looks after the contact; defaults to the caller"
    )


class ContactUpdate(Strict):
    name: Changed[Annotated[str, Field(min_length=1, max_length=200)]] = None
    company_id: UUID | None = None
    position: Annotated[str, Field(max_length=100)] | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    owner_id: UUID | None = Field(default=None, description="another owner: heads, admins")


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    company_id: UUID | None
    position: str | None
    phone: str | None
    email: str | None
    owner_id: UUID | None = Field(description="who looks after the contact; null: nobody")
    created_by: str
    updated_at: datetime
    archived_at: datetime | None = None
    company_name: str | None = Field(
        default=None,
        description="the company's name as it is now (its rename does not change `updated_at`)",
    )


class StagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    position: int
    probability: int
    kind: Literal["open", "won", "lost"]
    required_fields: list[str]
    completed_activity: bool
    document: bool
    no_skipping: bool
    close_date_not_past: bool
    service_requirements: list[dict[str, Any]] = Field(
        description="delivered requests needed: `service_id`, `output`, `value`"
    )


class PipelinePublic(BaseModel):
    id: UUID
    name: str
    is_default: bool
    stages: list[StagePublic]


class StageCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    probability: Annotated[int, Field(ge=0, le=100)]
    kind: Literal["open", "won", "lost"] = "open"


class PipelineCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    stages: Annotated[list[StageCreate], Field(min_length=2, max_length=30)]


class StageUpdate(Strict):
    name: Changed[Annotated[str, Field(min_length=1, max_length=100)]] = None
    probability: Changed[Annotated[int, Field(ge=0, le=100)]] = None


class StageOrder(Strict):
    stage_ids: list[UUID] = Field(
        max_length=100, description="every open stage of the pipeline, once, in the new order"
    )


class Requirements(Strict):
    fields: list[str] = Field(
        default_factory=list,
        description="built-in or custom deal fields",
        examples=[["amount", "decision_maker"]],
    )
    completed_activity: bool = Field(
        default=False, description="a call or meeting on the deal reported as completed"
    )
    document: bool = Field(
        default=False, description="a document linked to the deal (e.g. the offer)"
    )
    no_skipping: bool = Field(default=False, description="only from the stage right before")
    close_date_not_past: bool = Field(
        default=False, description="the expected close date is today or later"
    )
    services: list["ServiceRequirementIn"] = Field(
        default_factory=list,
        max_length=20,
        description="requests of company services that must be delivered for the deal",
    )


class ServiceRequirementIn(Strict):
    """A company service whose request must be delivered, perhaps with an output's value."""

    service_id: UUID
    output: Annotated[str | None, Field(max_length=40)] = Field(
        default=None, description="an output's key", examples=["decision"]
    )
    value: Annotated[str | None, Field(max_length=200)] = Field(
        default=None,
        description="the value it must have (`true`/`false` for yes or no)",
        examples=["approved"],
    )


class FieldCreate(Strict):
    record_type: RecordType
    key: Annotated[str, Field(min_length=1, max_length=40, examples=["decision_maker"])]
    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Decision maker"])]
    type: FieldType
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )


class FieldPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    record_type: RecordType
    key: str
    label: str
    type: FieldType
    options: list[str]


class LostReasonCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class LostReasonUpdate(Strict):
    name: Changed[Annotated[str, Field(min_length=1, max_length=100)]] = None
    active: Changed[bool] = Field(default=None, description="false: offered no more")


class PipelineUpdate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class LostReasonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    active: bool


class Total(BaseModel):
    currency: str
    amount: Decimal


class Column(BaseModel):
    stage: StagePublic
    count: int
    totals: list[Total]
    deals: list[DealCard]


class Board(BaseModel):
    pipeline_id: UUID
    name: str
    columns: list[Column]


class BriefCard(BaseModel):
    """A card as the board's page shows it (`brief=true`): not the whole deal."""

    id: UUID
    title: str
    company_id: UUID
    owner_id: UUID
    amount: Decimal | None
    currency: str
    expected_close_date: date | None
    stage_id: UUID
    company_name: str
    owner_name: str | None
    next_activity: NextActivity | None


class BriefColumn(BaseModel):
    stage: StagePublic
    count: int
    totals: list[Total]
    deals: list[BriefCard]


class BriefBoard(BaseModel):
    pipeline_id: UUID
    name: str
    columns: list[BriefColumn]


class ImportJobPublic(BaseModel):
    """An import and its progress; `processed` = `imported` + `updated` + `skipped` + `rejected`."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    record_type: str
    file_name: str | None = Field(description="the uploaded file's name, when it had one")
    created_by: str
    status: Literal["running", "done", "failed", "interrupted"] = Field(
        description="`interrupted`: its worker stopped or died; `POST .../resume` takes it up"
        " again from the first row not committed (as a `failed` one)"
    )
    total: int = Field(description="rows in the file")
    processed: int
    imported: int = Field(description="new records")
    updated: int = Field(description="contacts found by e-mail and changed by their row")
    skipped: int = Field(description="contacts found by e-mail whose row changed nothing")
    rejected: int = Field(description="rows refused; `GET .../rejected.csv` says why")
    error: str | None = Field(description="why a failed import stopped")
    created_at: datetime
    finished_at: datetime | None


class Fragment(BaseModel):
    text: str
    match: bool


class SearchHit(BaseModel):
    """A company, contact or deal found by the global search."""

    kind: Literal["company", "contact", "deal"]
    id: UUID
    url: str = Field(description="its page in the CRM")
    title: list[Fragment] = Field(description="the name, matched words marked")
    snippet: list[Fragment] = Field(description="what tells it apart: a city, a company")
    score: float

    @classmethod
    def of(
        cls,
        *,
        kind: Literal["company", "contact", "deal"],
        id: UUID,
        url: str,
        title: list[tuple[str, bool]],
        snippet: str,
        score: float,
    ) -> "SearchHit":
        return cls(
            kind=kind,
            id=id,
            url=url,
            title=[Fragment(text=text, match=match) for text, match in title],
            snippet=[Fragment(text=snippet, match=False)] if snippet else [],
            score=score,
        )


class SearchHits(BaseModel):
    items: list[SearchHit]
