"""WebDAV and CalDAV messages (RFC 4918, 4791, 6578): the requests read, the multistatus written.

Request bodies are parsed with `defusedxml`, which refuses DTDs and entity expansion; the size
of a body is limited before it gets here. Properties are named in Clark notation
(`{DAV:}displayname`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"
CRM = "urn:contentum-crm:dav"
for _prefix, _uri in (
    ("d", DAV),
    ("cal", CALDAV),
    ("cs", CALSERVER),
    ("ical", APPLE),
    ("crm", CRM),
):
    ET.register_namespace(_prefix, _uri)

Value = str | Sequence[ET.Element]
STATUS_TEXT = {200: "OK", 403: "Forbidden", 404: "Not Found"}


class BadRequest(ValueError):
    """The body is not a request this server understands; the message says why."""


class Refused(Exception):
    """A request the server will not carry out: the status, the precondition (a Clark name)
    that failed, and why in words."""

    def __init__(self, status: int, condition: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.condition = condition
        self.message = message


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def element(
    qualified: str, /, *children: ET.Element, text: str | None = None, **attributes: str
) -> ET.Element:
    made = ET.Element(qualified, attributes)
    made.extend(children)
    made.text = text
    return made


def href(path: str) -> ET.Element:
    return element(tag(DAV, "href"), text=path)


def _parse(body: bytes) -> ET.Element:
    try:
        root: ET.Element = fromstring(body)
    except (ParseError, DefusedXmlException) as error:
        raise BadRequest(f"the XML body cannot be read: {error}") from None
    return root


@dataclass(frozen=True)
class PropFind:
    """Which properties a PROPFIND or REPORT asks for: named ones, all, or only their names."""

    kind: Literal["prop", "allprop", "propname"] = "allprop"
    names: tuple[str, ...] = ()


def _props(parent: ET.Element | None) -> PropFind:
    if parent is None:
        return PropFind()
    if parent.find(tag(DAV, "propname")) is not None:
        return PropFind("propname")
    prop = parent.find(tag(DAV, "prop"))
    if prop is None:
        return PropFind()
    return PropFind("prop", tuple(child.tag for child in prop))


def read_propfind(body: bytes) -> PropFind:
    """An empty body asks for all properties (RFC 4918 §9.1)."""
    if not body.strip():
        return PropFind()
    root = _parse(body)
    if root.tag != tag(DAV, "propfind"):
        raise BadRequest("a PROPFIND body is a DAV:propfind element")
    return _props(root)


@dataclass(frozen=True)
class PropFilter:
    name: str
    text: str | None = None  # a substring, compared without regard to case
    negate: bool = False
    undefined: bool = False  # is-not-defined


@dataclass(frozen=True)
class Query:
    """calendar-query: the component asked for, its time range and property filters."""

    props: PropFind
    component: str | None = None  # None: any component of the calendar
    start: datetime | None = None
    end: datetime | None = None
    filters: tuple[PropFilter, ...] = ()
    timed: bool = False  # a time-range was given


@dataclass(frozen=True)
class Multiget:
    props: PropFind
    hrefs: tuple[str, ...]


@dataclass(frozen=True)
class SyncCollection:
    props: PropFind
    token: str | None
    limit: int | None = None


Report = Query | Multiget | SyncCollection


def read_report(body: bytes) -> Report:
    """calendar-query, calendar-multiget or sync-collection; any other report is refused."""
    root = _parse(body)
    props = _props(root)
    if root.tag == tag(CALDAV, "calendar-multiget"):
        return Multiget(props, tuple((h.text or "").strip() for h in root.iter(tag(DAV, "href"))))
    if root.tag == tag(DAV, "sync-collection"):
        token = (root.findtext(tag(DAV, "sync-token")) or "").strip() or None
        if (root.findtext(tag(DAV, "sync-level")) or "1").strip() != "1":
            raise BadRequest("sync-level 1 only: a calendar holds no collections")
        limit = root.findtext(f"{tag(DAV, 'limit')}/{tag(DAV, 'nresults')}")
        return SyncCollection(props, token, int(limit) if limit and limit.isdigit() else None)
    if root.tag == tag(CALDAV, "calendar-query"):
        return _query(root, props)
    raise BadRequest(f"unsupported report {root.tag}")


def _query(root: ET.Element, props: PropFind) -> Query:
    calendar = root.find(f"{tag(CALDAV, 'filter')}/{tag(CALDAV, 'comp-filter')}")
    if calendar is None or calendar.get("name", "").upper() != "VCALENDAR":
        return Query(props)
    inner = calendar.find(tag(CALDAV, "comp-filter"))
    if inner is None:
        return Query(props)
    start = end = None
    timed = False
    window = inner.find(tag(CALDAV, "time-range"))
    if window is not None:
        start, end, timed = _moment(window.get("start")), _moment(window.get("end")), True
    filters = tuple(_prop_filter(f) for f in inner.findall(tag(CALDAV, "prop-filter")))
    return Query(props, inner.get("name", "").upper(), start, end, filters, timed)


def _prop_filter(found: ET.Element) -> PropFilter:
    match = found.find(tag(CALDAV, "text-match"))
    return PropFilter(
        name=found.get("name", "").upper(),
        text=None if match is None else (match.text or ""),
        negate=match is not None and match.get("negate-condition") == "yes",
        undefined=found.find(tag(CALDAV, "is-not-defined")) is not None,
    )


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(
            f"a time-range is given in UTC (20270101T000000Z), not {value!r}"
        ) from None


@dataclass
class Resource:
    """One response of a multistatus: the properties found and those that are not there.

    `status` alone (no properties) answers for the resource itself: 404 in a sync report for
    one that is gone.
    """

    path: str
    found: dict[str, Value] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    status: int | None = None


def answer(resource: Resource, asked: PropFind, available: dict[str, Value]) -> Resource:
    """The properties `asked` for, from those `available`; names only for a propname request."""
    if asked.kind == "propname":
        resource.found = dict.fromkeys(available, "")
    elif asked.kind == "allprop":
        resource.found = dict(available)
    else:
        resource.found = {name: available[name] for name in asked.names if name in available}
        resource.missing = [name for name in asked.names if name not in available]
    return resource


def read_propertyupdate(body: bytes) -> list[str]:
    """The properties a PROPPATCH would set or remove."""
    root = _parse(body)
    if root.tag != tag(DAV, "propertyupdate"):
        raise BadRequest("a PROPPATCH body is a DAV:propertyupdate element")
    return [prop.tag for change in root for found in change for prop in found]


def refuse_all(resource: Resource, names: list[str]) -> Resource:
    """Every property named refused: the server keeps its own."""
    resource.refused = list(names)
    return resource


def _status(code: int) -> ET.Element:
    return element(tag(DAV, "status"), text=f"HTTP/1.1 {code} {STATUS_TEXT.get(code, '')}")


def _propstat(props: Iterable[tuple[str, Value]], code: int) -> ET.Element:
    prop = element(tag(DAV, "prop"))
    for name, value in props:
        item = ET.SubElement(prop, name)
        if isinstance(value, str):
            item.text = value or None
        else:
            item.extend(value)
    return element(tag(DAV, "propstat"), prop, _status(code))


def multistatus(resources: Iterable[Resource], *, sync_token: str | None = None) -> bytes:
    """The 207 body."""
    root = element(tag(DAV, "multistatus"))
    for resource in resources:
        response = ET.SubElement(root, tag(DAV, "response"))
        response.append(href(resource.path))
        if resource.status is not None:
            response.append(_status(resource.status))
            continue
        if resource.found or not (resource.missing or resource.refused):
            response.append(_propstat(resource.found.items(), 200))
        if resource.missing:
            response.append(_propstat(((name, "") for name in resource.missing), 404))
        if resource.refused:
            response.append(_propstat(((name, "") for name in resource.refused), 403))
    if sync_token is not None:
        root.append(element(tag(DAV, "sync-token"), text=sync_token))
    return _document(root)


def error(*conditions: ET.Element) -> bytes:
    """A DAV:error body naming the precondition that failed."""
    return _document(element(tag(DAV, "error"), *conditions))


def _document(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
