"""`/api/deals`: deals, moved through stages only when the stage's requirements are met."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Select, Text, cast, select

from services.deals.domain.requirements import Unmet
from services.deals.tables import Deal, DealContact, Member, TimelineEntry
from services.deals.usecases import deals as usecases
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions
from shared.i18n import translate
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/deals", tags=["deals"])

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, examples=["125000.00"]),
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),  # one spelling everywhere
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["PLN"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DealCreate(Strict):
    title: Annotated[
        str,
        Field(min_length=1, max_length=200, examples=["Linia pakująca dla Kowalski sp. z o.o."]),
    ]
    company_id: UUID
    owner_id: UUID | None = Field(default=None, description="defaults to the caller")
    amount: Money | None = None
    currency: Currency = "PLN"
    expected_close_date: date | None = None
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


class DealUpdate(Strict):
    """Any fields to change; with `stage_id` the deal moves, once the stage's requirements are met."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    company_id: UUID | None = None
    owner_id: UUID | None = None
    amount: Money | None = None
    currency: Currency | None = None
    expected_close_date: date | None = None
    stage_id: UUID | None = None
    probability: Annotated[int, Field(ge=0, le=100)] | None = None
    source: Annotated[str, Field(max_length=100)] | None = None
    contact_ids: list[UUID] | None = Field(default=None, max_length=50)
    custom: dict[str, Any] | None = None
    lost_reason: Annotated[str, Field(max_length=100)] | None = None


class BulkMove(Strict):
    deal_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]
    stage_id: UUID


