"""The route index finds, for every path of every app, the route FastAPI's own scan finds."""

import inspect
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match

from services.embedded import create_embedded_app
from shared.routing import RouteIndex, index_routes, literal_prefix

SAMPLES = {"str": "x1", "int": "7", "float": "1.5", "path": "a/b.txt"}
UUID = "0d7a3b1e-5f1c-4a8e-9c61-2b7a4c3d9e10"
PARAMETER = re.compile(r"{([^}:]+)(?::([^}]+))?}")
ELSEWHERE = ["/", "/nowhere", "/api", "/api/", "/api/nowhere/at/all", "/deals/", "/static"]


NAMES = ("deals", "calendar", "planning", "knowledge", "gateway")


def _apps() -> dict[str, FastAPI]:
    """The five apps as `crm run` builds them (nothing connects before they start)."""
    urls = {name: f"postgresql://crm@127.0.0.1:1/crm_{name}" for name in NAMES}
    gateway = create_embedded_app(urls, identity_secret="s" * 40)
    return {"gateway": gateway, **gateway.state.embedded_apps}


def _path_formats(routes: list[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path format) of every route, included routers opened."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts else [route]:
            path_format = getattr(context, "path_format", "") or getattr(
                getattr(context, "starlette_route", None), "path_format", ""
            )
            for method in getattr(context, "methods", None) or {"GET"}:
                yield method, path_format


def _concrete(path_format: str) -> str:
    def sample(parameter: re.Match[str]) -> str:
        convertor = parameter.group(2) or "str"
        if convertor == "str" and parameter.group(1).endswith("id"):
            return UUID
        return SAMPLES.get(convertor, UUID)

    return PARAMETER.sub(sample, path_format)


def _scope(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _first_full(
    routes: list[BaseRoute] | tuple[BaseRoute, ...], method: str, path: str
) -> BaseRoute | None:
    for route in routes:
        if route.matches(_scope(method, path))[0] is Match.FULL:
            return route
    return None


@pytest.mark.parametrize("name", NAMES)
def test_every_path_of_an_app_is_found_where_fastapi_finds_it(name: str) -> None:
    app = _apps()[name]
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    asked = {(m, _concrete(f)) for m, f in _path_formats(app.router.routes)}
    asked |= {(method, path) for path in ELSEWHERE for method in ("GET", "POST")}

    differing = [
        (method, path)
        for method, path in sorted(asked)
        if _first_full(index.candidates(path), method, path)
        is not _first_full(app.router.routes, method, path)
    ]

    assert len(asked) > 20 and differing == []


def test_a_path_is_tried_only_against_routes_that_could_match_it() -> None:
    app = _apps()["gateway"]
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)

    tried = index.candidates("/deals")

    assert 0 < len(tried) < len(app.router.routes) / 4


@pytest.mark.parametrize(
    ("path_format", "prefix"),
    [
        ("/", ("",)),
        ("/deals", ("deals",)),
        ("/api/deals/{deal_id}", ("api", "deals")),
        ("/api/{path:path}", ("api",)),
        ("/{page}", ()),
        ("/files{suffix}", ()),
    ],
)
def test_a_path_format_begins_with_its_literal_segments(
    path_format: str, prefix: tuple[str, ...]
) -> None:
    assert literal_prefix(path_format) == prefix


async def test_routes_added_after_the_first_request_are_found_too() -> None:
    app = FastAPI()
    early = APIRouter(prefix="/early")

    @early.get("/{thing}")
    async def thing(thing: str) -> str:
        return thing

    app.include_router(early)
    index_routes(app)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm")
    first = await client.get("/early/one")
    late = APIRouter(prefix="/late")

    @late.get("/{thing}")
    async def later(thing: str) -> str:
        return "late " + thing

    app.include_router(late)
    second = await client.get("/late/two")
    missing = await client.get("/early")
    not_allowed = await client.post("/early/one")

    assert (first.json(), second.json()) == ("one", "late two")
    assert (missing.status_code, not_allowed.status_code) == (404, 405)


async def test_a_path_ending_in_a_newline_goes_where_fastapi_sends_it() -> None:
    def app(indexed: bool) -> FastAPI:
        made = FastAPI()
        mine, rest = APIRouter(prefix="/api"), APIRouter(prefix="/api")

        @mine.get("/me")
        async def me() -> str:
            return "me"

        @rest.get("/{path:path}")
        async def anything(path: str) -> str:
            return "anything"

        made.include_router(mine)
        made.include_router(rest)
        if indexed:
            index_routes(made)
        return made

    async def answer(indexed: bool) -> object:
        transport = httpx.ASGITransport(app=app(indexed))
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            return (await client.get("/api/me%0A")).json()

    assert await answer(indexed=True) == await answer(indexed=False) == "me"


def _items_app() -> FastAPI:
    app = FastAPI()
    items = APIRouter(prefix="/items")

    @items.get("")
    async def listed() -> list[str]:
        return ["młotek", "gwoździe"]

    @items.post("", status_code=201)
    async def added() -> str:
        return "added"

    @items.delete("/{item}")
    async def removed(item: str) -> str:
        return item

    @items.api_route("/dav", methods=["GET", "PROPFIND"])
    async def dav() -> str:
        return "dav"

    app.include_router(items)
    index_routes(app)
    return app


async def test_head_answers_as_get_without_the_body() -> None:
    transport = httpx.ASGITransport(app=_items_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        got, head = await client.get("/items"), await client.head("/items")
        head_of_delete_only = await client.head("/items/one")

    assert (got.status_code, head.status_code) == (200, 200)
    assert head.content == b"" and got.content
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head_of_delete_only.status_code == 405
    assert head_of_delete_only.headers["allow"] == "DELETE"


async def test_a_method_not_allowed_names_every_method_the_path_allows() -> None:
    transport = httpx.ASGITransport(app=_items_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        patched = await client.patch("/items", json={})
        posted_to_one = await client.post("/items/one")
        missing = await client.patch("/nothing/here")
        put_on_dav = await client.put("/items/dav")

    assert patched.status_code == 405 and patched.headers["allow"] == "GET, HEAD, POST"
    assert posted_to_one.status_code == 405 and posted_to_one.headers["allow"] == "DELETE"
    assert missing.status_code == 404
    assert put_on_dav.status_code == 405
    assert put_on_dav.headers["allow"] == "DELETE, GET, HEAD, PROPFIND"  # `/items/{item}` too


def _dependencies(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


@pytest.mark.parametrize("name", NAMES)
def test_no_route_waits_for_a_worker_thread_to_run_a_plain_function(name: str) -> None:
    """FastAPI runs a dependency or an endpoint written as a plain function in a worker thread:
    two hand-overs between threads, 0.3-1 ms of a request spent waiting. Functions are written
    `async`; a class (a form's model) is the one exception FastAPI leaves no way around."""
    plain = set()
    for route in _apps()[name].router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts else [route]:
            dependant = getattr(context, "dependant", None)
            if dependant is None:  # a Starlette route: the docs, static files
                continue
            for call in [dependant.call, *(sub.call for sub in _dependencies(dependant))]:
                if not inspect.isclass(call) and not inspect.iscoroutinefunction(call):
                    plain.add(f"{getattr(context, 'path_format', route)}: {call.__qualname__}")

    assert plain == set()
