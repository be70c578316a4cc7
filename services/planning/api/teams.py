"""`/api/plans/teams`: the sales-group tree as planning knows it, with the people in each group."""

from fastapi import APIRouter
from sqlalchemy import select

from services.planning.schemas import MemberPublic, TeamNode
from services.planning.tables import Member, Team
from shared.auth import CurrentIdentity
from shared.deps import Sessions

router = APIRouter(prefix="/api/plans/teams", tags=["plans"])


@router.get("")
async def team_tree(sessions: Sessions, _: CurrentIdentity) -> list[TeamNode]:
    """The roots of the tree (normally one: the company), each with its subgroups."""
    async with sessions() as session:
        teams = (await session.scalars(select(Team).order_by(Team.name))).all()
        members = (await session.scalars(select(Member).order_by(Member.name))).all()
    nodes = {
        team.id: TeamNode(id=team.id, name=team.name, head_id=team.head_id, members=[], children=[])
        for team in teams
    }
    for member in members:
        if member.team_id in nodes:
            nodes[member.team_id].members.append(MemberPublic.model_validate(member))
    roots: list[TeamNode] = []
    for team in teams:
        parent = nodes.get(team.parent_id) if team.parent_id else None
        (parent.children if parent else roots).append(nodes[team.id])
    return roots
