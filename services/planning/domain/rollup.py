"""Plan roll-up: every group's totals are the sums of the plan lines beneath it that count.

A line counts in the **submitted** plan once its manager has submitted it (and while it is under
review or reviewed), never as a draft or once rejected. In the **final** plan, with approval on, only
approved lines count; with approval off, the final plan is the submitted one.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar

Status = Literal["draft", "submitted", "approved", "doubtful", "rejected"]
K = TypeVar("K", bound=Hashable)


class Addable(Protocol):
    def __add__(self, other: Any, /) -> Any: ...


V = TypeVar("V", bound=Addable)
IN_SUBMITTED: frozenset[Status] = frozenset({"submitted", "approved", "doubtful"})


@dataclass(frozen=True)
class Line:
    manager_id: Hashable
    client_id: Hashable
    amount: Decimal
    status: Status


@dataclass(frozen=True)
class Totals:
    submitted: Decimal = Decimal(0)
    final: Decimal = Decimal(0)

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(self.submitted + other.submitted, self.final + other.final)


def in_final(*, approval_required: bool) -> frozenset[Status]:
    """The statuses whose lines count in the final plan."""
    return frozenset({"approved"}) if approval_required else IN_SUBMITTED


def line_totals(line: Line, *, approval_required: bool) -> Totals:
    """What one line adds to the submitted and the final plan."""
    submitted = line.amount if line.status in IN_SUBMITTED else Decimal(0)
    counts_final = line.status in in_final(approval_required=approval_required)
    return Totals(submitted, line.amount if counts_final else Decimal(0))


def manager_totals(lines: Iterable[Line], *, approval_required: bool) -> dict[Hashable, Totals]:
    totals: dict[Hashable, Totals] = {}
    for line in lines:
        current = totals.get(line.manager_id, Totals())
        totals[line.manager_id] = current + line_totals(line, approval_required=approval_required)
    return totals


def roll_up(
    parents: Mapping[K, K | None],
    team_of: Mapping[Any, K | None],
    lines: Iterable[Line],
    *,
    approval_required: bool,
) -> dict[K, Totals]:
    """Totals per group, each including all its subgroups; groups without lines total zero."""
    per_manager = manager_totals(lines, approval_required=approval_required)
    return carry_up(parents, team_of, per_manager, zero=Totals())


def carry_up(
    parents: Mapping[K, K | None],
    team_of: Mapping[Any, K | None],
    per_manager: Mapping[Any, V],
    *,
    zero: V,
) -> dict[K, V]:
    """Per-manager sums added to their group and every group above it, up to the company.

    `parents` maps each group to its parent (None for the company), `team_of` each manager to a
    group; a manager in no known group counts nowhere.
    """
    own: dict[K, V] = dict.fromkeys(parents, zero)
    for manager, value in per_manager.items():
        team = team_of.get(manager)
        if team is not None and team in own:
            own[team] = own[team] + value
    result: dict[K, V] = dict.fromkeys(parents, zero)
    for team, value in own.items():
        seen: set[K] = set()
        node: K | None = team
        while node is not None and node not in seen:  # a cycle in bad data must not hang us
            seen.add(node)
            result[node] = result[node] + value
            node = parents.get(node)
    return result
