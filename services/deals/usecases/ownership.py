"""Who may change a company or a contact: whoever added it, the head of their group, an admin."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Member
from shared.auth import Identity
from shared.errors import Forbidden
from shared.text import N_


async def check_may_change(session: AsyncSession, identity: Identity, created_by: str) -> None:
    """Raise `Forbidden` unless `identity` may change a record added by `created_by`.

    Everyone sees every customer (two managers may sell to one company), but a manager changes
    only what they added; a head also what the group added.
    """
    if identity.role == "admin" or created_by == identity.user_id:
        return
    if identity.role == "head":
        try:
            author = await session.get(Member, UUID(created_by))
        except ValueError:  # added by something that is not a person (an import tool)
            author = None
        if author is not None and str(author.team_id) in identity.team_ids:
            return
    raise Forbidden(NOT_YOURS)


NOT_YOURS = N_("only whoever added this record, their head or an administrator may change it")
