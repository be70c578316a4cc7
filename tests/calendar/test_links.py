"""What an activity may name: deals, companies and contacts its author sees, people they see."""

from typing import Any
from uuid import uuid4

from shared.testing.records import (
    Announce,
    company_created,
    contact_created,
    customer_access_changed,
    deal_created,
)
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import call


def refused_on(answer: Any) -> set[str]:
    assert answer.status_code == 422, answer.text
    return {problem["loc"][-1] for problem in answer.json()["detail"]}


async def test_an_activity_names_only_a_deal_its_author_sees(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    north = group()
    anna, bogdan, boss = (
        await hire("manager", north),
        await hire("manager", north),
        await hire("head", north),
    )
    bogdans = await announce(deal_created(bogdan.user_id))
    annas = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()

    linked = await calendar.call(anna, "POST", "/api/activities", json=call(deal_id=bogdans))
    moved_onto = await calendar.call(
        anna, "PATCH", f"/api/activities/{annas['id']}", json={"deal_id": bogdans}
    )
    unknown = await calendar.call(anna, "POST", "/api/activities", json=call(deal_id=str(uuid4())))
    by_owner = await calendar.call(bogdan, "POST", "/api/activities", json=call(deal_id=bogdans))
    by_head = await calendar.call(boss, "POST", "/api/activities", json=call(deal_id=bogdans))

    assert refused_on(linked) == refused_on(moved_onto) == refused_on(unknown) == {"deal_id"}
    assert by_owner.status_code == by_head.status_code == 201
    scheduled = await calendar.events("crm.activity.scheduled.v1")
    assert [e["owner_id"] for e in scheduled if e["deal_id"] == bogdans] == [
        bogdan.user_id,
        boss.user_id,
    ]


async def test_an_activity_names_a_company_by_who_reads_customers(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    anna, ola = await hire("manager", group()), await hire("manager", group())
    olas = await announce(company_created(ola.user_id))

    while_all_read = await calendar.call(
        anna, "POST", "/api/activities", json=call(company_id=olas)
    )
    await announce(customer_access_changed("group"))
    once_group_reads = await calendar.call(
        anna, "POST", "/api/activities", json=call(company_id=olas)
    )
    by_owner = await calendar.call(ola, "POST", "/api/activities", json=call(company_id=olas))

    assert while_all_read.status_code == by_owner.status_code == 201
    assert refused_on(once_group_reads) == {"company_id"}


async def test_an_activity_names_a_contact_by_who_reads_customers(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    anna, ola = await hire("manager", group()), await hire("manager", group())
    staff = await hire("staff")
    olas = await announce(contact_created(ola.user_id))
    await announce(customer_access_changed("group"))

    by_other_group = await calendar.call(
        anna, "POST", "/api/activities", json=call(contact_id=olas)
    )
    by_staff = await calendar.call(staff, "POST", "/api/activities", json=call(contact_id=olas))
    by_owner = await calendar.call(ola, "POST", "/api/activities", json=call(contact_id=olas))

    assert refused_on(by_other_group) == refused_on(by_staff) == {"contact_id"}
    assert by_owner.status_code == 201


async def test_participants_are_people_their_inviter_sees(calendar: Calendar, hire: Hire) -> None:
    north, south = group(), group()
    anna, bogdan = await hire("manager", north), await hire("manager", north)
    ola, boss = await hire("manager", south), await hire("head", north)

    colleague = await calendar.call(
        anna, "POST", "/api/activities", json=call(participant_ids=[bogdan.user_id])
    )
    stranger = await calendar.call(
        anna, "POST", "/api/activities", json=call(participant_ids=[ola.user_id])
    )
    added_later = await calendar.call(
        anna,
        "PATCH",
        f"/api/activities/{colleague.json()['id']}",
        json={"participant_ids": [bogdan.user_id, ola.user_id]},
    )
    by_head = await calendar.call(
        boss, "POST", "/api/activities", json=call(participant_ids=[anna.user_id, bogdan.user_id])
    )

    assert colleague.status_code == by_head.status_code == 201
    assert refused_on(stranger) == refused_on(added_later) == {"participant_ids"}
