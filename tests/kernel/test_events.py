"""The CloudEvents envelope, the contract registry and the AsyncAPI document."""

import json
from uuid import uuid4

import pytest

from shared.asyncapi import asyncapi_document
from shared.contracts.deals import CompanyCreated
from shared.events import MalformedEvent, new_event, parse_event


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
