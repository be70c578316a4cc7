"""Stage requirements: what a deal must have to enter a stage."""

from datetime import date
from decimal import Decimal

from services.deals.domain.requirements import Deal, Stage, unmet_requirements, weighted

TODAY = date(2026, 11, 27)
OFFER = Stage(
    id="offer", position=3, kind="open", required_fields=("amount", "decision_maker"), document=True
)


def codes(deal: Deal, stage: Stage) -> list[tuple[str, str | None]]:
    return [(unmet.code, unmet.field) for unmet in unmet_requirements(deal, stage, today=TODAY)]


def test_every_missing_field_and_missing_evidence_is_listed() -> None:
    deal = Deal(values={"amount": None, "decision_maker": ""}, current_position=2)

    assert codes(deal, OFFER) == [
        ("missing_field", "amount"),
        ("missing_field", "decision_maker"),
        ("document_required", "documents"),
    ]


def test_a_deal_with_everything_may_enter() -> None:
    deal = Deal(
        values={"amount": Decimal(10), "decision_maker": "Jan Kowalski"},
        current_position=2,
        documents=1,
    )

    assert codes(deal, OFFER) == []


def test_a_completed_activity_can_be_required() -> None:
    stage = Stage(id="nego", position=4, kind="open", completed_activity=True)

    assert codes(Deal(values={}, current_position=3), stage) == [
        ("completed_activity_required", None)
    ]
    assert codes(Deal(values={}, current_position=3, completed_activities=1), stage) == []


def test_skipping_stages_is_refused_only_where_configured() -> None:
    strict = Stage(id="s", position=4, kind="open", no_skipping=True)
    relaxed = Stage(id="r", position=4, kind="open")
    deal = Deal(values={}, current_position=1)

    assert codes(deal, strict) == [("stage_skipped", "stage_id")]
    assert codes(deal, relaxed) == []
    assert codes(Deal(values={}, current_position=3), strict) == []


def test_a_close_date_in_the_past_can_be_refused() -> None:
    stage = Stage(id="s", position=2, kind="open", close_date_not_past=True)

    assert codes(
        Deal(values={"expected_close_date": date(2026, 11, 26)}, current_position=1), stage
    ) == [("close_date_in_past", "expected_close_date")]
    assert codes(Deal(values={"expected_close_date": TODAY}, current_position=1), stage) == []


def test_won_always_needs_amount_and_close_date() -> None:
    won = Stage(id="won", position=5, kind="won")

    assert codes(Deal(values={}, current_position=4), won) == [
        ("missing_field", "amount"),
        ("missing_field", "expected_close_date"),
    ]


def test_lost_needs_a_reason_from_the_list() -> None:
    lost = Stage(id="lost", position=6, kind="lost")
    reasons = ("price", "competitor")

    assert codes(Deal(values={}, current_position=2, lost_reasons=reasons), lost) == [
        ("lost_reason_required", "lost_reason")
    ]
    assert codes(
        Deal(values={}, current_position=2, lost_reason="weather", lost_reasons=reasons), lost
    ) == [("lost_reason_unknown", "lost_reason")]
    assert (
        codes(Deal(values={}, current_position=2, lost_reason="price", lost_reasons=reasons), lost)
        == []
    )


def test_the_forecast_weighs_the_amount_by_probability() -> None:
    assert weighted(Decimal("1000.00"), 40) == Decimal("400.00")
    assert weighted(None, 90) == 0
