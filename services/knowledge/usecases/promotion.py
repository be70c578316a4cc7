"""Promoting a post to a document: information that became formal goes to a folder as a page
with the post's text and comments, its attachments as documents beside it; the post links to
the page."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.posts import Attached, Headings, Said, promoted_text
from services.knowledge.extractors import standard_pages
from services.knowledge.feed_tables import Post, PostAttachment
from services.knowledge.storage import ContentStore
from services.knowledge.tables import Document, Extraction
from services.knowledge.uploads import ContentInfo, stage_text
from services.knowledge.usecases.access import Reader, reader_of
from services.knowledge.usecases.audience import find_post, post_reader
from services.knowledge.usecases.documents import Details, insert_document, url_of
from services.knowledge.usecases.feed import PostView, post_view
from services.knowledge.usecases.posts import record_link
from services.knowledge.wording import moment, said
from shared.auth import Identity
from shared.contracts.knowledge import PostPromoted
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_, first_line


def _page(view: PostView, links: list[Attached], locale: str) -> str:
    comments = [
        (Said(s.author, s.comment.created_at, s.comment.text), moment(s.comment.created_at, locale))
        for s in view.comments
    ]
    return promoted_text(
        text=view.post.text,
        author=view.author,
        at=moment(view.post.created_at, locale),
        comments=comments,
        attachments=links,
        headings=Headings(said(N_("Comments"), locale), said(N_("Attachments"), locale)),
    )


async def _known_text(session: AsyncSession, content: ContentInfo, text: str) -> None:
    """The page's text is known already: it is found at once, no extraction needed."""
    await session.execute(
        insert(Extraction)
        .values(
            sha256=content.sha256,
            media_type=content.media_type,
            status="done",
            attempts=0,
            run_after=datetime.now().astimezone(),
            text=text,
            pages=standard_pages(text),
        )
        .on_conflict_do_nothing()
    )


def _details(view: PostView, title: str | None) -> Details:
    return Details(title or first_line(view.post.text) or view.author, tags=tuple(view.post.tags))


async def promote_post(
    sessions: SessionFactory,
    store: ContentStore,
    *,
    identity: Identity,
    post_id: UUID,
    folder_id: UUID,
    title: str | None,
    now: datetime,
) -> Document:
    """A reader of the post who edits the folder makes it a page there, with its comments; each
    attachment becomes a document in the folder too (its content is kept already)."""
    view = await post_view(sessions, identity=identity, post_id=post_id)
    if view.post.document_id is not None:
        raise Conflict({"post": N_("the post is a document already")})
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        post = await find_post(session, await post_reader(session, identity), post_id, lock=True)
        if post.document_id is not None:
            raise Conflict({"post": N_("the post is a document already")})
        files = await _attachment_documents(session, reader, folder_id, view.attachments, now)
        links = [
            Attached(a.file_name, url_of(d.id))
            for a, d in zip(view.attachments, files, strict=True)
        ]
        text = _page(view, links, identity.locale)
        page = stage_text(text, "post.md")
        await store.put(page.sha256, page.size, page.chunks())
        await _known_text(session, page, text)
        document = await insert_document(
            session,
            reader,
            folder_id=folder_id,
            kind="page",
            details=_details(view, title),
            content=page,
            note="",
            now=now,
        )
        post.document_id, post.updated_at = document.id, now
        await add_event(
            session, new_event(_promoted(post, document, reader.user_id, now), subject=post.id)
        )
    return document


async def _attachment_documents(
    session: AsyncSession,
    reader: Reader,
    folder_id: UUID,
    attachments: list[PostAttachment],
    now: datetime,
) -> list[Document]:
    made = []
    for attachment in attachments:
        content = ContentInfo(
            attachment.file_name, attachment.size, attachment.sha256, attachment.media_type
        )
        title = attachment.file_name.rsplit(".", 1)[0] or attachment.file_name
        made.append(
            await insert_document(
                session,
                reader,
                folder_id=folder_id,
                kind="file",
                details=Details(title),
                content=content,
                note="",
                now=now,
            )
        )
    return made


def _promoted(post: Post, document: Document, by: UUID, now: datetime) -> PostPromoted:
    return PostPromoted(
        post_id=post.id,
        post_author_id=post.author_id,
        document_id=document.id,
        folder_id=document.folder_id,
        promoted_by=by,
        promoted_at=now,
        url=url_of(document.id),
        audience=list(post.audience),
        record=record_link(post),
    )
