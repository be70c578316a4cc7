"""Whom a change of the feed reaches: the principals a person stands for, as knowledge counts
them (their group and the groups above; a head the groups beneath the one they lead)."""

from uuid import uuid4

from services.gateway.domain.audience import principals_of
from services.gateway.notifications import Listener


def test_a_person_stands_for_their_group_the_groups_above_and_a_head_for_those_below() -> None:
    company, north, north_east = uuid4(), uuid4(), uuid4()
    parents = {company: None, north: company, north_east: north}
    me, department = uuid4(), uuid4()

    manager = principals_of(
        user_id=me, role="manager", team_id=north, department_id=None, parents=parents
    )
    head = principals_of(
        user_id=me, role="head", team_id=north, department_id=None, parents=parents
    )
    clerk = principals_of(
        user_id=me, role="staff", team_id=None, department_id=department, parents=parents
    )

    assert manager == {"everyone", f"user:{me}", f"team:{north}", f"team:{company}"}
    assert head == manager | {f"team:{north_east}"}
    assert clerk == {"everyone", f"user:{me}", f"department:{department}"}


def test_an_open_tab_hears_the_changes_its_user_may_read_the_author_always() -> None:
    listener = Listener(principals=frozenset({"everyone", "team:a"}))
    change = {"event": "feed", "author_id": "me", "audience": ["team:b"]}

    assert listener.hears("me", change) and not listener.hears("you", change)
    assert listener.hears("you", {**change, "audience": ["team:a"]})
    assert Listener(everything=True).hears("admin", change)
