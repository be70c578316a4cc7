"""`/api/companies`: the customer companies."""

from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from services.deals import usecases
from services.deals.domain.nip import normalize_nip
from services.deals.tables import Company
from shared.auth import CurrentIdentity
from shared.contracts.deals import Address
from shared.deps import Sessions
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/companies", tags=["companies"])


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str = Field(default="PL", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class CompanyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, examples=["Kowalski i Synowie sp. z o.o."])
    tax_id: str | None = Field(default=None, description="Polish NIP", examples=["526-025-02-74"])
    address: AddressIn | None = None

    @field_validator("tax_id")
    @classmethod
    def _valid_nip(cls, value: str | None) -> str | None:
        return normalize_nip(value) if value else None


class CompanyPublic(BaseModel):
    id: UUID
    name: str
    tax_id: str | None
    address: AddressIn | None

    @classmethod
    def of(cls, company: Company) -> "CompanyPublic":
        address = None
        if company.street or company.postal_code or company.city:
            address = AddressIn(
                street=company.street,
                postal_code=company.postal_code,
                city=company.city,
                country=company.country or "PL",
            )
        return cls(id=company.id, name=company.name, tax_id=company.tax_id, address=address)


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
