"""`/dav/`: CalDAV (RFC 4791) for phones and desktop calendars, with sync-collection (RFC 6578).

    /dav/                                  where clients start: the current user's principal
    /dav/principals/{user}/                the principal: its calendar home and address
    /dav/calendars/{user}/                 the home: the calendars below
    /dav/calendars/{user}/activities/      one's own activities (read-write)
    /dav/calendars/{user}/team-{id}/       a group the user heads (read-only)
    /dav/calendars/{user}/{calendar}/{name}.ics   one event (a series with its changed occurrences)

The gateway signs clients in (HTTP Basic with a personal token) and forwards the identity.
"""

from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote, unquote
from uuid import UUID
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.api.activities import policy_of
from services.calendar.api.calendar import base_url
from services.calendar.domain import dav
from services.calendar.domain.dav import APPLE, CALDAV, CALSERVER, DAV, element, href, tag
from services.calendar.tables import Activity, Member
from services.calendar.usecases import dav as calendars
from services.calendar.usecases import dav_writes
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)

METHODS = ["OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "GET", "HEAD", "PUT", "DELETE"]
MAX_BODY = 1024 * 1024
XML = "application/xml; charset=utf-8"
EVENT_TYPE = "text/calendar; charset=utf-8; component=vevent"
COLOUR = "#2563EBFF"


def _principal(user: str) -> str:
    return f"/dav/principals/{user}/"


def _home(user: str) -> str:
    return f"/dav/calendars/{user}/"


def _collection_path(found: calendars.Collection) -> str:
    return f"{_home(str(found.owner_id))}{found.slug}/"


def _link(request: Request) -> str:
    return f"{base_url(request)}/calendar?activity={{id}}"


async def _body(request: Request) -> bytes:
    """The request body, refused past `MAX_BODY` bytes."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise dav.Refused(413, dav.tag(CALDAV, "max-resource-size"), "the body is too large")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise dav.Refused(413, dav.tag(CALDAV, "max-resource-size"), "the body is too large")
    return bytes(data)


def _multistatus(resources: list[dav.Resource], sync_token: str | None = None) -> Response:
    body = dav.multistatus(resources, sync_token=sync_token)
    return Response(body, status_code=207, media_type=XML)


def _privileges(writable: bool) -> list[ET.Element]:
    names = ["read", "read-current-user-privilege-set"]
    if writable:
        names += ["write", "write-content", "write-properties", "bind", "unbind"]
    return [element(tag(DAV, "privilege"), element(tag(DAV, name))) for name in names]


def _common(identity: Identity) -> dict[str, dav.Value]:
    me = identity.user_id
    return {
        tag(DAV, "current-user-principal"): [href(_principal(me))],
        tag(DAV, "principal-collection-set"): [href("/dav/principals/")],
    }


def _root(identity: Identity) -> dict[str, dav.Value]:
    return {
        tag(DAV, "resourcetype"): [element(tag(DAV, "collection"))],
        tag(DAV, "displayname"): "Contentum CRM",
        **_common(identity),
    }


async def _principal_props(session: AsyncSession, identity: Identity) -> dict[str, dav.Value]:
    me = identity.user_id
    member = await session.get(Member, UUID(me))
    props: dict[str, dav.Value] = {
        tag(DAV, "resourcetype"): [element(tag(DAV, "collection")), element(tag(DAV, "principal"))],
        tag(DAV, "displayname"): member.name if member else me,
        tag(DAV, "principal-URL"): [href(_principal(me))],
        tag(CALDAV, "calendar-home-set"): [href(_home(me))],
        tag(DAV, "current-user-privilege-set"): _privileges(False),
        tag(DAV, "supported-report-set"): [],
        **_common(identity),
    }
    if member is not None and member.email:
        props[tag(CALDAV, "calendar-user-address-set")] = [href(f"mailto:{member.email}")]
    return props


def _home_props(identity: Identity) -> dict[str, dav.Value]:
    me = identity.user_id
    return {
        tag(DAV, "resourcetype"): [element(tag(DAV, "collection"))],
        tag(DAV, "displayname"): "Contentum CRM",
        tag(DAV, "owner"): [href(_principal(me))],
        tag(DAV, "current-user-privilege-set"): _privileges(False),
        **_common(identity),
    }


def _reports() -> list[ET.Element]:
    return [
        element(tag(DAV, "supported-report"), element(tag(DAV, "report"), element(name)))
        for name in (
            tag(CALDAV, "calendar-query"),
            tag(CALDAV, "calendar-multiget"),
            tag(DAV, "sync-collection"),
        )
    ]


async def _collection_props(
    session: AsyncSession, identity: Identity, found: calendars.Collection
) -> dict[str, dav.Value]:
    token = await calendars.position(session, found)
    kind = "own calendar" if found.writable else "group's calendar (read-only)"
    return {
        tag(DAV, "resourcetype"): [
            element(tag(DAV, "collection")),
            element(tag(CALDAV, "calendar")),
        ],
        tag(DAV, "displayname"): found.name,
        tag(CALDAV, "calendar-description"): f"Contentum CRM: {kind}",
        tag(CALDAV, "supported-calendar-component-set"): [
            element(tag(CALDAV, "comp"), name="VEVENT")
        ],
        tag(CALDAV, "supported-calendar-data"): [
            element(
                tag(CALDAV, "calendar-data"), **{"content-type": "text/calendar", "version": "2.0"}
            )
        ],
        tag(CALDAV, "max-resource-size"): str(MAX_BODY),
        tag(CALSERVER, "getctag"): token,
        tag(DAV, "sync-token"): token,
        tag(DAV, "supported-report-set"): _reports(),
        tag(DAV, "current-user-privilege-set"): _privileges(found.writable),
        tag(DAV, "owner"): [href(_principal(identity.user_id))],
        tag(APPLE, "calendar-color"): COLOUR,
        **_common(identity),
    }


def _object_props(rendered: calendars.Rendered, with_data: bool) -> dict[str, dav.Value]:
    activity: Activity = rendered.activity
    props: dict[str, dav.Value] = {
        tag(DAV, "resourcetype"): [],
        tag(DAV, "getetag"): rendered.etag,
        tag(DAV, "getcontenttype"): EVENT_TYPE,
        tag(DAV, "getcontentlength"): str(len(rendered.body.encode())),
        tag(DAV, "getlastmodified"): format_datetime(
            activity.updated_at.astimezone(UTC), usegmt=True
        ),
    }
    if with_data:
        props[tag(CALDAV, "calendar-data")] = rendered.body
    return props


def _object_path(found: calendars.Collection, name: str) -> str:
    return _collection_path(found) + quote(name)


def _answer_objects(
    found: calendars.Collection, rendered: list[calendars.Rendered], asked: dav.PropFind
) -> list[dav.Resource]:
    with_data = tag(CALDAV, "calendar-data") in asked.names
    return [
        dav.answer(dav.Resource(_object_path(found, r.name)), asked, _object_props(r, with_data))
        for r in rendered
    ]


async def _propfind(
    session: AsyncSession, request: Request, identity: Identity, parts: list[str]
) -> Response:
    asked = dav.read_propfind(await _body(request))
    deep = request.headers.get("depth", "1") != "0"
    me = identity.user_id
    if not parts:
        return _multistatus([dav.answer(dav.Resource("/dav/"), asked, _root(identity))])
    if parts[0] == "principals" and parts[1:] == [me]:
        props = await _principal_props(session, identity)
        return _multistatus([dav.answer(dav.Resource(_principal(me)), asked, props)])
    if parts[0] != "calendars" or parts[1:2] != [me]:
        raise dav.Refused(404, None, "no such resource")
    if len(parts) == 2:
        found = [dav.answer(dav.Resource(_home(me)), asked, _home_props(identity))]
        if deep:
            for each in await calendars.collections(session, identity):
                props = await _collection_props(session, identity, each)
                found.append(dav.answer(dav.Resource(_collection_path(each)), asked, props))
        return _multistatus(found)
    collection = await _collection(session, identity, parts[2])
    if len(parts) == 3:
        props = await _collection_props(session, identity, collection)
        found = [dav.answer(dav.Resource(_collection_path(collection)), asked, props)]
        if deep:
            rows = await calendars.listing(session, collection)
            rendered = await calendars.render(session, rows, _link(request))
            found += _answer_objects(collection, rendered, asked)
        return _multistatus(found)
    one = await _object(session, request, collection, parts[3])
    return _multistatus(_answer_objects(collection, [one], asked))


async def _collection(session: AsyncSession, identity: Identity, slug: str) -> calendars.Collection:
    found = await calendars.collection(session, identity, slug)
    if found is None:
        raise dav.Refused(404, None, "no such calendar")
    return found


async def _object(
    session: AsyncSession, request: Request, found: calendars.Collection, name: str
) -> calendars.Rendered:
    activity = await calendars.find(session, found, name)
    if activity is None:
        raise dav.Refused(404, None, "no such event")
    [rendered] = await calendars.render(session, [activity], _link(request))
    return rendered


async def _report(
    session: AsyncSession, request: Request, identity: Identity, parts: list[str]
) -> Response:
    if parts[:1] != ["calendars"] or parts[1:2] != [identity.user_id] or len(parts) != 3:
        raise dav.Refused(403, tag(DAV, "supported-report"), "reports are made on calendars")
    found = await _collection(session, identity, parts[2])
    report = dav.read_report(await _body(request))
    link = _link(request)
    if isinstance(report, dav.SyncCollection):
        changes = await calendars.changes(session, found, report.token)
        rendered = await calendars.render(session, changes.changed, link)
        resources = _answer_objects(found, rendered, report.props)
        resources += [dav.Resource(_object_path(found, n), status=404) for n in changes.removed]
        return _multistatus(resources, sync_token=changes.token)
    if isinstance(report, dav.Multiget):
        prefix = _collection_path(found)
        names = [unquote(h.split(prefix, 1)[1]) for h in report.hrefs if prefix in h]
        rendered = await calendars.render(
            session, await calendars.many(session, found, names), link
        )
        resources = _answer_objects(found, rendered, report.props)
        known = {r.name for r in rendered}
        missing = [
            h
            for h in report.hrefs
            if prefix not in h or unquote(h.split(prefix, 1)[1]) not in known
        ]
        return _multistatus(resources + [dav.Resource(h, status=404) for h in missing])
    rendered = await calendars.render(session, await calendars.search(session, found, report), link)
    return _multistatus(_answer_objects(found, rendered, report.props))


def _proppatch_refused(parts: list[str], body: bytes) -> Response:
    """Properties stay as the CRM sets them: each one asked for is refused (RFC 4918 §9.2)."""
    names = dav.read_propertyupdate(body)
    path = "/dav/" + "".join(quote(part) + "/" for part in parts)
    return _multistatus([dav.refuse_all(dav.Resource(path), names)])


def _options() -> Response:
    return Response(
        status_code=200,
        headers={"DAV": "1, 3, calendar-access", "Allow": ", ".join(METHODS)},
    )


def _refusal(refused: dav.Refused) -> Response:
    if refused.condition is None:
        return Response(refused.message, status_code=refused.status, media_type="text/plain")
    body = dav.error(
        element(refused.condition), element(tag(dav.CRM, "message"), text=refused.message)
    )
    return Response(body, status_code=refused.status, media_type=XML)


@router.api_route("/dav/", methods=METHODS)
@router.api_route("/dav/{path:path}", methods=METHODS)
async def serve(
    request: Request, sessions: Sessions, identity: CurrentIdentity, path: str = ""
) -> Response:
    """Every CalDAV request: refusals answered with the precondition that failed."""
    parts = [unquote(part) for part in path.split("/") if part]
    try:
        return await _serve(request, sessions, identity, parts)
    except dav.BadRequest as bad:
        return Response(str(bad), status_code=400, media_type="text/plain")
    except dav.Refused as refused:
        return _refusal(refused)


async def _serve(
    request: Request, sessions: Sessions, identity: Identity, parts: list[str]
) -> Response:
    method = request.method
    if method == "OPTIONS":
        return _options()
    if method == "PROPPATCH":
        return _proppatch_refused(parts, await _body(request))
    if method in ("PUT", "DELETE"):
        return await _write(request, sessions, identity, parts)
    async with sessions() as session:
        if method == "PROPFIND":
            return await _propfind(session, request, identity, parts)
        if method == "REPORT":
            return await _report(session, request, identity, parts)
        if len(parts) != 4 or parts[:2] != ["calendars", identity.user_id]:
            raise dav.Refused(405, None, "only events can be fetched")
        rendered = await _object(
            session, request, await _collection(session, identity, parts[2]), parts[3]
        )
    headers = {"ETag": rendered.etag, "Cache-Control": "private, no-cache"}
    if method == "HEAD":
        headers["Content-Length"] = str(len(rendered.body.encode()))
        return Response(media_type=EVENT_TYPE, headers=headers)
    return Response(rendered.body, media_type=EVENT_TYPE, headers=headers)


async def _write(
    request: Request, sessions: Sessions, identity: Identity, parts: list[str]
) -> Response:
    if len(parts) != 4 or parts[:2] != ["calendars", identity.user_id]:
        raise dav.Refused(405, None, "only events can be written")
    async with sessions() as session:
        found = await _collection(session, identity, parts[2])
    conditions = dav_writes.Conditions(
        request.headers.get("if-match"), request.headers.get("if-none-match")
    )
    now = datetime.now(UTC)
    if request.method == "DELETE":
        done = await dav_writes.delete(
            sessions,
            identity,
            found=found,
            name=parts[3],
            conditions=conditions,
            link=_link(request),
            now=now,
        )
        return Response(status_code=204 if done else 404)
    created, stored = await dav_writes.put(
        sessions,
        identity,
        policy_of(request),
        found=found,
        name=parts[3],
        data=await _body(request),
        conditions=conditions,
        link=_link(request),
        now=now,
    )
    return Response(status_code=201 if created else 204, headers={"ETag": stored} if stored else {})
