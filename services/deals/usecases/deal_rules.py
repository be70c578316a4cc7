"""The checks every deal passes, as plain functions over what they need, loaded once for many deals.

`create_deal` (the API), `update_deal`, bulk moves and the CSV import all call these, so no way of
opening or changing a deal checks less than another. What the checks look at is loaded apart
from them: the `Catalogue` (stages, custom fields, lost reasons) once per request or import, the
companies, contacts and people a batch names once per batch (`Known`).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.domain import requirements as rules
from services.deals.domain.fields import BadValue, FieldType, read_value
from services.deals.schemas import DealCreate
from services.deals.tables import (
    Company,
    Contact,
    CustomField,
    LostReason,
    Member,
    Pipeline,
    ServiceRef,
    Stage,
)
from services.deals.usecases.customer_access import customer_readers, visible_customers
from shared.auth import Identity
from shared.errors import Forbidden, Invalid
from shared.ids import time_ordered_id
from shared.text import N_


class RequirementsUnmet(Exception):
    """The deal may not enter the stage; `unmet` lists every reason, per deal for bulk moves."""

    def __init__(self, unmet: dict[UUID | None, list[rules.Unmet]]) -> None:
        super().__init__("stage requirements unmet")
        self.unmet = unmet


@dataclass(frozen=True)
class StageRef:
    """A stage as the checks and the rows written need it."""

    id: UUID
    pipeline_id: UUID
    name: str
    position: int
    probability: int
    kind: str
    rule: rules.Stage


@dataclass(frozen=True)
class FieldRef:
    type: FieldType
    options: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    team_id: UUID | None
    active: bool


@dataclass(frozen=True)
class Catalogue:
    """What every deal is checked against: the stages, the custom fields, the lost reasons."""

    stages: Mapping[UUID, StageRef]
    first_stages: Mapping[UUID, StageRef]  # by pipeline
    default_pipeline_id: UUID | None
    fields: Mapping[str, FieldRef]
    lost_reasons: tuple[str, ...]


@dataclass(frozen=True)
class Known:
    """Which of the companies, contacts and people some deals name exist, as found; archived
    companies apart (a new link to one is refused), archived contacts left out."""

    companies: frozenset[UUID]
    contacts: frozenset[UUID]
    people: Mapping[UUID, Person]
    archived_companies: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class NewDeal:
    """A deal that passed every check, ready to be written."""

    id: UUID
    title: str
    company_id: UUID
    owner_id: UUID
    amount: Decimal | None
    currency: str
    expected_close_date: date | None
    stage: StageRef
    probability: int
    source: str | None
    custom: dict[str, Any]
    lost_reason: str | None
    contact_ids: tuple[UUID, ...]
    documents: tuple[tuple[str, str], ...] = ()  # (title, url) linked as it opens

    @property
    def pipeline_id(self) -> UUID:
        return self.stage.pipeline_id

    @property
    def stage_id(self) -> UUID:
        return self.stage.id


# --- Loading what the checks look at --------------------------------------------------------


# What the stages' service requirements are called: each service's name and its outputs' labels.
ServiceNames = Mapping[str, tuple[str, Mapping[str, str]]]


def _needs(stage: Stage, services: ServiceNames) -> tuple[rules.ServiceRequirement, ...]:
    needs = []
    for wanted in stage.service_requirements:
        name, labels = services.get(str(wanted["service_id"]), ("?", {}))
        output = wanted.get("output")
        needs.append(
            rules.ServiceRequirement(
                service_id=str(wanted["service_id"]),
                service_name=name,
                output=output,
                output_label=labels.get(output) if output else None,
                value=wanted.get("value"),
            )
        )
    return tuple(needs)


async def service_names(session: AsyncSession) -> ServiceNames:
    """Every service deals knows, with its outputs' labels."""
    rows = await session.execute(select(ServiceRef.id, ServiceRef.name, ServiceRef.outputs))
    return {
        str(id_): (name, {one["key"]: one["label"] for one in outputs})
        for id_, name, outputs in rows
    }


