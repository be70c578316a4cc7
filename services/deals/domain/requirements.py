"""Stage requirements: what a deal must have before it may enter a stage. Pure rules, no I/O."""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from shared.text import N_

StageKind = Literal["open", "won", "lost"]

# Built-in fields a stage may require, by their API names.
BUILT_IN_FIELDS = ("amount", "expected_close_date", "contact_ids", "source", "probability")


@dataclass(frozen=True)
class ServiceRequirement:
    """A delivered request of a company service the stage asks for, with an output's value
    perhaps (a credit check delivered with decision = approved)."""

    service_id: str
    service_name: str
    output: str | None = None
    output_label: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Delivered:
    """A request delivered on the deal: its service and outputs."""

    service_id: str
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class Stage:
    """A stage as the rules see it: where it stands and what it asks for."""

    id: object
    position: int
    kind: StageKind
    required_fields: tuple[str, ...] = ()
    completed_activity: bool = False
    document: bool = False
    no_skipping: bool = False
    close_date_not_past: bool = False
    services: tuple[ServiceRequirement, ...] = ()


@dataclass(frozen=True)
class Deal:
    """A deal as the rules see it: its values after the change, and the evidence on file."""

    values: Mapping[str, Any]
    current_position: int
    completed_activities: int = 0
    documents: int = 0
    lost_reason: str | None = None
    lost_reasons: Sequence[str] = field(default_factory=tuple)
    delivered: Sequence[Delivered] = field(default_factory=tuple)


@dataclass(frozen=True)
class Unmet:
    """One requirement the deal does not meet; `message` is an English msgid, translated when
    shown, with `params` filled in (`%(service)s`)."""

    code: str
    field: str | None
    message: str
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)


def is_filled(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


def _missing(deal: Deal, names: Sequence[str]) -> list[Unmet]:
    return [
        Unmet("missing_field", name, N_("fill in this field before entering the stage"))
        for name in names
        if not is_filled(deal.values.get(name))
    ]


def unmet_requirements(deal: Deal, target: Stage, *, today: date) -> list[Unmet]:
    """Every requirement of `target` that `deal` does not meet; empty means it may enter."""
    required = list(target.required_fields)
    if target.kind == "won":  # a won deal must say how much and when, whatever the admin set
        required += [name for name in ("amount", "expected_close_date") if name not in required]
    unmet = _missing(deal, required)
    if target.completed_activity and deal.completed_activities == 0:
        unmet.append(
            Unmet(
                "completed_activity_required",
                None,
                N_("report the outcome of a call or meeting on this deal first"),
            )
        )
    if target.document and deal.documents == 0:
        unmet.append(
            Unmet(
                "document_required",
                "documents",
                N_("link a document to this deal (e.g. the offer)"),
            )
        )
    if target.no_skipping and target.position > deal.current_position + 1:
        unmet.append(
            Unmet("stage_skipped", "stage_id", N_("move through the earlier stages first"))
        )
    close = deal.values.get("expected_close_date")
    if target.close_date_not_past and isinstance(close, date) and close < today:
        unmet.append(
            Unmet(
                "close_date_in_past",
                "expected_close_date",
                N_("the expected close date is in the past"),
            )
        )
    unmet += [_service_unmet(need) for need in target.services if not _met(need, deal.delivered)]
    if target.kind == "lost":
        unmet += _lost_reason(deal)
    return unmet


def shown(value: Any) -> str:
    """An output's value as a requirement compares it: `true`/`false`, else its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _met(need: ServiceRequirement, delivered: Sequence[Delivered]) -> bool:
    return any(
        request.service_id == need.service_id
        and (need.output is None or shown(request.outputs.get(need.output)) == need.value)
        for request in delivered
    )


def _service_unmet(need: ServiceRequirement) -> Unmet:
    if need.output is None:
        return Unmet(
            "service_required",
            "services",
            N_("%(service)s must be delivered for this deal first"),
            {"service": need.service_name},
        )
    return Unmet(
        "service_required",
        "services",
        N_("%(service)s must be delivered for this deal with %(output)s = %(value)s first"),
        {
            "service": need.service_name,
            "output": need.output_label or need.output,
            "value": need.value or "",
        },
    )


def _lost_reason(deal: Deal) -> list[Unmet]:
    if not deal.lost_reason:
        return [Unmet("lost_reason_required", "lost_reason", N_("say why the deal was lost"))]
    if deal.lost_reason not in deal.lost_reasons:
        return [Unmet("lost_reason_unknown", "lost_reason", N_("choose a reason from the list"))]
    return []


def weighted(amount: Decimal | None, probability: int) -> Decimal:
    """The forecast value of a deal: its amount weighted by the probability of winning."""
    return (amount or Decimal(0)) * probability / 100
