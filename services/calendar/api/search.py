"""`/api/activities/search`: the calendar's part of the global search, the activities the
caller sees by the words of their titles, diacritics ignored."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, literal_column, select

from services.calendar.schemas import SearchHit, SearchHits
from services.calendar.tables import Activity
from services.calendar.usecases.activities import visible
from shared.auth import CurrentIdentity
from shared.db import matches_words, word_vector
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
    """Activities whose titles have words starting with every word typed, best first and
    then the newest."""
    query = prefix_query(q)
    if query is None:
        return SearchHits(items=[])
    found = func.to_tsquery(literal_column("'simple'::regconfig"), query)
    score = func.ts_rank(word_vector(Activity.title), found).label("score")
    statement = (
        select(Activity, score)
        .where(matches_words(Activity.title, query), visible(identity))
        .order_by(score.desc(), Activity.starts_at.desc())
        .limit(limit)
    )
    async with sessions() as session:
        rows = (await session.execute(statement)).all()
    return SearchHits(items=[SearchHit.of(activity, score, q) for activity, score in rows])
