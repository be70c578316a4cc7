"""`/api/companies`: the customer companies."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import and_, or_, select

from services.deals.api.deals import timeline
from services.deals.domain.nip import normalize_nip
from services.deals.schemas import (
    CompanyCreate,
    CompanyPublic,
    CompanyUpdate,
    CustomerAccess,
    NipCheck,
    TimelineItem,
)
from services.deals.tables import Company, Deal, TimelineEntry
from services.deals.usecases import archiving
from services.deals.usecases import companies as usecases
from services.deals.usecases.customer_access import (
    customer_readers,
    set_customer_readers,
    visible_company,
    visible_customers,
)
from services.deals.usecases.deals import visible_deals
from shared.auth import CurrentIdentity
from shared.contracts.deals import Address
from shared.db import contains, folded
from shared.deps import Sessions
from shared.i18n import translate
from shared.pagination import (
    Cursor,
    IncludeArchived,
    Limit,
    Page,
    UpdatedSince,
    archived_condition,
    changes,
    changes_page,
    keyset,
    page_of,
)

router = APIRouter(prefix="/api/companies", tags=["companies"])

Search = Annotated[
    str | None, Query(max_length=100, description="part of the name (any diacritics) or NIP")
]
Archived = Annotated[bool, Query(description="true: only the archived ones")]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_company(
    body: CompanyCreate, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    """A new company; a NIP another company has is refused with 409 naming it (`ctx`)."""
    address = Address(**body.address.model_dump()) if body.address else None
    company = await usecases.create_company(
        sessions,
        identity=identity,
        name=body.name,
        tax_id=body.tax_id,
        address=address,
        owner_id=body.owner_id,
    )
    return CompanyPublic.of(company)


@router.get("/access")
async def customer_access(sessions: Sessions, _: CurrentIdentity) -> CustomerAccess:
    """Who reads companies and contacts: every salesperson, or only the owner's group."""
    async with sessions() as session:
        return CustomerAccess(readers=await customer_readers(session))


@router.put("/access")
async def set_customer_access(
    body: CustomerAccess, sessions: Sessions, identity: CurrentIdentity
) -> CustomerAccess:
    """The administrator's choice (`crm.customer_access.changed.v1`); anyone else: 403."""
    readers = await set_customer_readers(sessions, identity=identity, readers=body.readers)
    return CustomerAccess(readers=readers)


@router.get("")
async def list_companies(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Search = None,
    archived: Archived = False,
    owner_id: Annotated[UUID | None, Query(description="one account manager's")] = None,
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CompanyPublic]:
    """The companies the caller may see, by name; the archived ones only when asked for. With
    `updated_since`, those changed since, in order of change."""
    query = select(Company).where(
        archived_condition(
            Company.archived_at, archived=archived, include_archived=include_archived
        )
    )
    if owner_id is not None:
        query = query.where(Company.owner_id == owner_id)
    if q and q.strip():
        digits = "".join(c for c in q if c.isdigit())
        found = folded(Company.name).like(contains(q.strip()))
        query = query.where(or_(found, Company.tax_id.contains(digits)) if digits else found)
    if updated_since is not None:
        query = changes(
            query, Company.updated_at, Company.id, since=updated_since, cursor=cursor, limit=limit
        )
    else:
        query = keyset(
            query, (Company.name, Company.id), cursor=cursor, types=(str, UUID), limit=limit
        )
    async with sessions() as session:
        readers = await customer_readers(session)
        query = query.where(visible_customers(identity, Company.owner_id, readers))
        rows = (await session.scalars(query)).all()
    companies = [CompanyPublic.of(row) for row in rows]
    if updated_since is not None:
        return changes_page(companies, limit)
    return page_of(companies, limit, key=lambda company: (company.name, company.id))


@router.get("/nip-check")
async def check_nip(
    sessions: Sessions,
    identity: CurrentIdentity,
    tax_id: Annotated[str, Query(max_length=40, description="a NIP as typed")],
) -> NipCheck:
    """Whether `tax_id` is a NIP (its checksum) and which company already has it, as one types."""
    try:
        digits = normalize_nip(tax_id)
    except ValueError as wrong:
        return NipCheck(tax_id=None, problem=translate(str(wrong), identity.locale), company=None)
    async with sessions() as session:
        readers = await customer_readers(session)
        holder = await session.scalar(
            select(Company).where(
                Company.tax_id == digits, visible_customers(identity, Company.owner_id, readers)
            )
        )
    return NipCheck(
        tax_id=digits,
        problem=None,
        company=CompanyPublic.of(holder) if holder else None,
    )


@router.get("/{company_id}")
async def get_company(
    company_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    """A company the caller may see (404 otherwise, as a missing one)."""
    async with sessions() as session:
        return CompanyPublic.of(await visible_company(session, identity, company_id))


@router.get("/{company_id}/timeline")
async def company_timeline(
    company_id: UUID, sessions: Sessions, identity: CurrentIdentity, limit: Limit = 100
) -> list[TimelineItem]:
    """What happened with this customer: outcome reports and the changes of the deals one may see."""
    visible = or_(
        TimelineEntry.deal_id.is_(None),
        TimelineEntry.deal_id.in_(select(Deal.id).where(visible_deals(identity))),
    )
    async with sessions() as session:
        await visible_company(session, identity, company_id)
        return await timeline(session, and_(TimelineEntry.company_id == company_id, visible), limit)


@router.patch("/{company_id}")
async def update_company(
    company_id: UUID, body: CompanyUpdate, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    """The owner, their heads or an administrator changes it (else 403); only heads and
    administrators give it another owner."""
    changes = body.model_dump(exclude_unset=True)
    if body.address is not None:
        changes["address"] = Address(**body.address.model_dump())
    company = await usecases.update_company(
        sessions, identity=identity, company_id=company_id, changes=changes
    )
    return CompanyPublic.of(company)


@router.post("/{company_id}/archive")
async def archive_company(
    company_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    """Out of the lists and pickers, history kept (`crm.company.archived.v1`); repeatable."""
    company = await archiving.set_company_archived(
        sessions, identity=identity, company_id=company_id, archive=True, now=datetime.now(UTC)
    )
    return CompanyPublic.of(company)


@router.post("/{company_id}/restore")
async def restore_company(
    company_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    """Back in the lists (`crm.company.restored.v1`); repeatable."""
    company = await archiving.set_company_archived(
        sessions, identity=identity, company_id=company_id, archive=False, now=datetime.now(UTC)
    )
    return CompanyPublic.of(company)
