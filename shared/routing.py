"""Finding a request's route by the first segments of its path, not by trying every route.

FastAPI tries an app's routes in order, and since 0.137 an included router is a node that is
walked whole (every route in it, recursively) before the next one is tried: with the gateway's
300 routes in 48 routers, finding a late page took 200-500 µs, more than answering it. The
index keeps, for each route at the top of the app, the literal segments its paths begin with
(at most two: `/api/deals/{id}` begins with `api`, `deals`), and tries for a request only the
routes that could match its path, in their order. The first full match is the one FastAPI's
own scan would find, since a route left out cannot match. Anything else (a method the path
does not allow, a slash to redirect, not found, websockets, lifespan) goes FastAPI's own way.
"""

from collections.abc import Callable, Iterable, Iterator

import fastapi.routing
from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

# What the router does with a full match's scope: FastAPI 0.137+ keeps its own part apart.
_update_scope: Callable[[Scope, Scope], None] = getattr(
    fastapi.routing, "_update_scope", lambda scope, child_scope: scope.update(child_scope)
)

DEPTH = 2  # literal segments indexed
REMEMBERED = 1024  # beginnings of paths whose candidates are kept
Prefix = tuple[str, ...]


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
            for route in self.candidates(path):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    _update_scope(scope, child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)

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
