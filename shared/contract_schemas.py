"""The JSON Schema of every event version, committed under `shared/contracts/schemas/`, and the
rule that keeps a published version from changing under its consumers.

A version's schema may change only in ways both old and new readers survive, because a topic
holds messages of both ages (a snapshot topic keeps them for ever): words may change
(descriptions, examples, titles) and optional fields may be added. Anything else (a field
removed, a field required or no longer required, a type changed or widened, a value allowed or
no longer allowed) needs a new type with the next version number.
"""

import json
from pathlib import Path
from typing import Any

from shared.events import REGISTRY, Contract

SCHEMA_DIR = Path(__file__).parent / "contracts" / "schemas"
# Words for people: free to change within a version.
_ANNOTATIONS = {"description", "examples", "title", "$comment"}


def event_schema(model: type[Contract]) -> dict[str, Any]:
    """The JSON Schema of one type's `data`, with the type named in its `$id`."""
    schema = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{model.type}.json",
        "x-topic": model.topic,
        "x-source": model.source,
        **schema,
    }


def current_schemas() -> dict[str, dict[str, Any]]:
    """Every registered type's schema as the code defines it now, by type."""
    return {type_: event_schema(model) for type_, model in sorted(REGISTRY.items())}


def committed_schemas(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text())
        for path in sorted(directory.glob("*.json"))
    }


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _resolve(node: Any, definitions: dict[str, Any]) -> Any:
    """`node` with every local `$ref` replaced by what it names, and annotations left out."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _resolve(definitions[name], definitions)
        return {
            key: _resolve(value, definitions)
            for key, value in node.items()
            if key not in _ANNOTATIONS and key != "$defs"
        }
    if isinstance(node, list):
        return [_resolve(item, definitions) for item in node]
    return node


def _differences(old: Any, new: Any, where: str) -> list[str]:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{where}: was {old!r}, now {new!r}"]
    problems: list[str] = []
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    problems += [f"{where}.{name}: now required" for name in sorted(new_required - old_required)]
    problems += [
        f"{where}.{name}: no longer required" for name in sorted(old_required - new_required)
    ]
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_properties.items():
        if name not in new_properties:
            problems.append(f"{where}.{name}: removed")
        else:
            problems += _differences(schema, new_properties[name], f"{where}.{name}")
    for key in sorted((set(old) | set(new)) - {"properties", "required", "default"}):
        if old.get(key) != new.get(key):
            problems += (
                _differences(old[key], new[key], f"{where}[{key}]")
                if key in old and key in new
                else [f"{where}[{key}]: was {old.get(key)!r}, now {new.get(key)!r}"]
            )
    return problems


def incompatibilities(committed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What changed in `current` that readers of `committed` (or writers of it, read by the new
    code) would not survive; empty when the change is only in words or adds optional fields."""
    old = _resolve(committed, committed.get("$defs", {}))
    new = _resolve(current, current.get("$defs", {}))
    return _differences(old, new, "data")


def check(directory: Path = SCHEMA_DIR) -> dict[str, list[str]]:
    """Problems by type: a contract incompatible with its committed schema, or a committed type
    the code no longer has."""
    committed, current = committed_schemas(directory), current_schemas()
    problems = {
        type_: incompatibilities(schema, current[type_])
        for type_, schema in committed.items()
        if type_ in current
    }
    for type_ in committed.keys() - current.keys():
        problems[type_] = ["the type is gone: a published version stays while topics hold it"]
    return {type_: found for type_, found in problems.items() if found}


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every type's schema; refuse (raise ValueError) when one is incompatible."""
    problems = check(directory)
    if problems:
        raise ValueError(
            "\n".join(
                f"{type_}: {problem}" for type_, found in problems.items() for problem in found
            )
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for type_, schema in current_schemas().items():
        path = directory / f"{type_}.json"
        text = schema_text(schema)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(type_)
    return written
