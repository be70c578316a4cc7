"""`/api/posts`: a post and what readers do with it — comments, reactions, confirmations, its
history, its files, promotion to a document."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from services.knowledge.api.content import content_response
from services.knowledge.api.deps import Store
from services.knowledge.feed_schemas import (
    Acknowledged,
    CommentCreate,
    CommentPublic,
    PostConfirmation,
    PostConfirmations,
    PostCreate,
    PostPublic,
    PostUpdate,
    Promoted,
    PromotionCreate,
    Reaction,
    ReactionCreate,
    Reactions,
    RevisionPublic,
)
from services.knowledge.feed_tables import PostAttachment
from services.knowledge.tables import Member
from services.knowledge.uploads import ContentInfo
from services.knowledge.usecases import posts as usecases
from services.knowledge.usecases import responses
from services.knowledge.usecases.audience import RecordRef, find_post, post_reader
from services.knowledge.usecases.documents import url_of
from services.knowledge.usecases.feed import Said, confirmations, post_view
from services.knowledge.usecases.posts import Draft, PostChanges
from services.knowledge.usecases.promotion import promote_post
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/posts", tags=["feed"])


def _now() -> datetime:
    return datetime.now(UTC)


async def post_answer(sessions: Sessions, identity: CurrentIdentity, post_id: UUID) -> PostPublic:
    view = await post_view(sessions, identity=identity, post_id=post_id)
    return PostPublic.of(view, me=UUID(identity.user_id), admin=identity.role == "admin")


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_post(
    body: PostCreate, sessions: Sessions, identity: CurrentIdentity
) -> PostPublic:
    """A post for its audience (everyone by default); `record` makes it a note on a deal, a
    company or a contact; the people in `mentions` are notified; `important` asks the audience
    to confirm it."""
    record = RecordRef(body.record.target, body.record.target_id) if body.record else None
    draft = Draft(
        text=body.text,
        audience=tuple(body.audience),
        important=body.important,
        record=record,
        mentions=tuple(body.mentions),
        attachment_ids=tuple(body.attachment_ids),
    )
    post = await usecases.create_post(sessions, identity=identity, draft=draft, now=_now())
    return await post_answer(sessions, identity, post.id)


@router.get("/{post_id}")
async def get_post(post_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> PostPublic:
    """A post with all its comments (404 for one the caller may not read)."""
    return await post_answer(sessions, identity, post_id)


@router.patch("/{post_id}")
async def update_post(
    post_id: UUID, body: PostUpdate, sessions: Sessions, identity: CurrentIdentity
) -> PostPublic:
    """The author changes the text (the old one stays in its history), the audience, the
    mentions or the importance; the author or an administrator pins it."""
    changes = PostChanges(
        text=body.text,
        audience=tuple(body.audience) if body.audience is not None else None,
        important=body.important,
        pinned=body.pinned,
        mentions=tuple(body.mentions) if body.mentions is not None else None,
    )
    await usecases.edit_post(
        sessions, identity=identity, post_id=post_id, changes=changes, now=_now()
    )
    return await post_answer(sessions, identity, post_id)


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post(post_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    """By its author or an administrator."""
    await usecases.delete_post(sessions, identity=identity, post_id=post_id, now=_now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{post_id}/comments", status_code=status.HTTP_201_CREATED)
async def comment(
    post_id: UUID, body: CommentCreate, sessions: Sessions, identity: CurrentIdentity
) -> CommentPublic:
    said = await responses.add_comment(
        sessions,
        identity=identity,
        post_id=post_id,
        text=body.text,
        mentions=tuple(body.mentions),
        now=_now(),
    )
    async with sessions() as session:
        people = [said.author_id, *said.mentions]
        rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(people)))
        names = {id_: name for id_, name in rows}
    return CommentPublic.of(Said(said, names.get(said.author_id, "")), names)


@router.post("/{post_id}/reactions")
async def react(
    post_id: UUID, body: ReactionCreate, sessions: Sessions, identity: CurrentIdentity
) -> Reactions:
    """Add a reaction (adding it again changes nothing)."""
    counts = await responses.react(
        sessions, identity=identity, post_id=post_id, reaction=body.reaction, add=True, now=_now()
    )
    return Reactions(counts=counts)


@router.delete("/{post_id}/reactions/{reaction}")
async def take_back(
    post_id: UUID, reaction: Reaction, sessions: Sessions, identity: CurrentIdentity
) -> Reactions:
    counts = await responses.react(
        sessions, identity=identity, post_id=post_id, reaction=reaction, add=False, now=_now()
    )
    return Reactions(counts=counts)


@router.post("/{post_id}/acknowledge")
async def acknowledge(post_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Acknowledged:
    """ "I have read it": an important post's reader confirms it."""
    asked = await responses.acknowledge(sessions, identity=identity, post_id=post_id, now=_now())
    return Acknowledged(post_id=post_id, acknowledged_at=asked.acknowledged_at)


@router.get("/{post_id}/acknowledgements")
async def who_confirmed(
    post_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> PostConfirmations:
    """For the author and the administrator: who has confirmed an important post and who not."""
    async with sessions() as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id)
        if post.author_id != reader.user_id and not reader.admin:
            raise Forbidden("only the author and the administrator see who has confirmed")
        people = await confirmations(session, post.id)
    confirmed = sum(1 for person in people if person.acknowledged_at is not None)
    return PostConfirmations(
        confirmed=confirmed,
        waiting=len(people) - confirmed,
        people=[PostConfirmation.of(person) for person in people],
    )


@router.get("/{post_id}/revisions")
async def revisions(
    post_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> list[RevisionPublic]:
    """The post's earlier texts, the newest first."""
    async with sessions() as session:
        post = await find_post(session, await post_reader(session, identity), post_id)
        found = await usecases.revisions_of(session, post.id)
    return [RevisionPublic.of(revision) for revision in found]


@router.get("/{post_id}/attachments/{attachment_id}", response_class=Response)
async def attachment_content(
    post_id: UUID,
    attachment_id: UUID,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    inline: bool = False,
) -> Response:
    """A file of a post the caller may read; `Range` and `If-None-Match` are honoured."""
    async with sessions() as session:
        post = await find_post(session, await post_reader(session, identity), post_id)
        attachment = await session.get(PostAttachment, attachment_id)
    if attachment is None or attachment.post_id != post.id:
        raise NotFound("attachment")
    content = ContentInfo(
        attachment.file_name, attachment.size, attachment.sha256, attachment.media_type
    )
    return content_response(request, store, content, inline=inline)


@router.post("/{post_id}/promote", status_code=status.HTTP_201_CREATED)
async def promote(
    post_id: UUID,
    body: PromotionCreate,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
) -> Promoted:
    """Make the post, its comments and attachments a document in a folder the caller edits."""
    document = await promote_post(
        sessions,
        store,
        identity=identity,
        post_id=post_id,
        folder_id=body.folder_id,
        title=body.title,
        now=_now(),
    )
    return Promoted(post_id=post_id, document_id=document.id, url=url_of(document.id))
