"""The feed through the gateway, with the whole CRM in process: posting from the page with a
mention (a notification, and a push to the open tabs of the post's readers only), comments and
reactions answered with the card, infinite scroll, a deal's notes on its timeline, the global
search, and the administrator's switches."""

import asyncio
import json
import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.gateway.feed import listener_of
from services.gateway.notifications import NotificationHub
from services.gateway.tables import User
from shared.db import SessionFactory
from shared.testing.waiting import eventually
from tests.gateway.conftest import Browser, new_company, pipeline, quick_add, stage


def app_of(crm: httpx.AsyncClient) -> FastAPI:
    return crm._transport.app  # type: ignore[attr-defined,no-any-return]


async def user_named(crm: httpx.AsyncClient, email: str) -> User:
    sessions: SessionFactory = app_of(crm).state.sessions
    async with sessions() as session:
        found = await session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


async def written(who: Browser, text: str, **fields: Any) -> str:
    answer = await who.post("/feed/posts", {"text": text, "into": "#feed-posts", **fields})
    assert answer.status_code == 200, answer.text
    assert answer.headers["HX-Retarget"] == "#feed-posts"
    found = re.search(r'data-post-id="([0-9a-f-]+)"', answer.text)
    assert found, answer.text
    return found.group(1)


async def tab(
    crm: httpx.AsyncClient, email: str
) -> tuple[NotificationHub, Any, asyncio.Queue[str]]:
    """An open page of the user: its stream, as the notification stream opens it."""
    user = await user_named(crm, email)
    hub: NotificationHub = app_of(crm).state.hub
    return hub, user.id, hub.subscribe(user.id, await listener_of(app_of(crm).state.sessions, user))


async def pushed(queue: asyncio.Queue[str], change: str) -> dict[str, Any]:
    while True:
        data = json.loads(await asyncio.wait_for(queue.get(), 10))
        if data.get("event") == "feed" and data["change"] == change:
            return data  # type: ignore[no-any-return]