def stage_ref(stage: Stage, services: ServiceNames | None = None) -> StageRef:
    rule = rules.Stage(
        id=stage.id,
        position=stage.position,
        kind=stage.kind,  # type: ignore[arg-type]
        required_fields=tuple(stage.required_fields),
        completed_activity=stage.completed_activity,
        document=stage.document,
        no_skipping=stage.no_skipping,
        close_date_not_past=stage.close_date_not_past,
        services=_needs(stage, services or {}),
    )
    return StageRef(
        stage.id, stage.pipeline_id, stage.name, stage.position, stage.probability, stage.kind, rule
    )


async def load_catalogue(session: AsyncSession) -> Catalogue:
    """Every stage, the deals' custom fields and the active lost reasons: three queries (and
    the services' names when a stage asks for one)."""
    rows = (
        await session.execute(
            select(Stage, Pipeline.is_default)
            .join(Pipeline)
            .order_by(Stage.pipeline_id, Stage.position)
        )
    ).all()
    services = await service_names(session) if any(s.service_requirements for s, _ in rows) else {}
    stages = {stage.id: stage_ref(stage, services) for stage, _ in rows}
    first: dict[UUID, StageRef] = {}
    for ref in stages.values():
        first.setdefault(ref.pipeline_id, ref)
    default = next((stage.pipeline_id for stage, is_default in rows if is_default), None)
    fields = await session.scalars(select(CustomField).where(CustomField.record_type == "deal"))
    reasons = await session.scalars(select(LostReason.name).where(LostReason.active.is_(True)))
    return Catalogue(
        stages=stages,
        first_stages=first,
        default_pipeline_id=default,
        fields={f.key: FieldRef(f.type, tuple(f.options)) for f in fields},  # type: ignore[arg-type]
        lost_reasons=tuple(reasons),
    )


async def load_known(
    session: AsyncSession,
    identity: Identity,
    *,
    companies: Collection[UUID],
    contacts: Collection[UUID] = (),
    people: Collection[UUID] = (),
) -> Known:
    """Which of these exist for `identity` (a company or contact it may not see does not): one
    query per kind named (none for an empty one)."""
    readers = await customer_readers(session) if companies or contacts else "sales"
    found_companies: dict[UUID, bool] = {}
    if companies:
        companies_found = select(Company.id, Company.archived_at.is_not(None)).where(
            Company.id == any_(_IDS), visible_customers(identity, Company.owner_id, readers)
        )
        rows = await session.execute(companies_found, {"ids": list(set(companies))})
        found_companies = {company_id: archived for company_id, archived in rows}
    found_contacts: Collection[UUID] = ()
    if contacts:
        query = select(Contact.id).where(
            Contact.id == any_(_IDS),
            Contact.archived_at.is_(None),
            visible_customers(identity, Contact.owner_id, readers),
        )
        found_contacts = set(await session.scalars(query, {"ids": list(set(contacts))}))
    found_people: dict[UUID, Person] = {}
    if people:
        members = await session.scalars(
            select(Member).where(Member.id == any_(_IDS)), {"ids": list(set(people))}
        )
        found_people = {m.id: Person(m.team_id, m.active) for m in members}
    return Known(
        companies=frozenset(found_companies),
        contacts=frozenset(found_contacts),
        people=found_people,
        archived_companies=frozenset(c for c, archived in found_companies.items() if archived),
    )


# Ids as one array: the same statement however many, prepared once.
_IDS = bindparam("ids", type_=ARRAY(Uuid()))


# --- The checks -----------------------------------------------------------------------------


