"""Snapshot topics: per aggregate, the latest state of every record, keyed by its id.

The owning service keeps them from its outbox: the relay publishes each event that carries a
record's whole state to the change topic and, the same envelope, to the change topic's
`.snapshot` twin; an event archiving the record publishes a tombstone (a null value) there
instead. The topics are compacted, so a consumer joining at any time reads the current state of
every record from them, then follows the change topics (or the snapshot topics themselves).
"""

from dataclasses import dataclass
from typing import Any

from shared.bus import Message
from shared.contracts import calendar, deals, gateway, knowledge, planning
from shared.events import REGISTRY

SNAPSHOT_SUFFIX = ".snapshot"


@dataclass(frozen=True)
class Snapshots:
    """Which events of a change topic are a record's whole state, and which end it."""

    aggregate: str
    states: frozenset[str]
    tombstones: frozenset[str] = frozenset()

    @property
    def types(self) -> frozenset[str]:
        return self.states | self.tombstones


def _types(*contracts: type[Any]) -> frozenset[str]:
    return frozenset(contract.type for contract in contracts)


SNAPSHOTS: dict[str, Snapshots] = {
    deals.COMPANY_TOPIC: Snapshots(
        "company",
        _types(deals.CompanyCreated, deals.CompanyUpdated, deals.CompanyRestored),
        _types(deals.CompanyArchived),
    ),
    deals.CONTACT_TOPIC: Snapshots(
        "contact",
        _types(deals.ContactCreated, deals.ContactUpdated, deals.ContactRestored),
        _types(deals.ContactArchived),
    ),
    deals.DEAL_TOPIC: Snapshots(
        "deal",
        _types(
            deals.DealCreated,
            deals.DealUpdated,
            deals.DealStageChanged,
            deals.DealWon,
            deals.DealLost,
            deals.DealRestored,
        ),
        _types(deals.DealArchived),
    ),
    calendar.ACTIVITY_TOPIC: Snapshots(
        "activity",
        _types(
            calendar.ActivityScheduled, calendar.ActivityRescheduled, calendar.ActivityCancelled
        ),
    ),
    planning.PLAN_TOPIC: Snapshots(
        "plan line", _types(planning.PlanSubmitted, planning.PlanReviewed)
    ),
    knowledge.DOCUMENT_TOPIC: Snapshots(
        "document",
        _types(knowledge.DocumentCreated, knowledge.DocumentVersioned),
        _types(knowledge.DocumentArchived),
    ),
    knowledge.SERVICE_TOPIC: Snapshots("service", _types(knowledge.ServicePublished)),
    knowledge.REQUEST_TOPIC: Snapshots(
        "request",
        _types(
            *(
                contract
                for contract in REGISTRY.values()
                if contract.topic == knowledge.REQUEST_TOPIC
                and issubclass(contract, knowledge.RequestSnapshot)
            )
        ),
    ),
    knowledge.POST_TOPIC: Snapshots(
        "post", _types(knowledge.PostCreated, knowledge.PostEdited), _types(knowledge.PostDeleted)
    ),
    gateway.USER_TOPIC: Snapshots("user", _types(gateway.UserCreated, gateway.UserUpdated)),
    gateway.DEPARTMENT_TOPIC: Snapshots("department", _types(gateway.DepartmentChanged)),
    gateway.TEAM_TOPIC: Snapshots("team", _types(gateway.TeamChanged)),
}
_BY_TYPE = {type_: (topic, rule) for topic, rule in SNAPSHOTS.items() for type_ in rule.types}


def snapshot_message(type_: str, key: str, envelope: dict[str, Any]) -> Message | None:
    """What an outbox row of `type_` puts on its snapshot topic: the envelope, a tombstone,
    or nothing."""
    found = _BY_TYPE.get(type_)
    if found is None:
        return None
    topic, rule = found
    ends = type_ in rule.tombstones
    return Message(topic=topic + SNAPSHOT_SUFFIX, key=key, envelope=envelope, tombstone=ends)