async def test_a_post_mentioning_someone_notifies_them_and_reaches_only_its_readers_tabs(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    anna, piotr, ewa = people["anna"], people["piotr"], people["ewa"]
    piotr_user = await user_named(crm, "piotr@contentum.pl")
    north = str(piotr_user.team_id)
    hub, piotr_id, piotr_tab = await tab(crm, "piotr@contentum.pl")
    _, ewa_id, ewa_tab = await tab(crm, "ewa@contentum.pl")
    try:
        post_id = await written(
            anna,
            "Jutro o 9 spotkanie w sprawie **Orlenu**, @Piotr Kowal #spotkanie",
            audience=f"team:{north}",
            mentions=str(piotr_id),
        )
        change = await pushed(piotr_tab, "created")
        await asyncio.sleep(0.3)  # anything for Ewa would have come by now
        for_ewa = [json.loads(p) for p in _drain(ewa_tab)]
    finally:
        hub.unsubscribe(piotr_id, piotr_tab)
        hub.unsubscribe(ewa_id, ewa_tab)

    async def mentioned() -> list[dict[str, Any]]:
        items = (await piotr.get("/api/notifications")).json()["items"]
        return [n for n in items if n["kind"] == "mention"]

    [notification] = await eventually(mentioned, timeout=10, interval=0.1)
    card = await piotr.get(f"/feed/posts/{post_id}/card")
    hidden = await ewa.get(f"/feed/posts/{post_id}/card", headers={"HX-Request": "true"})

    assert change["post_id"] == post_id and change["audience"] == [f"team:{north}"]
    assert not [p for p in for_ewa if p.get("event") == "feed"]
    assert notification["title"] == "Anna Nowak mentioned you"
    assert notification["link"] == f"/feed/posts/{post_id}"
    assert '<a href="/feed?author_id=' in card.text and ">@Piotr Kowal</a>" in card.text
    assert '<a href="/feed?tag=spotkanie" class="tag">#spotkanie</a>' in card.text
    assert "<strong>Orlenu</strong>" in card.text
    assert hidden.status_code == 404


def _drain(queue: asyncio.Queue[str]) -> list[str]:
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found


async def test_a_comment_a_reaction_and_a_confirmation_answer_with_the_card(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    head, anna = people["head"], people["anna"]
    post_id = await written(head, "Proszę o potwierdzenie nowych zasad", important="on")

    async def asked() -> bool:
        card = await anna.get(f"/feed/posts/{post_id}/card")
        return "I have read it" in card.text

    await eventually(asked, timeout=10, interval=0.1)
    commented = await anna.post(f"/feed/posts/{post_id}/comments", {"text": "Przeczytane *dziś*"})
    liked = await anna.post(f"/feed/posts/{post_id}/reactions", {"reaction": "like", "on": "1"})
    confirmed = await anna.post(f"/feed/posts/{post_id}/acknowledge")
    refused = await anna.post(f"/feed/posts/{post_id}/reactions", {"reaction": "boo", "on": "1"})
    page = await head.get(f"/feed/posts/{post_id}")

    assert "Przeczytane <em>dziś</em>" in commented.text
    assert 'aria-pressed="true"' in liked.text and '<span class="count">1</span>' in liked.text
    assert "I have read it" not in confirmed.text
    assert refused.status_code == 422 and "crm:error" in refused.headers["HX-Trigger"]
    assert refused.headers["HX-Reswap"] == "none"
    assert "Confirmed: 1, waiting:" in page.text and "Anna Nowak" in page.text


async def test_the_feed_page_pages_by_scrolling_and_filters_by_tag(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    ewa = people["ewa"]
    for number in range(22):
        await written(ewa, f"Raport dzienny {number} #raport")

    page = await ewa.get("/feed", params={"tag": "raport"})
    cursor = re.search(r'hx-get="/feed/more\?cursor=([^&"]+)&tag=raport"', page.text)
    assert cursor, page.text
    more = await ewa.get(f"/feed/more?cursor={cursor.group(1)}&tag=raport")

    assert page.status_code == 200 and 'data-live="off"' in page.text
    assert page.text.count('class="card post') == 20
    assert more.text.count('class="card post') == 2 and "/feed/more" not in more.text
    assert "Raport dzienny 0 #raport" not in page.text and "Raport dzienny 0" in more.text


async def test_a_deals_notes_are_its_thread_and_lines_of_its_timeline(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna, ewa = people["anna"], people["ewa"]
    company = await new_company(anna, "Huta Częstochowa")
    first = stage(await pipeline(crm, api), "Qualification")
    deal_id = await quick_add(anna, first["id"], company, title="Blachy 2027")

    async def noted() -> str:
        answer = await anna.post(
            "/feed/posts",
            {
                "text": "Prezes chce rabatu 5%",
                "into": "#thread-posts",
                "record_kind": "deal",
                "record_id": deal_id,
            },
        )
        return answer.text if answer.status_code == 200 else ""  # once knowledge knows the deal

    card = await eventually(noted, timeout=10, interval=0.2)
    thread = await anna.get(f"/feed/records/deal/{deal_id}")
    deal_page = await anna.get(f"/deals/{deal_id}")
    not_hers = await ewa.get(f"/feed/records/deal/{deal_id}")

    assert "Prezes chce rabatu 5%" in card and "Blachy 2027" in card
    assert 'data-live="deal:' in thread.text and "Prezes chce rabatu 5%" in thread.text
    assert f'hx-get="/feed/records/deal/{deal_id}"' in deal_page.text
    timeline = deal_page.text.split('class="timeline"', 1)[1]
    assert "Note</a>" in timeline and "Prezes chce rabatu 5%" in timeline
    assert "Prezes chce rabatu 5%" not in not_hers.text


async def test_the_global_search_finds_posts_by_any_form_of_their_words(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    piotr = people["piotr"]
    post_id = await written(piotr, "Nowe stawki za transport do Gdańska od stycznia")

    answer = await piotr.get("/api/search", params={"q": "stawka gdansk"})
    page = await piotr.get("/feed", params={"q": "transportu"})

    assert [(hit["service"], hit["kind"], hit["id"]) for hit in answer.json()["items"]] == [
        ("knowledge", "post", post_id)
    ]
    assert f'href="/feed/posts/{post_id}"' in page.text and "<mark>transport</mark>" in page.text


async def test_the_administrator_switches_automatic_posts_off(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    admin, anna = people["admin"], people["anna"]

    saved = await admin.post(
        "/feed/settings", {"plan_approved": "on", "request_delivered": "on", "document_added": "on"}
    )
    refused = await anna.get("/feed/settings")
    page = await admin.get("/feed/settings")

    assert saved.status_code == 200 and "Saved." in saved.text
    assert refused.status_code == 403
    assert re.search(r'name="deal_won"\s*>', page.text)  # unchecked
    assert re.search(r'name="plan_approved" checked', page.text)


async def test_a_pinned_post_is_listed_on_top_of_everyones_feed(
    crm: httpx.AsyncClient, people: dict[str, Browser]
) -> None:
    admin, ewa = people["admin"], people["ewa"]
    post_id = await written(admin, "**Inwentaryzacja** magazynu 31 grudnia\nszczegóły w środku")

    pinned = await admin.post(f"/feed/posts/{post_id}/pin", {"pinned": "1"})
    page = await ewa.get("/feed")
    on_top = page.text.split('class="card pinned-posts"', 1)[1].split("</section>", 1)[0]

    assert "Unpin" in pinned.text
    assert f'<a href="/feed/posts/{post_id}">Inwentaryzacja magazynu 31 grudnia</a>' in on_top
