"""The public API's one OpenAPI document: the gateway's own operations and every operation it
routes to a service, merged from the services' documents, with what the gateway adds to each."""

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

from services.gateway.domain.routing import SALES_ONLY, owner_of

Document = dict[str, Any]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER = "bearer"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from `POST /api/auth/token` (OAuth2 password form) or a personal "
    "API token (`crm_pat_…`, `POST /api/auth/tokens`).",
}
# Operations anyone may call: signing in, health, metrics, an iCalendar feed (its address is
# the key).
PUBLIC = frozenset(
    {
        ("post", "/api/auth/token"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/api/calendar/feeds/{token}.ics"),
    }
)
PROBLEM = "Problem"
PROBLEM_SCHEMA: Document = {
    "title": PROBLEM,
    "type": "object",
    "description": "What is wrong: a sentence, or one entry per field (FastAPI's shape).",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["loc", "msg", "type"],
                    },
                },
            ]
        },
        "service": {"type": "string", "description": "the service that did not answer (503)"},
    },
    "required": ["detail"],
}
ANSWERS = {
    "400": "The body cannot be read as its content type says (not UTF-8, a broken form)",
    "401": "Not signed in: no token, or one that ended",
    "403": "Signed in, but not allowed to do this",
    "404": "No such record, or none the caller may see",
    "409": "It clashes with what exists; or, for a write sent with an `Idempotency-Key`, a "
    "request with that key is being made (`Idempotency-Status: in-progress`, send it again "
    "after `Retry-After`) or was made and its answer lost (`answer-lost`: look the record up)",
    "413": "The body is larger than this operation takes",
    "422": "The input is not valid; each problem names its field",
    "429": "Too many failed sign-ins from this address; try again after `Retry-After` seconds",
    "503": "The service owning this part of the API did not answer",
}


WRITES = frozenset({"post", "put", "patch", "delete"})
IDEMPOTENCY_KEY: Document = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any 1-255 visible ASCII characters, new for each write (a UUID). The write "
    "is made once however often it is sent with the key (per caller, for 24 hours unless "
    "`CRM_IDEMPOTENCY_KEY_HOURS` says otherwise): a repeat gets the first answer again, with "
    "`Idempotency-Status: replayed`; the key with another method, path or body is a 422. "
    "Without one, a gateway calling its services over the network gives the write a key of its "
    "own (answered in this header), to send it again itself when a service replica is lost.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    """Every (method, path, operation) of a document."""
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def routed_paths(document: Document, service: str) -> dict[str, Document]:
    """The paths of a service's document that the gateway forwards to that service."""
    return {
        path: item
        for path, item in document.get("paths", {}).items()
        if path.startswith("/api/") and owner_of(path.removeprefix("/api/")) == service
    }


def merged_document(
    own: Document, services: Mapping[str, Document], *, unavailable: Mapping[str, str]
) -> Document:
    """The gateway's own document with the routed operations of each service added, their
    schemas named apart where two services use one name for different things."""
    merged = copy.deepcopy(own)
    paths: dict[str, Document] = merged.setdefault("paths", {})
    schemas: dict[str, Document] = merged.setdefault("components", {}).setdefault("schemas", {})
    for service, document in sorted(services.items()):
        renames = _schema_names(schemas, document, service)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames[name]] = _renamed(schema, renames)
        for path, item in routed_paths(document, service).items():
            paths[path] = _renamed(item, renames)
    for method, path, operation in operations(merged):
        _complete(method, path, operation, proxied=owner_of(path.removeprefix("/api/")))
    schemas[PROBLEM] = PROBLEM_SCHEMA
    merged["components"]["securitySchemes"] = {BEARER: SECURITY_SCHEME}
    if unavailable:
        missing = ", ".join(f"{name} ({why})" for name, why in sorted(unavailable.items()))
        merged["info"]["description"] = f"Not described now, as they did not answer: {missing}."
    return merged


def _schema_names(
    taken: Mapping[str, Document], document: Document, service: str
) -> dict[str, str]:
    """Each schema's name in the merged document: its own, unless another schema has it."""
    names = {}
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        same = name not in taken or _canonical(taken[name]) == _canonical(schema)
        names[name] = name if same else f"{service.capitalize()}{name}"
    return names


def _canonical(schema: Document) -> str:
    return json.dumps(schema, sort_keys=True)


def _renamed(value: Any, renames: Mapping[str, str]) -> Any:
    """`value` with its `$ref`s to renamed schemas pointing at the new names."""
    prefix = "#/components/schemas/"
    if isinstance(value, dict):
        return {
            key: (
                prefix + renames.get(item.removeprefix(prefix), item.removeprefix(prefix))
                if key == "$ref" and isinstance(item, str) and item.startswith(prefix)
                else _renamed(item, renames)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_renamed(item, renames) for item in value]
    return value


def _complete(method: str, path: str, operation: Document, *, proxied: str | None) -> None:
    """What every operation may answer besides its own success, and how to call it."""
    public = (method, path) in PUBLIC
    operation["security"] = [] if public else [{BEARER: []}]
    if method in WRITES and not public and not path.startswith("/api/auth/"):
        parameters: list[Document] = operation.setdefault("parameters", [])
        if not any(p.get("name") == IDEMPOTENCY_KEY["name"] for p in parameters):
            parameters.append(dict(IDEMPOTENCY_KEY))
    codes = {"422"} if operation.get("parameters") or "requestBody" in operation else set()
    if not public:
        codes |= {"401", "403", "404", "409"}
    elif "{" in path:
        codes |= {"404"}
    if "requestBody" in operation:
        codes |= {"400", "413"}
    if proxied:
        codes |= {"503"}
    if (method, path) == ("post", "/api/auth/token"):
        codes |= {"401", "429"}
    responses: dict[str, Document] = operation.setdefault("responses", {})
    for code in sorted(codes):
        responses[code] = _problem(code)
    if "403" in responses and proxied and _first_segment(path) in SALES_ONLY:
        responses["403"]["description"] += " (the sales team's records: not for department staff)"


def _first_segment(path: str) -> str:
    return path.removeprefix("/api/").split("/", 1)[0]


def _problem(code: str) -> Document:
    return {
        "description": ANSWERS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }
