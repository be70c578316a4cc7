"""`/api/companies`: the customer companies."""

from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy import and_, or_, select

from services.deals.api.deals import timeline
from services.deals.schemas import CompanyCreate, CompanyPublic, CompanyUpdate, TimelineItem
from services.deals.tables import Company, Deal, TimelineEntry
from services.deals.usecases import companies as usecases
from services.deals.usecases.deals import visible_deals
from shared.auth import CurrentIdentity
from shared.contracts.deals import Address
from shared.deps import Sessions
from shared.errors import NotFound
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/companies", tags=["companies"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_company(
    body: CompanyCreate, sessions: Sessions, identity: CurrentIdentity
) -> CompanyPublic:
    address = Address(**body.address.model_dump()) if body.address else None
    company = await usecases.create_company(
        sessions,
        name=body.name,
        tax_id=body.tax_id,
        address=address,
        created_by=identity.user_id,
    )
    return CompanyPublic.of(company)


@router.get("")
async def list_companies(
    sessions: Sessions, _: CurrentIdentity, limit: Limit = 50, cursor: Cursor = None
) -> Page[CompanyPublic]:
    query = keyset(
        select(Company), (Company.name, Company.id), cursor=cursor, types=(str, UUID), limit=limit
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    companies = [CompanyPublic.of(row) for row in rows]
    return page_of(companies, limit, key=lambda company: (company.name, company.id))


@router.get("/{company_id}")
async def get_company(company_id: UUID, sessions: Sessions, _: CurrentIdentity) -> CompanyPublic:
    async with sessions() as session:
        company = await session.get(Company, company_id)
    if company is None:
        raise NotFound("company")
    return CompanyPublic.of(company)


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
        if await session.get(Company, company_id) is None:
            raise NotFound("company")
        return await timeline(session, and_(TimelineEntry.company_id == company_id, visible), limit)


@router.patch("/{company_id}")
async def update_company(
    company_id: UUID, body: CompanyUpdate, sessions: Sessions, _: CurrentIdentity
) -> CompanyPublic:
    changes = body.model_dump(exclude_unset=True)
    if body.address is not None:
        changes["address"] = Address(**body.address.model_dump())
    company = await usecases.update_company(sessions, company_id=company_id, changes=changes)
    return CompanyPublic.of(company)