def read_custom(
    fields: Mapping[str, FieldRef], current: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    """`current` custom values with `given` read into them; `Invalid` naming each bad one."""
    problems, values = {}, dict(current)
    for key, value in given.items():
        field = fields.get(key)
        if field is None:
            problems[f"custom.{key}"] = N_("no such custom field")
            continue
        try:
            values[key] = read_value(field.type, value, field.options)
        except BadValue as bad:
            problems[f"custom.{key}"] = str(bad)
    if problems:
        raise Invalid(problems)
    return {key: value for key, value in values.items() if value is not None}


def pick_stage(catalogue: Catalogue, stage_id: UUID | None, pipeline_id: UUID | None) -> StageRef:
    """The stage asked for (in the pipeline, when one is named), else the pipeline's first."""
    if stage_id is not None:
        stage = catalogue.stages.get(stage_id)
        if stage is None or (pipeline_id is not None and stage.pipeline_id != pipeline_id):
            raise Invalid({"stage_id": N_("no such stage in this pipeline")})
        return stage
    first = catalogue.first_stages.get(pipeline_id or catalogue.default_pipeline_id)  # type: ignore[arg-type]
    if first is None:
        raise Invalid({"pipeline_id": N_("no such pipeline")})
    return first


def check_owner(identity: Identity, owner_id: UUID | None, person: Person | None) -> None:
    """Only heads and admins hand deals to others; a head only within the group."""
    if identity.role not in ("head", "admin") and str(owner_id) != identity.user_id:
        raise Forbidden(N_("only a head or an administrator may give a deal to someone else"))
    if person is None or not person.active:
        raise Invalid({"owner_id": N_("no such active user")})
    if (
        identity.role == "head"
        and str(person.team_id) not in identity.team_ids
        and str(owner_id) != identity.user_id
    ):
        raise Forbidden(N_("a head may give deals only to people of the group"))


def check_links(known: Known, company_id: UUID | None, contact_ids: Collection[UUID]) -> None:
    problems: dict[str, str] = {}
    if company_id is not None and company_id not in known.companies:
        problems["company_id"] = N_("no such company")
    elif company_id in known.archived_companies:
        problems["company_id"] = N_("the company is archived; restore it first")
    if set(contact_ids) - known.contacts:
        problems["contact_ids"] = N_("no such contact")
    if problems:
        raise Invalid(problems)


def check_new_deal(
    request: DealCreate,
    *,
    lost_reason: str | None = None,
    identity: Identity,
    catalogue: Catalogue,
    known: Known,
    today: date,
) -> NewDeal:
    """The deal `request` asks for, or the first kind of refusal it meets, as the API answers it:
    `Invalid` (custom fields, stage, company or contacts, owner), `Forbidden` (owner) or
    `RequirementsUnmet` (every unmet requirement of its stage).
    """
    owner_id = request.owner_id or UUID(identity.user_id)
    custom = read_custom(catalogue.fields, {}, request.custom)
    stage = pick_stage(catalogue, request.stage_id, request.pipeline_id)
    probability = stage.probability if request.probability is None else request.probability
    check_links(known, request.company_id, request.contact_ids)
    if str(owner_id) != identity.user_id:  # opening a deal for someone else is a reassignment
        check_owner(identity, owner_id, known.people.get(owner_id))
    values = {
        **custom,
        "amount": request.amount,
        "expected_close_date": request.expected_close_date,
        "contact_ids": request.contact_ids,
        "source": request.source,
        "probability": probability,
    }
    state = rules.Deal(
        values=values,
        current_position=0,
        documents=len(request.documents),  # opened with its offer, say
        lost_reason=lost_reason,
        lost_reasons=catalogue.lost_reasons,
    )
    unmet = rules.unmet_requirements(state, stage.rule, today=today)
    if unmet:
        raise RequirementsUnmet({None: unmet})
    return NewDeal(
        id=time_ordered_id(),
        title=request.title,
        company_id=request.company_id,
        owner_id=owner_id,
        amount=request.amount,
        currency=request.currency,
        expected_close_date=request.expected_close_date,
        stage=stage,
        probability=probability,
        source=request.source,
        custom=custom,
        lost_reason=lost_reason,
        contact_ids=tuple(dict.fromkeys(request.contact_ids)),
        documents=tuple((document.title, document.url) for document in request.documents),
    )
