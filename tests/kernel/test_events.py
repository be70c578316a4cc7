"""The CloudEvents envelope, the contract registry and the AsyncAPI document."""

import json
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from jsonschema import Draft7Validator
from pydantic import BaseModel

from shared.asyncapi import asyncapi_document
from shared.contracts.deals import CompanyCreated
from shared.events import (
    REGISTRY,
    MalformedEvent,
    binary_attributes,
    new_event,
    parse_event,
    topics,
)

FORMAT_CHECKER = Draft7Validator.FORMAT_CHECKER


def company_created() -> CompanyCreated:
    return CompanyCreated(company_id=uuid4(), name="Żółw S.A.", tax_id="5260250274")


def test_an_event_round_trips_through_json_with_its_typed_data() -> None:
    event = new_event(company_created(), subject="c-1")

    parsed = parse_event(event.model_dump_json().encode())

    assert parsed == event
    assert isinstance(parsed.data, CompanyCreated)
    assert parsed.specversion == "1.0"
    assert parsed.source == "crm/deals"
    assert parsed.subject == "c-1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "crm.nothing.happened.v1"}', "unknown event type"),
        (
            json.dumps(
                {"type": "crm.company.created.v1", "source": "x", "subject": "1", "data": {}}
            ),
            "invalid crm.company.created.v1",
        ),
    ],
)
def test_a_message_that_is_not_a_known_event_is_malformed(raw: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        parse_event(raw)


def test_the_asyncapi_document_describes_every_contract() -> None:
    document = asyncapi_document()

    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["crm_deals_company"]["address"] == "crm.deals.company"
    message = document["components"]["messages"]["company_created_v1"]
    assert message["name"] == "crm.company.created.v1"
    assert "company_id" in json.dumps(message["payload"]) + json.dumps(document["components"])


# --- as other systems read them ----------------------------------------------------------------

# The CloudEvents 1.0 specification's own JSON Schema (cloudevents/spec,
# cloudevents/formats/cloudevents.json, Apache License 2.0), kept beside this test.
SPEC_SCHEMA = json.loads((Path(__file__).parent / "cloudevents.schema.json").read_text())


def value_of(annotation: Any) -> Any:
    """A value of a contract field's type (not null where null is allowed, to show more)."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return arguments[0]
    if origin in (typing.Union, types.UnionType):
        return value_of(next(a for a in arguments if a is not type(None)))
    if origin is list:
        return [value_of(arguments[0])]
    if origin is dict:
        return {"pole": value_of(arguments[1])}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example_of(annotation)
    simple: dict[Any, Callable[[], Any]] = {
        UUID: uuid4,
        str: lambda: "Żółw",
        Any: lambda: "Żółw",
        float: lambda: 1.5,
        int: lambda: 1,
        bool: lambda: True,
        Decimal: lambda: Decimal("1250.50"),
        date: lambda: date(2026, 11, 27),
        datetime: lambda: datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
    }
    return simple[annotation]()


def example_of(model: type[BaseModel]) -> Any:
    """The contract's own examples where it gives them, a value of each field's type elsewhere."""
    return model(
        **{
            name: f.examples[0] if f.examples else value_of(f.annotation)
            for name, f in model.model_fields.items()
        }
    )


def every_event() -> list[bytes]:
    """One event of every registered type, with its contract's own example values."""
    return [
        new_event(example_of(model), subject=uuid4()).model_dump_json().encode()
        for model in REGISTRY.values()
    ]


def test_attributes_without_a_value_are_left_out_of_the_envelope() -> None:
    envelope = json.loads(new_event(company_created(), subject="c-1").model_dump_json())

    assert "dataschema" not in envelope
    assert None not in envelope.values()
    assert envelope["data"]["address"] is None  # the contract's own nulls stay


@pytest.mark.parametrize("raw", every_event(), ids=sorted(REGISTRY))
def test_every_event_is_read_by_the_cloudevents_sdk_and_valid_by_the_spec_schema(
    raw: bytes,
) -> None:
    ours = json.loads(raw)

    read = JSONFormat().read(None, raw)

    assert read.get_id() == ours["id"]
    assert read.get_type() == ours["type"]
    assert read.get_data() == ours["data"]
    errors = list(Draft7Validator(SPEC_SCHEMA, format_checker=FORMAT_CHECKER).iter_errors(ours))
    assert errors == []


def test_a_binary_mode_event_reads_like_the_structured_one() -> None:
    event = new_event(company_created(), subject="c-1")
    structured = JSONFormat().read(None, event.model_dump_json().encode())
    message = kafka.to_binary_event(structured)
    headers = [(name, value) for name, value in message.headers.items()]

    attributes = binary_attributes(headers)

    assert attributes is not None
    assert parse_event(message.value, attributes) == event


def test_a_structured_message_has_no_binary_attributes() -> None:
    headers = [("content-type", b"application/cloudevents+json")]

    assert binary_attributes(headers) is None


def test_the_asyncapi_payloads_require_the_attributes_and_fix_each_type() -> None:
    messages = asyncapi_document()["components"]["messages"]

    payload = messages["deal_won_v1"]["payload"]

    assert {"id", "specversion", "source", "type", "time", "data"} <= set(payload["required"])
    assert payload["properties"]["type"]["const"] == "crm.deal.won.v1"
    assert payload["properties"]["source"]["const"] == "crm/deals"


def test_every_field_of_every_event_is_described() -> None:
    document = asyncapi_document()
    schemas = {
        **document["components"]["schemas"],
        **{
            name: message["payload"]
            for name, message in document["components"]["messages"].items()
            if name != "dead_letter"
        },
    }

    undescribed = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, described in schema.get("properties", {}).items()
        if not described.get("description")
    ]

    assert undescribed == []


def test_every_topic_declares_its_dead_letter_channel() -> None:
    channels = asyncapi_document()["channels"]
    addresses = {channel["address"] for channel in channels.values()}

    assert {f"{topic}.dlq" for topic in topics()} <= addresses
    dlq = channels["crm_deals_company_dlq"]
    assert list(dlq["messages"]) == ["dead_letter"]
