"""Whom a change of the feed may reach: a post's audience names principals (`everyone`,
`team:<id>`, `department:<id>`, `user:<id>`), and a person stands for their own."""

from collections.abc import Mapping
from uuid import UUID

from services.gateway.domain.teams import subtree


def principals_of(
    *,
    user_id: UUID,
    role: str,
    team_id: UUID | None,
    department_id: UUID | None,
    parents: Mapping[UUID, UUID | None],
) -> frozenset[str]:
    """Everyone, the person, their department, their group and every group above it; a head
    also every group beneath the one they lead (as the knowledge service counts them)."""
    teams: set[UUID] = set()
    if team_id is not None:
        teams = subtree(team_id, parents) if role == "head" else {team_id}
    above: set[UUID] = set()
    for team in teams:
        current: UUID | None = team
        while current is not None and current not in above:
            above.add(current)
            current = parents.get(current)
    mine = {"everyone", f"user:{user_id}", *(f"team:{team}" for team in above)}
    if department_id is not None:
        mine.add(f"department:{department_id}")
    return frozenset(mine)
