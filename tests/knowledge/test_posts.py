"""Posts: an audience decides who reads them (in the feed, by id and in search); mentions,
edits with history, pins, deletes, comments, reactions, confirmations and files."""

from datetime import datetime
from uuid import uuid4

from services.knowledge.usecases.feed import COMPANY_ZONE
from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.feed import feed, found, post, texts
from tests.knowledge.files import pdf


async def test_a_post_for_one_group_is_invisible_to_others_in_the_feed_by_id_and_in_search(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    company = await add_group(bus)
    north, south = await add_group(bus, parent=company), await add_group(bus, parent=company)
    anna, ewa = await hire("manager", north), await hire("manager", south)
    head = await hire("head", company)
    subtree = [str(team) for team in (company, north, south)]
    head = head.model_copy(update={"team_ids": subtree})  # as the gateway vouches for a head
    clerk = await hire("staff", department=uuid4())
    secret = await post(
        knowledge, anna, "Rabaty dla klientów z Łodzi do końca grudnia", audience=[f"team:{north}"]
    )
    public = await post(knowledge, ewa, "Nowy cennik obowiązuje od poniedziałku")

    for outsider in (ewa, clerk):
        assert secret["text"] not in await texts(knowledge, outsider)
        by_id = await knowledge.call(outsider, "GET", f"/api/posts/{secret['id']}")
        assert by_id.status_code == 404
        assert await found(knowledge, outsider, "rabat lodz") == []
    for reader in (anna, head):
        assert secret["text"] in await texts(knowledge, reader)
        assert await found(knowledge, reader, "rabatów łódź") == [secret["id"]]
    assert public["text"] in await texts(knowledge, clerk)


async def test_a_posts_search_hit_shows_its_words_not_its_markdown(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    anna = await hire("manager", await add_group(bus))
    await post(knowledge, anna, "Wygrana: [Umowa **serwisowa**](/deals/01) z hutą \\(Łabędy\\)")

    answer = await knowledge.call(anna, "GET", "/api/feed/search", params={"q": "huta"})

    [hit] = answer.json()["items"]
    shown = "".join(part["text"] for part in hit["snippet"])
    assert shown == "Wygrana: Umowa serwisowa z hutą (Łabędy)"


async def test_a_cursor_not_from_the_search_is_refused_even_for_no_words(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    anna = await hire("manager", await add_group(bus))

    for typed in ("huta", "a i w"):
        answer = await knowledge.call(
            anna, "GET", "/api/feed/search", params={"q": typed, "cursor": "xyz"}
        )
        assert answer.status_code == 422, (typed, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_only_people_who_may_read_a_post_are_mentioned_and_each_is_announced(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north, south = await add_group(bus), await add_group(bus)
    anna, piotr, ewa = (
        await hire("manager", north),
        await hire("manager", north),
        await hire("manager", south),
    )
    audience = [f"team:{north}"]

    refused = await knowledge.call(
        anna,
        "POST",
        "/api/posts",
        json={"text": "@Ewa zobacz", "audience": audience, "mentions": [ewa.user_id]},
    )
    mentionable = await knowledge.call(
        anna, "GET", "/api/feed/people", params={"q": "mana", "audience": audience}
    )
    written = await post(
        knowledge, anna, "Spotkanie jutro, @Piotr", audience=audience, mentions=[piotr.user_id]
    )
    [announced] = await knowledge.events("crm.post.created.v1")

    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "mentions"
    assert [p["id"] for p in mentionable.json()] == [piotr.user_id]  # never the author
    assert [m["id"] for m in written["mentions"]] == [piotr.user_id]
    assert announced["mentioned_ids"] == [piotr.user_id]
    assert announced["audience"] == audience and announced["url"] == f"/feed/posts/{written['id']}"


async def test_the_author_edits_with_history_an_administrator_pins_and_deletes(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    anna, piotr, admin = (
        await hire("manager", team),
        await hire("manager", team),
        await hire("admin"),
    )
    written = await post(knowledge, anna, "Oferta dla #Orlen do piątku")
    url = f"/api/posts/{written['id']}"

    not_hers = await knowledge.call(piotr, "PATCH", url, json={"text": "Zmieniam"})
    edited = await knowledge.call(anna, "PATCH", url, json={"text": "Oferta dla #Orlen do środy"})
    pinned = await knowledge.call(admin, "PATCH", url, json={"pinned": True})
    history = await knowledge.call(piotr, "GET", f"{url}/revisions")
    first_page = await feed(knowledge, piotr)
    not_deleted = await knowledge.call(piotr, "DELETE", url)
    deleted = await knowledge.call(admin, "DELETE", url)

    assert not_hers.status_code == 403
    assert edited.status_code == 200 and edited.json()["edited"] is True
    assert edited.json()["tags"] == ["orlen"]
    assert pinned.json()["pinned"] is True
    assert [r["text"] for r in history.json()] == ["Oferta dla #Orlen do piątku"]
    assert [p["id"] for p in first_page["pinned"]] == [written["id"]]
    assert (not_deleted.status_code, deleted.status_code) == (403, 204)
    assert (await knowledge.call(anna, "GET", url)).status_code == 404
    assert await texts(knowledge, anna) == []
    assert len(await knowledge.events("crm.post.edited.v1")) == 2
    assert len(await knowledge.events("crm.post.deleted.v1")) == 1


async def test_comments_and_reactions_are_counted_shown_and_announced(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    anna, piotr = await hire("manager", team), await hire("manager", team)
    written = await post(knowledge, anna, "Kto jedzie do Gdańska?")
    url = f"/api/posts/{written['id']}"

    comment = await knowledge.call(
        piotr, "POST", f"{url}/comments", json={"text": "Ja, @Anna", "mentions": [anna.user_id]}
    )
    twice = [
        await knowledge.call(piotr, "POST", f"{url}/reactions", json={"reaction": "like"})
        for _ in range(2)
    ]
    bad = await knowledge.call(piotr, "POST", f"{url}/reactions", json={"reaction": "boo"})
    shown = (await knowledge.call(anna, "GET", url)).json()
    taken_back = await knowledge.call(piotr, "DELETE", f"{url}/reactions/like")
    [commented] = await knowledge.events("crm.post.commented.v1")
    reacted = await knowledge.events("crm.post.reacted.v1")

    assert comment.status_code == 201 and comment.json()["mentions"][0]["id"] == anna.user_id
    assert [a.json()["counts"] for a in twice] == [{"like": 1}, {"like": 1}]
    assert bad.status_code == 422
    assert [c["text"] for c in shown["comments"]] == ["Ja, @Anna"]
    assert shown["comment_count"] == 1 and shown["reactions"] == {"like": 1}
    assert shown["my_reactions"] == []  # Anna has not reacted herself
    assert taken_back.json()["counts"] == {}
    assert commented["post_author_id"] == anna.user_id
    assert commented["mentioned_ids"] == [anna.user_id]
    assert [(r["added"], r["counts"]) for r in reacted] == [(True, {"like": 1}), (False, {})]


async def test_an_important_post_lists_who_has_not_confirmed(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    head = await hire("head", team)
    anna, piotr = await hire("manager", team), await hire("manager", team)
    outsider = await hire("manager", await add_group(bus))
    written = await post(
        knowledge, head, "Nowe zasady rabatów", audience=[f"team:{team}"], important=True
    )
    url = f"/api/posts/{written['id']}"

    asked = (await knowledge.call(anna, "GET", url)).json()["to_confirm"]
    confirmed = await knowledge.call(anna, "POST", f"{url}/acknowledge")
    not_asked = await knowledge.call(outsider, "POST", f"{url}/acknowledge")
    for_reader = await knowledge.call(piotr, "GET", f"{url}/acknowledgements")
    status = (await knowledge.call(head, "GET", f"{url}/acknowledgements")).json()
    in_feed = (await feed(knowledge, head))["items"][0]["confirmations"]
    [created] = await knowledge.events("crm.post.created.v1")

    assert asked is True and confirmed.json()["acknowledged_at"] is not None
    assert not_asked.status_code == 404 and for_reader.status_code == 403
    assert (status["confirmed"], status["waiting"]) == (1, 1)
    assert [p["user_id"] for p in status["people"] if p["acknowledged_at"] is None] == [
        piotr.user_id
    ]
    assert in_feed == {"confirmed": 1, "waiting": 1}
    assert set(created["asked_ids"]) == {anna.user_id, piotr.user_id}


async def test_files_uploaded_for_a_post_are_served_to_its_readers_only(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north, south = await add_group(bus), await add_group(bus)
    anna, piotr, ewa = (
        await hire("manager", north),
        await hire("manager", north),
        await hire("manager", south),
    )
    data = pdf(["Cennik hurtowy"])
    uploaded = await knowledge.call(
        anna, "POST", "/api/feed/attachments", files={"file": ("Cennik łódzki.pdf", data)}
    )
    attachment = uploaded.json()
    stolen = await knowledge.call(
        piotr, "POST", "/api/posts", json={"text": "Mój", "attachment_ids": [attachment["id"]]}
    )
    written = await post(
        knowledge,
        anna,
        "Cennik w załączniku",
        audience=[f"team:{north}"],
        attachment_ids=[attachment["id"]],
    )
    [shown] = written["attachments"]
    served = await knowledge.call(piotr, "GET", shown["url"])
    refused = await knowledge.call(ewa, "GET", shown["url"])

    assert uploaded.status_code == 201 and attachment["media_type"] == "application/pdf"
    assert stolen.status_code == 422
    assert shown["file_name"] == "Cennik łódzki.pdf"
    assert served.status_code == 200 and served.content == data
    assert refused.status_code == 404
    assert (await knowledge.events("crm.post.created.v1"))[-1]["attachments"] == 1


async def test_the_feed_pages_newest_first_and_filters_by_author_group_tag_and_period(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north = await add_group(bus)
    anna, piotr = await hire("manager", north), await hire("manager", north)
    for number in range(5):
        await post(knowledge, anna, f"Wpis {number} #raport")
    await post(knowledge, piotr, "Dla grupy", audience=[f"team:{north}"])

    first = await feed(knowledge, piotr, limit=4)
    second = await feed(knowledge, piotr, limit=4, cursor=first["next_cursor"])
    by_author = await texts(knowledge, piotr, author_id=piotr.user_id)
    by_group = await texts(knowledge, piotr, team_id=str(north))
    by_tag = await texts(knowledge, piotr, tag="#Raport")
    # A period's days are the company's: past 23:00 UTC, Warsaw is a day ahead.
    newest = datetime.fromisoformat((await feed(knowledge, piotr))["items"][0]["created_at"])
    today = newest.astimezone(COMPANY_ZONE).date().isoformat()
    in_period = await texts(knowledge, piotr, created_from="2020-01-01", created_to=today)
    before = await texts(knowledge, piotr, created_to="2020-01-01")

    assert [p["text"] for p in first["items"]] == [
        "Dla grupy",
        "Wpis 4 #raport",
        "Wpis 3 #raport",
        "Wpis 2 #raport",
    ]
    assert [p["text"] for p in second["items"]] == ["Wpis 1 #raport", "Wpis 0 #raport"]
    assert second["next_cursor"] is None
    assert by_author == by_group == ["Dla grupy"]
    assert len(by_tag) == 5 and len(in_period) == 6 and before == []