class DocumentLink(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200, examples=["Oferta handlowa v2"])]
    url: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^(https?://|/)")]


class DealFilters(BaseModel):
    """The filters of the deal list (and its CSV export); each optional."""

    owner_id: UUID | None = None
    stage_id: UUID | None = None
    pipeline_id: UUID | None = None
    company_id: UUID | None = None
    amount_min: Decimal | None = Field(default=None, ge=0)
    amount_max: Decimal | None = Field(default=None, ge=0)
    close_from: date | None = None
    close_to: date | None = None

    def apply(self, query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
        equal = {
            Deal.owner_id: self.owner_id,
            Deal.stage_id: self.stage_id,
            Deal.pipeline_id: self.pipeline_id,
            Deal.company_id: self.company_id,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if self.amount_min is not None:
            query = query.where(Deal.amount >= self.amount_min)
        if self.amount_max is not None:
            query = query.where(Deal.amount <= self.amount_max)
        if self.close_from is not None:
            query = query.where(Deal.expected_close_date >= self.close_from)
        if self.close_to is not None:
            query = query.where(Deal.expected_close_date <= self.close_to)
        return query


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
        description="created | field_changed | stage_changed | outcome | document_added"
    )
    at: datetime
    actor_id: str | None
    actor_name: str | None
    deal_id: UUID | None
    data: dict[str, Any]


# Sort keys of the list: each a non-null column with an index that serves it in both directions.
SORTS: dict[str, tuple[Any, Any]] = {
    "created_at": (Deal.created_at, datetime.fromisoformat),
    "updated_at": (Deal.updated_at, datetime.fromisoformat),
    "title": (Deal.title, str),
}
Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "title", "-title"]


def _today() -> date:
    return datetime.now(UTC).date()


def _requirement(unmet: Unmet, locale: str) -> Requirement:
    return Requirement(code=unmet.code, field=unmet.field, message=translate(unmet.message, locale))


def refused(refusal: usecases.RequirementsUnmet, identity: Identity) -> HTTPException:
    """422 naming every unmet requirement, in the caller's language."""
    detail = [
        {
            "loc": [
                "body",
                *([] if deal_id is None else ["deal_ids", str(deal_id)]),
                unmet.field or "stage_id",
            ],
            "msg": translate(unmet.message, identity.locale),
            "type": unmet.code,
        }
        for deal_id, unmets in refusal.unmet.items()
        for unmet in unmets
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _public(sessions: Sessions, deals: list[Deal]) -> list[DealPublic]:
    """Deals with their contacts, in one query for the whole page."""
    async with sessions() as session:
        links = (
            await session.execute(
                select(DealContact).where(DealContact.deal_id.in_([d.id for d in deals]))
            )
        ).scalars()
        contacts: dict[UUID, list[UUID]] = {}
        for link in links:
            contacts.setdefault(link.deal_id, []).append(link.contact_id)
    return [
        DealPublic.model_validate(deal).model_copy(
            update={"contact_ids": contacts.get(deal.id, [])}
        )
        for deal in deals
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_deal(
    body: DealCreate, sessions: Sessions, identity: CurrentIdentity
) -> DealPublic:
    try:
        deal = await usecases.create_deal(
            sessions, identity=identity, fields=body.model_dump(), today=_today()
        )
    except usecases.RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    return (await _public(sessions, [deal]))[0]


@router.get("")
async def list_deals(
    sessions: Sessions,
    identity: CurrentIdentity,
    filters: Annotated[DealFilters, Query()],
    sort: Sort = "-created_at",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DealPublic]:
    """Newest first unless `sort` says otherwise; every filter optional; only visible deals."""
    query = filters.apply(select(Deal).where(usecases.visible_deals(identity)))
    column, read = SORTS[sort.lstrip("-")]
    query = keyset(
        query,
        (column, Deal.id),
        cursor=cursor,
        types=(read, UUID),
        limit=limit,
        descending=sort.startswith("-"),
    )
    async with sessions() as session:
        rows = list((await session.scalars(query)).all())
    items = await _public(sessions, rows)
    name = sort.lstrip("-")
    return page_of(items, limit, key=lambda deal: (_cursor_value(getattr(deal, name)), deal.id))


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@router.post("/bulk-move")
async def bulk_move(
    body: BulkMove, sessions: Sessions, identity: CurrentIdentity
) -> list[DealPublic]:
    """Move several deals; if any of them may not enter the stage, none moves."""
    try:
        moved = await usecases.bulk_move(
            sessions,
            identity=identity,
            deal_ids=body.deal_ids,
            stage_id=body.stage_id,
            today=_today(),
        )
    except usecases.RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    return await _public(sessions, moved)


@router.get("/{deal_id}")
async def get_deal(deal_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> DealPublic:
    async with sessions() as session:
        deal = await usecases.visible_deal(session, identity, deal_id)
    return (await _public(sessions, [deal]))[0]


@router.patch("/{deal_id}")
async def update_deal(
    deal_id: UUID, body: DealUpdate, sessions: Sessions, identity: CurrentIdentity
) -> DealPublic:
    changes = body.model_dump(exclude_unset=True)
    try:
        deal = await usecases.update_deal(
            sessions, identity=identity, deal_id=deal_id, changes=changes, today=_today()
        )
    except usecases.RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    return (await _public(sessions, [deal]))[0]


@router.get("/{deal_id}/requirements")
async def requirements(
    deal_id: UUID, stage_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> RequirementsAnswer:
    """Before a move: what the deal still lacks to enter `stage_id`."""
    stage, unmet = await usecases.check_stage(
        sessions, identity=identity, deal_id=deal_id, stage_id=stage_id, today=_today()
    )
    return RequirementsAnswer(
        stage_id=stage.id, ready=not unmet, unmet=[_requirement(u, identity.locale) for u in unmet]
    )


@router.post("/{deal_id}/documents", status_code=status.HTTP_201_CREATED)
async def link_document(
    deal_id: UUID, body: DocumentLink, sessions: Sessions, identity: CurrentIdentity
) -> dict[str, str]:
    document = await usecases.add_document(
        sessions, identity=identity, deal_id=deal_id, title=body.title, url=body.url
    )
    return {"id": str(document.id), "title": document.title, "url": document.url}


@router.get("/{deal_id}/timeline")
async def deal_timeline(
    deal_id: UUID, sessions: Sessions, identity: CurrentIdentity, limit: Limit = 100
) -> list[TimelineItem]:
    """Outcome reports, stage moves and field changes (who, when, old -> new), newest first."""
    async with sessions() as session:
        await usecases.visible_deal(session, identity, deal_id)
        return await timeline(session, TimelineEntry.deal_id == deal_id, limit)


async def timeline(session: Any, condition: Any, limit: int) -> list[TimelineItem]:
    query = (
        select(TimelineEntry, Member.name)
        .outerjoin(Member, cast(Member.id, Text) == TimelineEntry.actor_id)
        .where(condition)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [
        TimelineItem(
            id=entry.id,
            kind=entry.kind,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_name=name,
            deal_id=entry.deal_id,
            data=entry.data,
        )
        for entry, name in rows
    ]
