"""Property: every level's totals are the sums of the lines beneath it that count."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.planning.domain.rollup import IN_SUBMITTED, Line, Totals, roll_up

STATUSES = ("draft", "submitted", "approved", "doubtful", "rejected")
Organisation = tuple[dict[int, int | None], dict[str, int], list[Line]]


@st.composite
def organisations(draw: st.DrawFn) -> Organisation:
    """A random group tree (group 0 is the company), managers in groups, and their plan lines."""
    size = draw(st.integers(1, 12))
    parents: dict[int, int | None] = {0: None}
    for team in range(1, size):
        parents[team] = draw(st.integers(0, team - 1))
    managers = {f"m{n}": draw(st.integers(0, size - 1)) for n in range(draw(st.integers(0, 10)))}
    lines = draw(
        st.lists(
            st.builds(
                Line,
                manager_id=st.sampled_from(sorted(managers)) if managers else st.just("nobody"),
                client_id=st.integers(0, 5),
                amount=st.decimals(min_value=0, max_value=10**9, places=2),
                status=st.sampled_from(STATUSES),
            ),
            max_size=40,
        )
    )
    return parents, managers, lines


def beneath(team: int, parents: dict[int, int | None], start: int) -> bool:
    node: int | None = start
    while node is not None:
        if node == team:
            return True
        node = parents[node]
    return False


@settings(max_examples=300)
@given(organisations(), st.booleans())
def test_each_level_sums_exactly_the_lines_beneath_it_that_count(
    organisation: Organisation, approval_required: bool
) -> None:
    parents, managers, lines = organisation

    totals = roll_up(parents, managers, lines, approval_required=approval_required)

    for team in parents:
        mine = [
            line
            for line in lines
            if line.manager_id in managers and beneath(team, parents, managers[line.manager_id])
        ]
        submitted = sum((line.amount for line in mine if line.status in IN_SUBMITTED), Decimal(0))
        final_statuses = {"approved"} if approval_required else IN_SUBMITTED
        final = sum((line.amount for line in mine if line.status in final_statuses), Decimal(0))
        assert totals[team] == Totals(submitted, final)


@given(organisations())
def test_with_approval_on_final_leaves_out_exactly_the_lines_not_approved(
    organisation: Organisation,
) -> None:
    parents, managers, lines = organisation
    known = [line for line in lines if line.manager_id in managers]

    company = roll_up(parents, managers, lines, approval_required=True)[0]

    not_approved = sum(
        (line.amount for line in known if line.status in {"submitted", "doubtful"}), Decimal(0)
    )
    assert company.submitted - company.final == not_approved


def test_a_doubtful_line_counts_in_submitted_but_not_in_final() -> None:
    parents = {"company": None, "north": "company"}
    lines = [
        Line("anna", "orlen", Decimal("100"), "approved"),
        Line("anna", "lotos", Decimal("40"), "doubtful"),
        Line("anna", "pkn", Decimal("7"), "draft"),
    ]

    totals = roll_up(parents, {"anna": "north"}, lines, approval_required=True)

    assert totals["north"] == totals["company"] == Totals(Decimal("140"), Decimal("100"))
