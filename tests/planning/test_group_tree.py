"""Planning's replica of the sales-group tree: built from snapshots, newest wins."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus, Message
from shared.contracts.gateway import TeamChanged, UserCreated, UserUpdated
from shared.events import Contract, new_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def message(data: Contract, subject: UUID, at: datetime) -> Message:
    event = new_event(data, subject=subject, time=at)
    return Message(topic=data.topic, key=str(subject), envelope=event.model_dump(mode="json"))


def team(team_id: UUID, name: str, parent: UUID | None, at: datetime) -> Message:
    return message(
        TeamChanged(team_id=team_id, name=name, parent_id=parent, head_id=None), team_id, at
    )


def user(user_id: UUID, team_id: UUID, at: datetime, *, created: bool = False) -> Message:
    kind = UserCreated if created else UserUpdated
    snapshot = kind(
        user_id=user_id,
        email="a@b.pl",
        name="Anna",
        role="manager",
        team_id=team_id,
        department_id=None,
        locale="pl",
        time_zone="Europe/Warsaw",
        active=True,
    )
    return message(snapshot, user_id, at)


async def test_the_tree_nests_groups_under_the_company_with_their_people(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    company, north, anna = uuid4(), uuid4(), uuid4()
    await bus.publish([team(company, "Firma", None, NOW), team(north, "Północ", company, NOW)])
    await bus.publish([user(anna, north, NOW, created=True)])

    [root] = (await planning.get("/api/plans/teams")).json()

    assert root["name"] == "Firma" and root["members"] == []
    [child] = root["children"]
    assert child["name"] == "Północ"
    assert [m["name"] for m in child["members"]] == ["Anna"]


async def test_an_older_snapshot_arriving_late_does_not_undo_a_newer_one(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    company = uuid4()
    await bus.publish([team(company, "Nowa nazwa", None, NOW)])
    await bus.publish([team(company, "Stara nazwa", None, NOW - timedelta(minutes=5))])

    [root] = (await planning.get("/api/plans/teams")).json()

    assert root["name"] == "Nowa nazwa"
