"""Activities over HTTP: validation, who sees and changes what, outcome reports, events."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from shared.testing.apps import ADMIN
from shared.testing.records import Announce, company_created, deal_created
from tests.calendar.conftest import Calendar, Hire, group

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


def call(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "call",
        "title": "Telefon do klienta",
        "start": SOON.isoformat(),
        "end": (SOON + timedelta(minutes=30)).isoformat(),
        **overrides,
    }


async def test_a_call_is_planned_with_the_default_reminder_and_announced(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    anna = await hire("manager", group())
    deal = await announce(deal_created(anna.user_id))
    created = await calendar.call(anna, "POST", "/api/activities", json=call(deal_id=deal))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner_id"] == anna.user_id
    assert body["reminders"] == [10]
    assert body["status"] == "scheduled" and body["due"] is None
    assert body["time_zone"] == "Europe/Warsaw"
    [scheduled] = await calendar.events("crm.activity.scheduled.v1")
    assert scheduled["activity_id"] == body["id"] and scheduled["deal_id"] == deal


async def test_a_letter_has_a_due_time(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    due = SOON.isoformat()
    letter = {"kind": "letter", "title": "Oferta pisemna", "due": due}
    body = (await calendar.call(anna, "POST", "/api/activities", json=letter)).json()
    assert body["due"] == body["start"] == body["end"]
    assert datetime.fromisoformat(body["due"]) == SOON


async def test_bad_input_is_refused_naming_the_field(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    cases = [
        (call(end=(SOON - timedelta(hours=1)).isoformat()), "end"),
        (call(rrule="FREQ=SECONDLY"), "rrule"),
        (call(rrule="FREQ=WEEKLY;COUNT=3;UNTIL=20300101T000000Z"), "rrule"),
        (call(rrule="FREQ=DAILY;COUNT=100000000"), "rrule"),
        (call(rrule="FREQ=DAILY;UNTIL=99991231"), "rrule"),
        (call(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"), "rrule"),
        (call(rrule="FREQ=DAILY;BYHOUR=0,1,2"), "rrule"),
        (call(rrule="FREQ=DAILY;COUNT=2\rDTSTART:20300101T000000Z"), "rrule"),
        (call(rrule="FREQ=DAILY;INTERVAL=0"), "rrule"),
        (call(time_zone="localtime"), "time_zone"),
        (call(time_zone="Mars/Olympus"), "time_zone"),
        (call(exdates=[SOON.isoformat()]), "exdates"),
        (call(reminders=[-5]), "reminders"),
        (call(start="2026-12-01T10:00:00"), "start"),
        (call(kind="visit"), "kind"),
        (call(title=""), "title"),
        (call(participant_ids=[str(uuid4())]), "participant_ids"),
    ]
    for payload, field in cases:
        answer = await calendar.call(anna, "POST", "/api/activities", json=payload)
        assert answer.status_code == 422, (field, answer.text)
        assert field in [problem["loc"][1] for problem in answer.json()["detail"]], answer.text
    missing_end = call()
    del missing_end["end"]
    assert (
        await calendar.call(anna, "POST", "/api/activities", json=missing_end)
    ).status_code == 422
    listed = (await calendar.call(anna, "GET", "/api/activities")).json()
    assert listed["items"] == []


async def test_managers_see_their_own_heads_their_group_participants_what_they_join(
    calendar: Calendar, hire: Hire
) -> None:
    north = group()
    head = await hire("head", north)
    anna, bogdan = await hire("manager", north), await hire("manager", group())
    meeting = call(kind="meeting", owner_id=anna.user_id, participant_ids=[bogdan.user_id])
    annas = (await calendar.call(ADMIN, "POST", "/api/activities", json=meeting)).json()
    private = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()

    def ids(answer: Any) -> set[str]:
        return {item["id"] for item in answer.json()["items"]}

    assert ids(await calendar.call(head, "GET", "/api/activities")) == {annas["id"], private["id"]}
    assert ids(await calendar.call(bogdan, "GET", "/api/activities")) == {annas["id"]}
    hidden = await calendar.call(bogdan, "GET", f"/api/activities/{private['id']}")
    assert hidden.status_code == 404
    # a participant sees the meeting but does not change it
    moved = await calendar.call(
        bogdan, "PATCH", f"/api/activities/{annas['id']}", json={"title": "Inny"}
    )
    assert moved.status_code == 403
    # the head of the group changes it; a manager may not plan for someone else
    renamed = await calendar.call(
        head, "PATCH", f"/api/activities/{annas['id']}", json={"title": "Spotkanie u klienta"}
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Spotkanie u klienta"
    for_other = await calendar.call(
        bogdan, "POST", "/api/activities", json=call(owner_id=anna.user_id)
    )
    assert for_other.status_code == 403
    by_head = await calendar.call(head, "POST", "/api/activities", json=call(owner_id=anna.user_id))
    assert by_head.status_code == 201 and by_head.json()["owner_id"] == anna.user_id


async def test_rescheduling_raises_the_sequence_and_is_announced(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    later = SOON + timedelta(days=1)
    moved = await calendar.call(
        anna,
        "PATCH",
        f"/api/activities/{created['id']}",
        json={"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == created["sequence"] + 1
    [rescheduled] = await calendar.events("crm.activity.rescheduled.v1")
    assert datetime.fromisoformat(rescheduled["starts_at"]) == later
    assert datetime.fromisoformat(rescheduled["previous_starts_at"]) == SOON
    unchanged = await calendar.call(
        anna, "PATCH", f"/api/activities/{created['id']}", json={"title": created["title"]}
    )
    assert unchanged.json()["sequence"] == created["sequence"] + 1
    backwards = await calendar.call(
        anna,
        "PATCH",
        f"/api/activities/{created['id']}",
        json={"end": (later - timedelta(hours=1)).isoformat()},
    )
    assert backwards.status_code == 422 and "end" in backwards.text


async def test_done_only_with_an_outcome_which_can_plan_the_next_activity(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    anna = await hire("manager", group())
    deal = await announce(deal_created(anna.user_id))
    company = await announce(company_created(anna.user_id))
    past = datetime.now(UTC) - timedelta(hours=2)
    created = await calendar.plan(anna, past, minutes=20, deal_id=deal, company_id=company)
    assert created["awaiting_outcome"] is True
    awaiting = (
        await calendar.call(anna, "GET", "/api/activities", params={"awaiting_outcome": "true"})
    ).json()
    assert [item["id"] for item in awaiting["items"]] == [created["id"]]
    url = f"/api/activities/{created['id']}"
    done = await calendar.call(anna, "PATCH", url, json={"status": "done"})
    assert done.status_code == 422 and "status" in done.text
    for bad in ({"note": "Bez wyniku"}, {"result": "completed", "note": "  "}, {"result": "won"}):
        refused = await calendar.call(anna, "POST", f"{url}/outcome", json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    unknown = await calendar.call(
        anna, "POST", f"{url}/outcome", json={"result": "won_big", "note": "?"}
    )
    assert unknown.status_code == 422 and "result" in unknown.text
    follow_up = SOON + timedelta(days=3)
    reported = await calendar.call(
        anna,
        "POST",
        f"{url}/outcome",
        json={
            "result": "completed",
            "note": "Klient prosi o ofertę.",
            "next": {"kind": "letter", "title": "Wysłać ofertę", "due": follow_up.isoformat()},
        },
    )
    assert reported.status_code == 200, reported.text
    body = reported.json()
    assert body["activity"]["status"] == "done"
    assert body["activity"]["outcome"]["result"] == "completed"
    assert body["next"]["deal_id"] == deal and body["next"]["company_id"] == company
    assert body["next"]["kind"] == "letter"
    [completed] = await calendar.events("crm.activity.completed.v1")
    assert (completed["deal_id"], completed["result"]) == (deal, "completed")
    again = await calendar.call(
        anna, "POST", f"{url}/outcome", json={"result": "completed", "note": "Jeszcze raz"}
    )
    assert again.status_code == 409
    frozen = await calendar.call(anna, "PATCH", url, json={"title": "Zmiana"})
    assert frozen.status_code == 422


async def test_admin_defined_outcome_types(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    added = await calendar.client.post(
        "/api/calendar/outcome-types", json={"code": "offer_sent", "label": "Oferta wysłana"}
    )
    assert added.status_code == 201
    refused = await calendar.call(
        anna, "POST", "/api/calendar/outcome-types", json={"code": "x", "label": "X"}
    )
    assert refused.status_code == 403
    duplicate = await calendar.client.post(
        "/api/calendar/outcome-types", json={"code": "completed", "label": "Again"}
    )
    assert duplicate.status_code == 409
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    reported = await calendar.call(
        anna,
        "POST",
        f"/api/activities/{created['id']}/outcome",
        json={"result": "offer_sent", "note": "Wysłana mailem."},
    )
    assert reported.status_code == 200, reported.text
    codes = [t["code"] for t in (await calendar.client.get("/api/calendar/outcome-types")).json()]
    assert codes == ["completed", "no_answer", "rescheduled", "cancelled", "offer_sent"]


async def test_cancelling_keeps_the_activity_and_announces_it(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    url = f"/api/activities/{created['id']}"
    assert (await calendar.call(anna, "DELETE", url)).status_code == 204
    kept = (await calendar.call(anna, "GET", url)).json()
    assert kept["status"] == "cancelled" and kept["sequence"] == created["sequence"] + 1
    [cancelled] = await calendar.events("crm.activity.cancelled.v1")
    assert cancelled["activity_id"] == created["id"]


async def test_occurrences_expand_a_series_without_its_exceptions(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    monday = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # 9:00 in Warsaw, winter time
    series = call(
        start=monday.isoformat(),
        end=(monday + timedelta(minutes=15)).isoformat(),
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        exdates=[(monday + timedelta(weeks=2)).isoformat()],
    )
    assert (await calendar.call(anna, "POST", "/api/activities", json=series)).status_code == 201
    found = (
        await calendar.call(
            anna,
            "GET",
            "/api/calendar/occurrences",
            params={"start": "2027-02-25T00:00:00Z", "end": "2027-05-01T00:00:00Z"},
        )
    ).json()
    starts = [datetime.fromisoformat(item["start"]) for item in found]
    # Warsaw moves to summer time on 28 March: the call stays at 9:00 local, 7:00 UTC
    assert [s.astimezone(UTC).strftime("%m-%d %H:%M") for s in starts] == [
        "03-01 08:00",
        "03-08 08:00",
        "03-22 08:00",
        "03-29 07:00",
        "04-05 07:00",
    ]
    too_long = await calendar.call(
        anna,
        "GET",
        "/api/calendar/occurrences",
        params={"start": "2027-01-01T00:00:00Z", "end": "2027-12-01T00:00:00Z"},
    )
    assert too_long.status_code == 422


async def test_an_occurrence_of_a_series_is_reported_on_as_an_activity_of_its_own(
    calendar: Calendar, hire: Hire, announce: Announce
) -> None:
    anna = await hire("manager", group())
    monday = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    deal = await announce(deal_created(anna.user_id))
    series = await calendar.plan(
        anna, monday, minutes=15, rrule="FREQ=WEEKLY;COUNT=4", deal_id=deal
    )
    url = f"/api/activities/{series['id']}/outcome"
    report = {"result": "no_answer", "note": "Nie odebrał."}
    missing = await calendar.call(anna, "POST", url, json=report)
    assert missing.status_code == 422 and "occurrence" in missing.text
    wrong = await calendar.call(
        anna, "POST", url, json={**report, "occurrence": (monday + timedelta(days=1)).isoformat()}
    )
    assert wrong.status_code == 422 and "occurrence" in wrong.text
    second = monday + timedelta(weeks=1)
    reported = await calendar.call(
        anna, "POST", url, json={**report, "occurrence": second.isoformat()}
    )
    assert reported.status_code == 200, reported.text
    single = reported.json()["activity"]
    assert single["id"] != series["id"] and single["rrule"] is None
    assert datetime.fromisoformat(single["start"]) == second
    assert single["outcome"]["result"] == "no_answer" and single["deal_id"] == series["deal_id"]
    after = (await calendar.call(anna, "GET", f"/api/activities/{series['id']}")).json()
    assert [datetime.fromisoformat(d) for d in after["exdates"]] == [second]
    assert after["status"] == "scheduled"
    [completed] = await calendar.events("crm.activity.completed.v1")
    assert completed["activity_id"] == single["id"]
    again = await calendar.call(
        anna, "POST", url, json={**report, "occurrence": second.isoformat()}
    )
    assert again.status_code == 422


async def test_an_all_day_activity_keeps_its_days_across_a_clock_change(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    autumn = datetime(2026, 10, 25, tzinfo=ZoneInfo("Europe/Warsaw"))  # clocks go back that day
    created = await calendar.call(
        anna,
        "POST",
        "/api/activities",
        json=call(kind="meeting", all_day=True, start=autumn.isoformat(), end=autumn.isoformat()),
    )
    assert created.status_code == 201, created.text  # an all-day meeting may end where it starts
    body = created.json()
    assert datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"]) == (
        timedelta(hours=25)  # one calendar day, 25 hours long
    )
    for title in ("Targi", "Targi, dzień 1"):  # edits that do not touch the days
        body = (
            await calendar.call(
                anna, "PATCH", f"/api/activities/{body['id']}", json={"title": title}
            )
        ).json()
        assert datetime.fromisoformat(body["end"]).astimezone(ZoneInfo("Europe/Warsaw")).day == 26


async def test_patch_refuses_nulls_and_mixed_cancellation_clearly(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    url = f"/api/activities/{created['id']}"
    for change, field in (
        ({"time_zone": None}, "time_zone"),
        ({"time_zone": "Factory"}, "time_zone"),
        ({"status": "cancelled", "title": "X"}, "status"),
    ):
        answer = await calendar.call(anna, "PATCH", url, json=change)
        assert answer.status_code == 422, (change, answer.text)
        assert field in [problem["loc"][1] for problem in answer.json()["detail"]]
    assert (await calendar.call(anna, "GET", url)).json()["status"] == "scheduled"
    no_rule = await calendar.call(anna, "PATCH", url, json={"rrule": ""})
    assert no_rule.status_code == 200 and no_rule.json()["rrule"] is None


async def test_moving_a_series_moves_its_exceptions_with_it(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    monday = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    series = await calendar.plan(
        anna,
        monday,
        minutes=15,
        rrule="FREQ=WEEKLY;COUNT=4",
        exdates=[(monday + timedelta(weeks=1)).isoformat()],
    )
    later = monday + timedelta(hours=2)
    moved = (
        await calendar.call(
            anna,
            "PATCH",
            f"/api/activities/{series['id']}",
            json={"start": later.isoformat(), "end": (later + timedelta(minutes=15)).isoformat()},
        )
    ).json()
    assert [datetime.fromisoformat(d) for d in moved["exdates"]] == [later + timedelta(weeks=1)]
    found = (
        await calendar.call(
            anna,
            "GET",
            "/api/calendar/occurrences",
            params={"start": "2027-02-28T00:00:00Z", "end": "2027-04-01T00:00:00Z"},
        )
    ).json()
    assert len(found) == 3


async def test_past_occurrences_of_a_series_await_their_outcomes(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3, hours=1)
    series = await calendar.plan(anna, start, minutes=15, rrule="FREQ=DAILY;COUNT=10")
    single = await calendar.plan(anna, start, minutes=30, title="Raz")
    awaiting = (await calendar.call(anna, "GET", "/api/calendar/awaiting")).json()
    assert [item["activity_id"] for item in awaiting].count(series["id"]) == 4  # days 0..3
    assert single["id"] in [item["activity_id"] for item in awaiting]
    first = next(item for item in awaiting if item["activity_id"] == series["id"])
    await calendar.call(
        anna,
        "POST",
        f"/api/activities/{series['id']}/outcome",
        json={"result": "completed", "note": "OK", "occurrence": first["start"]},
    )
    awaiting = (await calendar.call(anna, "GET", "/api/calendar/awaiting")).json()
    assert [item["activity_id"] for item in awaiting].count(series["id"]) == 3
    assert first["start"] not in [item["start"] for item in awaiting]
