"""Finding a request's route by the first segments of its path, not by trying every route.

FastAPI tries an app's routes in order, and since 0.137 an included router is a node that is
walked whole (every route in it, recursively) before the next one is tried: with the gateway's
300 routes in 48 routers, finding a late page took 200-500 µs, more than answering it. The
index keeps, for each route at the top of the app, the literal segments its paths begin with
(at most two: `/api/deals/{id}` begins with `api`, `deals`), and tries for a request only the
routes that could match its path, in their order. The first full match is the one FastAPI's
own scan would find, since a route left out cannot match.

Two answers FastAPI gets wrong are made here, as HTTP says them: `HEAD` on a path that answers
`GET` is that `GET` without its body (FastAPI's routes answer 405), and a method a path does
not allow is answered 405 with every method the path allows in `Allow` (FastAPI names only the
first route's, so `PATCH /api/deals` said `Allow: GET`, though `POST` is allowed too).
Anything else (a slash to redirect, not found, websockets, lifespan) goes FastAPI's own way.
"""

from collections.abc import Callable, Iterable, Iterator

import fastapi.routing
from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What the router does with a full match's scope: FastAPI 0.137+ keeps its own part apart.
_update_scope: Callable[[Scope, Scope], None] = getattr(
    fastapi.routing, "_update_scope", lambda scope, child_scope: scope.update(child_scope)
)

DEPTH = 2  # literal segments indexed
REMEMBERED = 1024  # beginnings of paths whose candidates are kept
Prefix = tuple[str, ...]
# The methods `Allow` may name: HTTP's, and those of WebDAV and CalDAV (the calendar's paths).
METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "PROPFIND",
    "PROPPATCH",
    "REPORT",
    "MKCOL",
    "MKCALENDAR",
]


HEAD_ASKED = "crm.head"  # in the scope of a GET made for a HEAD: no body will be sent


def head_asked(scope: Scope) -> bool:
    """Whether this GET answers a HEAD (a route may leave out making a costly body)."""
    return bool(scope.get(HEAD_ASKED))


def literal_prefix(path_format: str) -> Prefix:
    """The literal segments a path format begins with, up to `DEPTH` ("" for the root)."""
    literal = []
    for segment in path_format.split("/")[1 : DEPTH + 1]:
        if "{" in segment:
            break
        literal.append(segment)
    return tuple(literal)


def route_prefixes(route: BaseRoute) -> set[Prefix]:
    """The literal prefixes of every path `route` answers (an included router: all of its own)."""
    contexts = getattr(route, "effective_route_contexts", None)  # a FastAPI included router
    if contexts is not None:
        return {prefix for context in contexts() for prefix in route_prefixes(context)}
    starlette_route = getattr(route, "starlette_route", None)  # a route in an included router
    path_format = getattr(route, "path_format", "") or getattr(starlette_route, "path_format", "")
    return {literal_prefix(path_format)} if path_format.startswith("/") else {()}


class RouteIndex:
    """The router's dispatch, trying only the routes whose paths could begin as the request's."""

    def __init__(self, router: Router, fallback: ASGIApp) -> None:
        self.router = router
        self.fallback = fallback  # the router's own dispatch
        self._indexed = -1  # how many routes the index was built from
        self._prefixes: list[tuple[BaseRoute, frozenset[Prefix]]] = []
        self._remembered: dict[Prefix, tuple[BaseRoute, ...]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A route's pattern ends in `$`, which also matches before a final newline: `/api/me\n`
        # is `/api/me` to FastAPI but begins with another segment here; such paths go its way.
        if scope["type"] == "http" and "\n" not in (path := get_route_path(scope)):
            candidates = self.candidates(path)
            if found := _full_match(candidates, scope):
                await self._handle(scope, *found, receive, send)
                return
            if scope["method"] == "HEAD":  # the server still sees HEAD, and sends no body
                as_get = {**scope, "method": "GET", HEAD_ASKED: True}
                if found := _full_match(candidates, as_get):
                    await self._handle(as_get, *found, receive, _bodiless(send))
                    return
            allowed = {m for m in METHODS if _full_match(candidates, {**scope, "method": m})}
            if allowed:
                allowed |= {"HEAD"} if "GET" in allowed else set()
                raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        await self.fallback(scope, receive, send)

    async def _handle(
        self, scope: Scope, route: BaseRoute, child_scope: Scope, receive: Receive, send: Send
    ) -> None:
        """`route` answers, with what its match adds to the scope (path parameters, endpoint)."""
        scope.setdefault("router", self.router)
        _update_scope(scope, child_scope)
        await route.handle(scope, receive, send)

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        """The routes that could match `path`, in the router's order. The index is built at the
        first request and again when routes are added to the app; routes added later to a router
        it already includes are not seen (nothing adds routes while serving)."""
        routes = self.router.routes
        if len(routes) != self._indexed:  # built at the first request, again when added to
            self._prefixes = [(route, frozenset(route_prefixes(route))) for route in routes]
            self._indexed = len(routes)
            self._remembered.clear()
        segments = tuple(path.split("/")[1 : DEPTH + 1])
        found = self._remembered.get(segments)
        if found is None:
            found = tuple(_could_match(self._prefixes, segments))
            if len(self._remembered) >= REMEMBERED:  # paths made up to fill it
                self._remembered.clear()
            self._remembered[segments] = found
        return found


def _full_match(routes: Iterable[BaseRoute], scope: Scope) -> tuple[BaseRoute, Scope] | None:
    """The first route matching `scope` whole, and what its match adds to the scope."""
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return route, child_scope
    return None


def _bodiless(send: Send) -> Send:
    """`send` passing on the answer's status and headers (its length among them) but no body."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return sending


def _could_match(
    prefixes: Iterable[tuple[BaseRoute, frozenset[Prefix]]], segments: Prefix
) -> Iterator[BaseRoute]:
    for route, literal in prefixes:
        if any(segments[: len(prefix)] == prefix for prefix in literal):
            yield route


def index_routes(app: FastAPI) -> None:
    """Dispatch `app`'s requests through a `RouteIndex` (its router has no middleware)."""
    router = app.router
    if router.middleware_stack != router.app:
        raise ValueError("the router has middleware of its own; the index would skip it")
    router.middleware_stack = RouteIndex(router, router.app)
