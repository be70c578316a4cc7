"""People and groups for service tests, announced the way the gateway announces them."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from shared.auth import Identity
from shared.bus import Message
from shared.contracts.gateway import TeamChanged, UserCreated, UserUpdated
from shared.events import Contract, new_event


def person(role: str, team: UUID | None = None) -> Identity:
    """An identity as the gateway vouches for it: a head's `team_ids` hold the group."""
    return Identity(
        user_id=str(uuid4()),
        role=role,
        team_ids=[str(team)] if team else [],
        locale="en",
    )


def as_message(data: Contract, subject: object) -> Message:
    """`data` as the bus carries it, stamped now."""
    event = new_event(data, subject=subject, time=datetime.now(UTC))
    return Message(topic=data.topic, key=str(subject), envelope=event.model_dump(mode="json"))


def user_created(who: Identity, team: UUID | None, *, time_zone: str = "Europe/Warsaw") -> Message:
    snapshot = UserCreated(
        user_id=UUID(who.user_id),
        email=f"{who.user_id[:8]}@contentum.pl",
        name=f"{who.role} {who.user_id[:4]}",
        role=who.role,
        team_id=team,
        department_id=None,
        locale=who.locale,
        time_zone=time_zone,
        active=True,
    )
    return as_message(snapshot, who.user_id)


def user_left(who: Identity, team: UUID | None) -> Message:
    """`who` deactivated by the administrator (they leave the company)."""
    created = UserCreated.model_validate(user_created(who, team).envelope["data"])
    return as_message(UserUpdated(**{**created.model_dump(), "active": False}), who.user_id)


def team_changed(team: UUID, *, head: Identity | None, parent: UUID | None = None) -> Message:
    snapshot = TeamChanged(
        team_id=team,
        name=f"group {str(team)[:4]}",
        parent_id=parent,
        head_id=UUID(head.user_id) if head else None,
    )
    return as_message(snapshot, team)
