"""Events between services: the CloudEvents 1.0 envelope and the registry of contract types."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from shared.ids import time_ordered_id


class Contract(BaseModel):
    """The `data` of one event type. Subclasses are registered with `@contract(...)`."""

    model_config = ConfigDict(frozen=True)

    type: ClassVar[str]
    topic: ClassVar[str]
    source: ClassVar[str]


C = TypeVar("C", bound=Contract)


class Envelope(BaseModel, Generic[C]):
    """A CloudEvents 1.0 event in structured JSON mode."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents 1.0")
    id: UUID = Field(
        default_factory=time_ordered_id,
        description="Unique per event; consumers dedupe on it (a UUIDv7: ids sort as made)",
    )
    source: str = Field(description="The producing service, e.g. `crm/deals`")
    type: str = Field(description="`crm.<aggregate>.<past-tense-verb>.v<N>`")
    subject: str = Field(description="Id of the aggregate; also the Kafka message key")
    time: datetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When it happened (RFC 3339)"
    )
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="`data` is JSON"
    )
    dataschema: str | None = Field(
        default=None, description="A URI of the schema `data` adheres to; absent when none"
    )
    data: C = Field(description="The event's contract: the fields of its `type`")

    @model_serializer(mode="wrap")
    def _without_empty_attributes(
        self, handler: SerializerFunctionWrapHandler, _: SerializationInfo
    ) -> dict[str, Any]:
        """CloudEvents leaves out an attribute without a value; `null` is not allowed."""
        attributes: dict[str, Any] = handler(self)
        return {
            name: value for name, value in attributes.items() if value is not None or name == "data"
        }


class MalformedEvent(ValueError):
    """A message that is not an event this project knows how to read."""


REGISTRY: dict[str, type[Contract]] = {}


def contract(type_: str, *, topic: str, source: str) -> Any:
    """Register a contract class under its CloudEvents type name."""

    def register(cls: type[C]) -> type[C]:
        if type_ in REGISTRY:
            raise ValueError(f"event type {type_} is registered twice")
        cls.type, cls.topic, cls.source = type_, topic, source
        REGISTRY[type_] = cls
        return cls

    return register


@cache
def _envelope_of(contract_type: type[Contract]) -> Any:
    """`Envelope[contract_type]`, made once: pydantic's own lookup costs more than the event."""
    return Envelope[contract_type]  # type: ignore[valid-type]


def new_event(data: C, *, subject: object, time: datetime | None = None) -> Envelope[C]:
    """Wrap contract data in an envelope, ready for the outbox."""
    envelope = _envelope_of(type(data))
    return envelope(  # type: ignore[no-any-return]
        source=data.source,
        type=data.type,
        subject=str(subject),
        data=data,
        **({"time": time} if time else {}),
    )


CLOUDEVENTS_JSON = "application/cloudevents+json"
BINARY_PREFIX = "ce_"  # Kafka binary mode: an attribute per header, the value is the data
DLQ_SUFFIX = ".dlq"  # a topic's dead-letter twin


def binary_attributes(headers: Iterable[tuple[str, bytes]]) -> dict[str, str] | None:
    """The attributes of a binary-mode message (`ce_*` headers, `content-type`), or None when
    the message is in structured mode."""
    attributes: dict[str, str] = {}
    content_type = None
    for name, value in headers:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if name.lower().startswith(BINARY_PREFIX):
            attributes[name[len(BINARY_PREFIX) :].lower()] = text
        elif name.lower() == "content-type":
            content_type = text
    if "specversion" not in attributes:
        return None
    if content_type is not None:
        attributes["datacontenttype"] = content_type.split(";", 1)[0].strip()
    return attributes


def parse_event(
    raw: bytes | str, attributes: Mapping[str, str] | None = None
) -> Envelope[Contract]:
    """Read a message into a typed envelope, or raise `MalformedEvent` saying what is wrong.

    With `attributes` (a binary-mode message) `raw` is the data alone; else the whole event."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedEvent(f"not JSON: {error}") from None
    if attributes is not None:
        body = {**attributes, "data": body}
    if not isinstance(body, dict):
        raise MalformedEvent("not a JSON object")
    model = REGISTRY.get(str(body.get("type")))
    if model is None:
        raise MalformedEvent(f"unknown event type {body.get('type')!r}")
    try:
        return _envelope_of(model).model_validate(body)  # type: ignore[no-any-return]
    except ValidationError as error:
        raise MalformedEvent(f"invalid {body['type']}: {error}") from None


def topics() -> list[str]:
    return sorted({model.topic for model in REGISTRY.values()})


def topics_for(types: list[str]) -> list[str]:
    """The topics carrying the given event types."""
    return sorted({REGISTRY[type_].topic for type_ in types})
