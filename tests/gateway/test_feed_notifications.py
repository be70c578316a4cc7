"""The feed's events become notifications: a mention and an important post in the list, pushed
to tabs and e-mailed (in the recipient's language), a comment to the post's author (no e-mail);
the same event twice notifies once."""

import email
import email.policy
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus
from shared.contracts.knowledge import PostCommented, PostCreated
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer
from shared.testing.people import as_message
from tests.gateway import test_calendar_notifications as calendar_notices
from tests.gateway.conftest import PASSWORD, add_user
from tests.gateway.test_calendar_notifications import root_team

smtp = calendar_notices.smtp  # the same fixtures: an SMTP server, a gateway mailing to it
mailing_gateway = calendar_notices.mailing_gateway


async def notices(gateway: httpx.AsyncClient, email_: str) -> list[dict[str, Any]]:
    headers = await bearer(gateway, email_, PASSWORD)
    return (await gateway.get("/api/notifications", headers=headers)).json()["items"]  # type: ignore[no-any-return]


async def test_a_mention_and_an_important_post_notify_and_mail_a_comment_tells_the_author(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus, smtp: Any
) -> None:
    admin = await bearer(mailing_gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    team = await root_team(mailing_gateway, admin)
    people = {
        key: await add_user(
            mailing_gateway,
            admin,
            email=f"{key}@contentum.pl",
            name=name,
            role="manager",
            locale=locale,
            team_id=team,
        )
        for key, name, locale in (
            ("anna", "Anna Nowak", "en"),
            ("piotr", "Piotr Kowal", "pl"),
            ("ewa", "Ewa Obca", "en"),
        )
    }
    anna, piotr, ewa = (UUID(people[key]["id"]) for key in ("anna", "piotr", "ewa"))
    post_id = uuid4()
    created = PostCreated(
        post_id=post_id,
        author_id=anna,
        kind="note",
        text="Nowe zasady rabatów, @Piotr Kowal",
        audience=["everyone"],
        important=True,
        mentioned_ids=[piotr],
        created_at=datetime.now(UTC),
        url=f"/feed/posts/{post_id}",
        asked_ids=[piotr, ewa],
    )
    message = as_message(created, post_id)
    await bus.publish([message, message])  # delivered twice
    commented = PostCommented(
        post_id=post_id,
        comment_id=uuid4(),
        author_id=ewa,
        post_author_id=anna,
        text="Przeczytane",
        audience=["everyone"],
        created_at=datetime.now(UTC),
        url=f"/feed/posts/{post_id}",
    )
    await bus.publish([as_message(commented, post_id)])

    [to_piotr] = await notices(mailing_gateway, "piotr@contentum.pl")
    [to_ewa] = await notices(mailing_gateway, "ewa@contentum.pl")
    [to_anna] = await notices(mailing_gateway, "anna@contentum.pl")
    _, inbox = smtp
    mails = {
        m.rcpt_tos[0]: email.message_from_bytes(m.content, policy=email.policy.default)
        for m in inbox.messages
    }

    assert (to_piotr["kind"], to_piotr["title"]) == ("mention", "Anna Nowak wspomina o Tobie")
    assert to_piotr["body"] == "Nowe zasady rabatów, @Piotr Kowal"  # mentioned: not asked twice
    assert (to_ewa["kind"], to_ewa["title"]) == (
        "important",
        "Please confirm: Nowe zasady rabatów, @Piotr Kowal",
    )
    assert to_ewa["body"] == "Anna Nowak asks you to confirm that you have read it."
    assert (to_anna["kind"], to_anna["title"]) == ("comment", "Ewa Obca commented on your post")
    assert all(n["link"] == f"/feed/posts/{post_id}" for n in (to_piotr, to_ewa, to_anna))
    assert set(mails) == {"piotr@contentum.pl", "ewa@contentum.pl"}
    assert mails["piotr@contentum.pl"]["Subject"] == "Anna Nowak wspomina o Tobie"
    assert f"/feed/posts/{post_id}" in mails["ewa@contentum.pl"].get_content()
