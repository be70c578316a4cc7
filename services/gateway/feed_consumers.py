"""Events of the feed the gateway applies: a mention, a comment on one's post and an important
post to confirm become notifications (the bell, the open tabs, e-mail when SMTP is set); every
change of a post goes live to the open pages of its readers."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.feed import push_change
from services.gateway.mail import Mail, Mailer
from services.gateway.notifications import add_notification
from services.gateway.tables import User
from services.gateway.web.i18n import gettext as _
from services.gateway.web.i18n import speaking_to
from shared.consumer import Handler
from shared.contracts.knowledge import (
    PostCommented,
    PostCreated,
    PostDeleted,
    PostEdited,
    PostPromoted,
    PostReacted,
)
from shared.db import after_commit
from shared.events import Envelope

EXCERPT = 200


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else f"{flat[: EXCERPT - 1]}…"


async def _people(session: AsyncSession, ids: list[UUID], but: UUID) -> list[User]:
    wanted = [person for person in dict.fromkeys(ids) if person != but]
    if not wanted:
        return []
    found = await session.scalars(select(User).where(User.id.in_(wanted), User.active))
    return list(found)


async def _name(session: AsyncSession, user_id: UUID) -> str:
    user = await session.get(User, user_id)
    return user.name if user else "?"


async def _tell(
    session: AsyncSession,
    mailer: Mailer | None,
    user: User,
    *,
    kind: str,
    title: str,
    body: str,
    link: str,
) -> None:
    """A notification (and an e-mail after the commit, when SMTP is set and `mailer` given)."""
    await add_notification(session, user_id=user.id, kind=kind, title=title, body=body, link=link)
    if mailer is not None and mailer.enabled:
        mail = Mail(to=user.email, subject=title, body=f"{body}\n\n{link}")
        after_commit(session, lambda: mailer.send(mail))


async def _mentioned(
    session: AsyncSession, mailer: Mailer, post: Any, people: list[UUID], by: UUID
) -> None:
    name = await _name(session, by)
    for user in await _people(session, people, by):
        with speaking_to(user):
            title = _("{name} mentioned you").format(name=name)
        await _tell(
            session,
            mailer,
            user,
            kind="mention",
            title=title,
            body=excerpt(post.text),
            link=post.url,
        )


async def _asked(session: AsyncSession, mailer: Mailer, post: Any, people: list[UUID]) -> None:
    name = await _name(session, post.author_id)
    for user in await _people(session, people, post.author_id):
        with speaking_to(user):
            title = _("Please confirm: {text}").format(text=excerpt(post.text)[:80])
            body = _("{name} asks you to confirm that you have read it.").format(name=name)
        await _tell(session, mailer, user, kind="important", title=title, body=body, link=post.url)


async def _post_changed(
    session: AsyncSession,
    mailer: Mailer,
    post: PostCreated | PostEdited,
    *,
    change: str,
    mentioned: list[UUID],
    by: UUID,
) -> None:
    """The people `mentioned` and those asked to confirm (told once, if both) hear of it; open
    pages get the change."""
    await _mentioned(session, mailer, post, mentioned, by)
    await _asked(
        session, mailer, post, [person for person in post.asked_ids if person not in mentioned]
    )
    await push_change(
        session,
        change=change,
        post_id=post.post_id,
        author_id=post.author_id,
        audience=post.audience,
        record=post.record,
    )


def on_post_created(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Mentioned people and those asked to confirm are told; open pages get the post."""
        post: PostCreated = event.data
        await _post_changed(
            session, mailer, post, change="created", mentioned=post.mentioned_ids, by=post.author_id
        )

    return handle


def on_post_edited(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """People mentioned only now, or asked only now, are told; open pages show the change."""
        post: PostEdited = event.data
        await _post_changed(
            session,
            mailer,
            post,
            change="edited",
            mentioned=post.new_mention_ids,
            by=post.edited_by,
        )

    return handle


def on_post_commented(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """The people a comment mentions, and the post's author, are told of it."""
        said: PostCommented = event.data
        name = await _name(session, said.author_id)
        for user in await _people(session, said.mentioned_ids, said.author_id):
            with speaking_to(user):
                title = _("{name} mentioned you in a comment").format(name=name)
            await _tell(
                session,
                mailer,
                user,
                kind="mention",
                title=title,
                body=excerpt(said.text),
                link=said.url,
            )
        if said.post_author_id not in said.mentioned_ids:
            for user in await _people(session, [said.post_author_id], said.author_id):
                with speaking_to(user):
                    title = _("{name} commented on your post").format(name=name)
                await _tell(
                    session,
                    None,
                    user,
                    kind="comment",
                    title=title,
                    body=excerpt(said.text),
                    link=said.url,
                )
        await push_change(
            session,
            change="commented",
            post_id=said.post_id,
            author_id=said.post_author_id,
            audience=said.audience,
            record=said.record,
        )

    return handle


async def on_post_changed(session: AsyncSession, event: Envelope[Any]) -> None:
    """A reaction, a deletion or a promotion: open pages show it."""
    data: PostReacted | PostDeleted | PostPromoted = event.data
    change = {
        PostReacted.type: "reacted",
        PostDeleted.type: "deleted",
        PostPromoted.type: "promoted",
    }[event.type]
    author = data.author_id if isinstance(data, PostDeleted) else data.post_author_id
    await push_change(
        session,
        change=change,
        post_id=data.post_id,
        author_id=author,
        audience=data.audience,
        record=data.record,
    )


def feed_handlers(mailer: Mailer) -> Mapping[str, Handler]:
    return {
        PostCreated.type: on_post_created(mailer),
        PostEdited.type: on_post_edited(mailer),
        PostCommented.type: on_post_commented(mailer),
        PostReacted.type: on_post_changed,
        PostDeleted.type: on_post_changed,
        PostPromoted.type: on_post_changed,
    }
