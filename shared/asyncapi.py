"""The AsyncAPI 3.0 document of every event the services publish, generated from the contracts."""

from typing import Any

from shared.events import CLOUDEVENTS_JSON, DLQ_SUFFIX, REGISTRY, Contract, Envelope

# What every event carries (CloudEvents requires the first four; the services always send all).
REQUIRED = ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"]
DEAD_LETTER_HEADERS = {
    "x-error": "why the consumer gave up on it (at most 1,000 characters)",
    "x-consumer": "the consumer group that gave up (the service's name)",
    "x-original-topic": "the topic it was read from",
    "x-original-partition": "its partition there",
    "x-original-offset": "its offset there",
    "content-type": "the content type it came with",
}


def _message_name(type_: str) -> str:
    return type_.removeprefix("crm.").replace(".", "_")


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_")


def _schema(model: type[Contract]) -> dict[str, Any]:
    """The envelope of one type: its attributes required, `type` and `source` fixed."""
    schema: dict[str, Any] = Envelope[model].model_json_schema(  # type: ignore[valid-type]
        ref_template="#/components/schemas/{model}"
    )
    properties = schema["properties"]
    properties["type"] = {**properties["type"], "const": model.type}
    properties["source"] = {**properties["source"], "const": model.source}
    schema["required"] = REQUIRED
    return schema


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": "dead_letter",
        "title": "A message a consumer could not apply",
        "summary": "The message as it was read (any of the topic's events, or what was not one), "
        "with why it was given up on in its headers.",
        "headers": {
            "type": "object",
            "properties": {
                name: {"type": "string", "description": description}
                for name, description in DEAD_LETTER_HEADERS.items()
            },
            "required": [name for name in DEAD_LETTER_HEADERS if name.startswith("x-")],
        },
        "payload": {"description": "the original message's bytes, unchanged"},
    }


def asyncapi_document(version: str = "0.1.0") -> dict[str, Any]:
    """AsyncAPI 3.0: one channel per topic and one per dead-letter topic, one message per
    event type, payload = the envelope."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {"dead_letter": _dead_letter_message()}
    schemas: dict[str, Any] = {}
    for type_, model in sorted(REGISTRY.items()):
        name = _message_name(type_)
        schema = _schema(model)
        schemas.update(schema.pop("$defs", {}))
        messages[name] = {
            "name": type_,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": CLOUDEVENTS_JSON,
            "payload": schema,
            "bindings": {"kafka": {"key": {"type": "string", "description": "the subject"}}},
        }
        channel_id = _channel_id(model.topic)
        channel = channels.setdefault(channel_id, {"address": model.topic, "messages": {}})
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
            "summary": f"{model.source} publishes {type_}",
        }
    for topic in sorted({model.topic for model in REGISTRY.values()}):
        dlq_id = _channel_id(topic + DLQ_SUFFIX)
        channels[dlq_id] = {
            "address": topic + DLQ_SUFFIX,
            "description": f"What consumers of {topic} could not apply (not parsed, or its "
            "handler failed three times); consumption goes on.",
            "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
        }
        operations[f"dead_letter_{_channel_id(topic)}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{dlq_id}"},
            "messages": [{"$ref": f"#/channels/{dlq_id}/messages/dead_letter"}],
            "summary": f"a consumer of {topic} gives up on a message",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Contentum CRM events",
            "version": version,
            "description": "CloudEvents 1.0 on Kafka: structured JSON as published (key = "
            "subject); binary mode (`ce_*` headers, the data as the value) is read as well.",
        },
        "defaultContentType": CLOUDEVENTS_JSON,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
