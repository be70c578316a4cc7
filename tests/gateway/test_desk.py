"""The desk over the whole CRM in process: layouts kept per user with the role's default behind
them, every widget read from the services at once (a service down or slow leaves a notice in
its widgets only), a head's figures for the group and a manager's for themselves, the same as
the services' own numbers; the global search over companies, contacts, deals and activities."""

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.backends import Backends
from services.gateway.domain.desk import BUILT_IN, CATALOGUE, available
from services.gateway.usecases.widgets import READERS
from shared.testing.waiting import eventually
from tests.gateway.conftest import Browser, pipeline

TODAY = date.today()


async def api_get(who: Browser, path: str, **params: Any) -> Any:
    answer = await who.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def put(who: Browser, path: str, body: Any) -> httpx.Response:
    return await who.client.put(path, json=body, headers={"X-CSRF-Token": who.token})


def widgets_of(desk: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {widget["name"]: widget for widget in desk["widgets"]}


@pytest.fixture(scope="module")
async def sales(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> dict[str, Any]:
    """Deals of Anna and Piotr (the north group, led by Halina) and of Ewa (south), closing
    this month, once planning has counted them in its forecast."""
    teams = (await crm.get("/api/teams", headers=api)).json()
    north = next(team for team in teams if team["name"] == "Północ")
    me = {key: (await api_get(who, "/api/me"))["id"] for key, who in people.items()}
    await crm.patch(f"/api/teams/{north['id']}", json={"head_id": me["head"]}, headers=api)
    company = await crm.post("/api/companies", json={"name": "Łódzka Fabryka Mebli"}, headers=api)
    deals = {}
    for key, title, amount in (
        ("anna", "Krzesła biurowe", "1000"),
        ("piotr", "Stoły konferencyjne", "2000"),
        ("ewa", "Szafy tajne", "4000"),
    ):
        body = {
            "title": title,
            "company_id": company.json()["id"],
            "owner_id": me[key],
            "amount": amount,
            "expected_close_date": TODAY.isoformat(),
        }
        answer = await crm.post("/api/deals", json=body, headers=api)
        assert answer.status_code == 201, answer.text
        deals[key] = answer.json()

    async def counted() -> bool:
        first = TODAY.replace(day=1).isoformat()
        params = {"period": "month", "start_date": first}
        summary = await crm.get("/api/plans/summary", params=params, headers=api)
        return summary.status_code == 200 and float(summary.json()["forecast"]) > 0

    await eventually(counted, timeout=10)
    return {"me": me, "north": north["id"], "company": company.json()["id"], "deals": deals}


async def test_every_widget_of_the_catalogue_has_a_reader_and_every_role_a_desk() -> None:
    assert set(READERS) == set(CATALOGUE)
    assert all(set(names) <= set(CATALOGUE) for names in BUILT_IN.values())


async def test_a_manager_arranges_the_desk_and_resets_it_to_the_role_default(
    people: dict[str, Browser],
) -> None:
    anna, admin = people["anna"], people["admin"]
    default = [{"name": "must_read", "size": 1}, {"name": "agenda", "size": 2}]
    assert (await put(admin, "/api/desk/defaults/manager", {"widgets": default})).is_success

    shown = await api_get(anna, "/api/desk/layout")
    mine = [{"name": "pipeline", "size": 3}, {"name": "agenda", "size": 1}]
    saved = await put(anna, "/api/desk/layout", {"widgets": mine})
    unknown = await put(anna, "/api/desk/layout", {"widgets": [{"name": "weather"}]})
    twice = await put(anna, "/api/desk/layout", {"widgets": [{"name": "agenda"}] * 2})
    kept = await api_get(anna, "/api/desk/layout")
    reset = await anna.client.delete("/api/desk/layout", headers={"X-CSRF-Token": anna.token})

    assert shown["widgets"] == default and shown["own"] is False
    assert "pipeline" in {entry["name"] for entry in shown["catalogue"]}
    assert saved.status_code == 200 and kept["widgets"] == mine and kept["own"] is True
    assert unknown.status_code == 422 and twice.status_code == 422
    assert reset.json()["widgets"] == default and reset.json()["own"] is False


async def test_a_widget_outside_the_role_is_refused(people: dict[str, Browser]) -> None:
    staff_only = await put(
        people["admin"], "/api/desk/defaults/staff", {"widgets": [{"name": "pipeline"}]}
    )
    no_role = await put(people["admin"], "/api/desk/defaults/nobody", {"widgets": []})
    not_admin = await put(people["anna"], "/api/desk/defaults/manager", {"widgets": []})

    assert staff_only.status_code == 422
    assert no_role.status_code == 404
    assert not_admin.status_code == 403


async def test_a_head_sees_the_groups_figures_and_a_manager_only_their_own(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    found = await pipeline(crm, api)
    first = TODAY.replace(day=1).isoformat()
    month = {"period": "month", "start_date": first}
    anna, head = people["anna"], people["head"]

    anna_pipeline = await api_get(anna, "/api/desk/widgets/pipeline")
    head_pipeline = await api_get(head, "/api/desk/widgets/pipeline")
    anna_plan = await api_get(anna, "/api/desk/widgets/plan")
    head_plan = await api_get(head, "/api/desk/widgets/plan")
    anna_board = await api_get(
        anna, f"/api/pipelines/{found['id']}/board", owner_id=sales["me"]["anna"], limit=1
    )
    head_board = await api_get(head, f"/api/pipelines/{found['id']}/board", limit=1)
    anna_summary = await api_get(anna, "/api/plans/summary", scope="manager", **month)
    head_summary = await api_get(
        head, "/api/plans/summary", scope="team", id=sales["north"], **month
    )

    def stages(widget: dict[str, Any]) -> list[tuple[int, list[Any]]]:
        return [(stage["count"], stage["totals"]) for stage in widget["data"]["stages"]]

    def columns(board: dict[str, Any]) -> list[tuple[int, list[Any]]]:
        return [(column["count"], column["totals"]) for column in board["columns"]]

    assert anna_pipeline["data"]["scope"] == "own" and head_pipeline["data"]["scope"] == "group"
    assert stages(anna_pipeline) == columns(anna_board)
    assert stages(head_pipeline) == columns(head_board)
    assert sum(count for count, _ in stages(anna_pipeline)) == 1
    assert sum(count for count, _ in stages(head_pipeline)) == 2  # Anna's and Piotr's, not Ewa's
    assert anna_plan["data"]["total"]["forecast"] == anna_summary["forecast"]
    assert anna_plan["data"]["children"] == []
    assert head_plan["data"]["total"]["forecast"] == head_summary["forecast"]
    managers = {child["name"]: child["forecast"] for child in head_plan["data"]["children"]}
    from_planning = {child["name"]: child["forecast"] for child in head_summary["children"]}
    assert managers == from_planning and {"Anna Nowak", "Piotr Kowal"} <= set(managers)
    assert "Ewa Obca" not in managers
    assert float(head_summary["forecast"]) > float(anna_summary["forecast"]) > 0


async def test_deals_with_nothing_planned_leave_the_widget_once_an_activity_is_planned(
    people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    anna = people["anna"]
    deal = sales["deals"]["anna"]
    before = await api_get(anna, "/api/desk/widgets/idle_deals")
    start = datetime.now(UTC) + timedelta(days=1)
    body = {
        "kind": "call",
        "title": "Zadzwonić w sprawie krzeseł",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "deal_id": deal["id"],
    }
    created = await anna.client.post(
        "/api/activities", json=body, headers={"X-CSRF-Token": anna.token}
    )
    assert created.status_code == 201, created.text

    async def planned() -> bool:
        found = await api_get(anna, "/api/desk/widgets/idle_deals")
        return deal["id"] not in {item["id"] for item in found["data"]["items"]}

    assert [item["id"] for item in before["data"]["items"]] == [deal["id"]]
    await eventually(planned, timeout=10)


class Silent:
    """A service that takes the call and never answers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(60)


@pytest.mark.parametrize("how", ["stopped", "silent"])
async def test_with_the_calendar_down_the_desk_shows_the_rest_within_the_timeout(
    crm: httpx.AsyncClient, people: dict[str, Browser], sales: dict[str, Any], how: str
) -> None:
    app = crm._transport.app  # type: ignore[attr-defined]
    working, settings = app.state.backends, app.state.settings
    apps = dict(app.state.embedded_apps)
    if how == "stopped":
        stopped = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2)
        app.state.backends = Backends({"calendar": stopped}, apps)
    else:
        app.state.backends = Backends.in_process({**apps, "calendar": Silent()})
    app.state.settings = settings.model_copy(update={"desk_timeout": 1.0})
    anna = people["anna"]
    everything = [{"name": name} for name in BUILT_IN["manager"]]
    assert (await put(anna, "/api/desk/layout", {"widgets": everything})).is_success
    try:
        started = time.monotonic()
        desk = await anna.get("/api/desk")
        took = time.monotonic() - started
        page = await anna.get("/")
        agenda = await anna.get("/desk/widgets/agenda", headers={"HX-Request": "true"})
        pipeline_part = await anna.get("/desk/widgets/pipeline", headers={"HX-Request": "true"})
    finally:
        await app.state.backends.close()
        app.state.backends, app.state.settings = working, settings

    assert desk.status_code == 200 and took < 2.5
    widgets = widgets_of(desk.json())
    assert {name for name, w in widgets.items() if w["status"] != "ok"} == {"agenda", "awaiting"}
    assert widgets["agenda"]["unavailable"] == ["calendar"]
    assert widgets["pipeline"]["data"]["stages"] and widgets["plan"]["data"]["total"]
    assert page.status_code == 200 and 'id="widget-agenda"' in page.text
    assert agenda.status_code == 200 and "The calendar service is not answering" in agenda.text
    assert pipeline_part.status_code == 200 and "data-stage=" in pipeline_part.text


class Delayed:
    """A service that answers as it would, `seconds` late."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


async def test_the_desk_asks_the_services_at_once_not_one_after_another(
    crm: httpx.AsyncClient, people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    app = crm._transport.app  # type: ignore[attr-defined]
    working = app.state.backends
    late = 0.4
    apps = {name: Delayed(service, late) for name, service in app.state.embedded_apps.items()}
    app.state.backends = Backends.in_process(apps)
    anna = people["anna"]
    everything = [{"name": name} for name in BUILT_IN["manager"]]
    assert (await put(anna, "/api/desk/layout", {"widgets": everything})).is_success
    try:
        await anna.get("/api/desk")  # the services' pools open as many connections as asked
        started = time.monotonic()
        desk = await anna.get("/api/desk")
        took = time.monotonic() - started
    finally:
        app.state.backends = working

    widgets = widgets_of(desk.json())
    calling = [name for name in widgets if CATALOGUE[name].services]
    assert len(calling) >= 6 and all(widgets[name]["status"] == "ok" for name in calling)
    # One after another: at least len(calling) x `late`; at once: `late` and the calls' work
    # (a widget reading two services in turn waits twice).
    assert took < 3 * late < len(calling) * late


async def test_every_widget_renders_in_the_page(
    people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    head = people["head"]
    names = [widget.name for widget in available("head")]
    saved = await put(head, "/api/desk/layout", {"widgets": [{"name": n} for n in names]})
    page = await head.get("/")
    parts = {name: await head.get(f"/desk/widgets/{name}") for name in names}
    missing = await head.get("/desk/widgets/weather")
    not_for_heads = await head.get("/desk/widgets/department_queue")

    assert saved.is_success and set(CATALOGUE) - set(names) == {"department_queue"}
    assert page.status_code == 200 and page.text.count('class="widget ') == len(names)
    assert 'hx-trigger="load, crm:notified from:body' in page.text  # live widgets
    assert {name: part.status_code for name, part in parts.items()} == dict.fromkeys(names, 200)
    assert "Piotr Kowal" in parts["plan"].text and "Ewa Obca" not in parts["plan"].text
    assert missing.status_code == 404 and not_for_heads.status_code == 404


async def test_the_page_reorders_pins_and_adds_widgets(people: dict[str, Browser]) -> None:
    piotr = people["piotr"]
    await piotr.client.delete("/api/desk/layout", headers={"X-CSRF-Token": piotr.token})
    added = await piotr.post("/desk/widgets", {"name": "shortcuts"})
    await piotr.post("/desk/widgets/shortcuts/remove")
    await piotr.post("/desk/widgets", {"name": "shortcuts"})
    order = await piotr.post("/desk/layout", {"widgets": ["shortcuts:2", "agenda:1"]})
    pinned = await piotr.post("/desk/shortcuts", {"label": "Moje", "url": "/deals?owner=me"})
    elsewhere = await piotr.post("/desk/shortcuts", {"label": "Zło", "url": "https://evil.example"})
    unknown = await piotr.post("/desk/layout", {"widgets": ["agenda:1", "weather:1"]})
    too_wide = await piotr.post("/desk/layout", {"widgets": ["agenda:9"]})
    layout = await api_get(piotr, "/api/desk/layout")
    shortcuts = await piotr.get("/desk/widgets/shortcuts")

    assert added.headers["HX-Redirect"] == "/" and order.status_code == 204
    assert layout["widgets"] == [{"name": "shortcuts", "size": 2}, {"name": "agenda", "size": 1}]
    assert pinned.status_code == 204 and "crm:told" in pinned.headers["HX-Trigger"]
    assert elsewhere.status_code == 422 and unknown.status_code == 422
    assert too_wide.status_code == 422
    assert 'href="/deals?owner=me"' in shortcuts.text


async def test_search_finds_a_company_without_diacritics_and_never_another_managers_deal(
    people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    anna, head = people["anna"], people["head"]
    company = await api_get(anna, "/api/search", q="lodzka mebl")
    own = await api_get(anna, "/api/search", q="krzesla")
    other = await api_get(anna, "/api/search", q="szafy tajne")
    group = await api_get(head, "/api/search", q="stoly")
    quick = await anna.get("/search/quick", params={"q": "Łódz"})

    def kinds(answer: dict[str, Any]) -> dict[str, list[str]]:
        return {
            group["kind"]: ["".join(p["text"] for p in hit["title"]) for hit in group["items"]]
            for group in answer["groups"]
        }

    assert kinds(company)["company"] == ["Łódzka Fabryka Mebli"]
    assert kinds(own)["deal"] == ["Krzesła biurowe"]
    assert "deal" not in kinds(other)  # Ewa's deal, not Anna's to see
    assert kinds(group)["deal"] == ["Stoły konferencyjne"]
    assert company["unavailable"] == []
    assert quick.status_code == 200 and "<mark>Łódzka</mark>" in quick.text
    assert f'href="/companies/{sales["company"]}"' in quick.text


async def test_a_mention_reaches_the_mentioned_persons_desk_until_it_is_opened(
    people: dict[str, Browser], sales: dict[str, Any]
) -> None:
    anna, piotr = people["anna"], people["piotr"]
    text = r"Piotrze, zobacz [krzesła \(biurowe\)](/deals/01) #oferta"  # light Markdown
    body = {"text": text, "mentions": [sales["me"]["piotr"]]}
    posted = await anna.client.post("/api/posts", json=body, headers={"X-CSRF-Token": anna.token})
    assert posted.status_code == 201, posted.text

    async def mentioned() -> dict[str, Any]:
        widget = await api_get(piotr, "/api/desk/widgets/mentions")
        return widget if widget["data"]["count"] else {}

    found = await eventually(mentioned, timeout=10)
    posts = await piotr.get("/desk/widgets/latest_posts")
    part = await piotr.get("/desk/widgets/mentions")
    [item] = found["data"]["items"]
    opened = await piotr.get(f"/notifications/{item['id']}/open")
    after = await api_get(piotr, "/api/desk/widgets/mentions")
    anna_mentions = await api_get(anna, "/api/desk/widgets/mentions")

    assert "Piotrze, zobacz krzesła (biurowe) oferta" in posts.text and "Anna Nowak" in posts.text
    assert "](/deals" not in posts.text
    assert f'href="/notifications/{item["id"]}/open"' in part.text
    assert opened.status_code in (200, 303, 307)
    assert after["data"]["count"] == 0 and anna_mentions["data"]["count"] == 0


async def test_the_administrators_desk_becomes_a_roles_default_in_one_click(
    people: dict[str, Browser],
) -> None:
    admin = people["admin"]
    mine = [{"name": "must_read", "size": 2}, {"name": "plan", "size": 1}]
    await put(admin, "/api/desk/layout", {"widgets": mine})

    made = await admin.post("/desk/defaults", {"role": "staff"})
    refused = await people["anna"].post("/desk/defaults", {"role": "manager"})
    staff_default = await api_get(admin, "/api/desk/defaults/staff")

    assert made.status_code == 204 and "crm:told" in made.headers["HX-Trigger"]
    assert staff_default == [{"name": "must_read", "size": 2}]  # the plan is not for staff
    assert refused.status_code == 403
