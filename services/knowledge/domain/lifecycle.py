"""A request's lifecycle: which side may take which step from which status, and where it leads.

submitted -> accepted (an assignee) -> delivered (every required output given); the department
may return it for information from submitted or accepted (the requester amends and resubmits it,
back to where it was) or reject it with a reason; the requester may cancel it while it is open.
"""

from dataclasses import dataclass
from typing import Literal

from shared.text import N_

Status = Literal["submitted", "accepted", "returned", "delivered", "rejected", "cancelled"]
Step = Literal["accept", "return", "resubmit", "deliver", "reject", "cancel"]
Side = Literal["requester", "department"]

OPEN: tuple[Status, ...] = ("submitted", "accepted", "returned")
RUNNING: tuple[Status, ...] = ("submitted", "accepted")  # the SLA clock runs
CLOSED: tuple[Status, ...] = ("delivered", "rejected", "cancelled")


@dataclass(frozen=True)
class Rule:
    side: Side
    from_: tuple[Status, ...]


RULES: dict[Step, Rule] = {
    "accept": Rule("department", ("submitted",)),
    "return": Rule("department", ("submitted", "accepted")),
    "deliver": Rule("department", ("accepted",)),
    "reject": Rule("department", ("submitted", "accepted")),
    "resubmit": Rule("requester", ("returned",)),
    "cancel": Rule("requester", OPEN),
}


class StepRefused(Exception):
    """The step cannot be taken now; `message` is an English msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def next_status(step: Step, status: Status, *, assigned: bool) -> Status:
    """Where `step` leads from `status`, or `StepRefused`."""
    if status not in RULES[step].from_:
        raise StepRefused(REFUSALS.get(status, N_("the request cannot take this step now")))
    if step == "resubmit":
        return "accepted" if assigned else "submitted"
    return {
        "accept": "accepted",
        "return": "returned",
        "deliver": "delivered",
        "reject": "rejected",
        "cancel": "cancelled",
    }[step]  # type: ignore[return-value]


REFUSALS: dict[str, str] = {
    "delivered": N_("the request is delivered already"),
    "rejected": N_("the request was rejected"),
    "cancelled": N_("the request was cancelled"),
    "returned": N_("the request waits for the requester's information"),
    "submitted": N_("the request must be accepted first"),
    "accepted": N_("the request is accepted already"),
}


def steps_for(status: Status, sides: set[Side]) -> list[Step]:
    """The steps a person on `sides` may take now. Any of the department's staff may deliver
    what a colleague took, so someone can stand in."""
    return [step for step, rule in RULES.items() if rule.side in sides and status in rule.from_]
