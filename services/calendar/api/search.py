"""`/api/activities/search`: the calendar's part of the global search, the activities the
caller sees by the words of their titles, diacritics ignored."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.calendar.schemas import SearchHit, SearchHits
from services.calendar.tables import Activity
from services.calendar.usecases.activities import visible
from shared.auth import CurrentIdentity
from shared.db import matches_words
from shared.deps import Sessions
from shared.text import prefix_query

router = APIRouter(prefix="/api/activities", tags=["search"])


@router.get("/search")
async def search(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchHits:
    """Activities whose titles have words starting with every word typed, the latest first
    (not ranked in the database: that would cost in proportion to the matches)."""
    query = prefix_query(q)
    if query is None:
        return SearchHits(items=[])
    statement = (
        select(Activity)
        .where(matches_words(Activity.title, query), visible(identity))
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    async with sessions() as session:
        rows = (await session.scalars(statement)).all()
    return SearchHits(items=[SearchHit.of(activity, q) for activity in rows])
