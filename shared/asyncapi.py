"""The AsyncAPI 3.0 document of every event the services publish, generated from the contracts."""

from typing import Any

from shared.events import REGISTRY, Envelope


def _message_name(type_: str) -> str:
    return type_.removeprefix("crm.").replace(".", "_")


def _schema(model: type[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = Envelope[model].model_json_schema(  # type: ignore[valid-type]
        ref_template="#/components/schemas/{model}"
    )
    return schema


def asyncapi_document(version: str = "0.1.0") -> dict[str, Any]:
    """AsyncAPI 3.0: one channel per topic, one message per event type, payload = the envelope."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for type_, model in sorted(REGISTRY.items()):
        name = _message_name(type_)
        schema = _schema(model)
        schemas.update(schema.pop("$defs", {}))
        messages[name] = {
            "name": type_,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/cloudevents+json",
            "payload": schema,
            "bindings": {"kafka": {"key": {"type": "string", "description": "the subject"}}},
        }
        channel_id = model.topic.replace(".", "_")
        channel = channels.setdefault(channel_id, {"address": model.topic, "messages": {}})
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
            "summary": f"{model.source} publishes {type_}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Contentum CRM events",
            "version": version,
            "description": "CloudEvents 1.0 (structured JSON) on Kafka; key = subject.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
