"""Pydantic's errors in the project's own words, so an import's reasons translate."""

from typing import Any

import pytest
from pydantic import ValidationError

from services.deals.domain.value_errors import MESSAGES, NOT_VALID, message_of
from services.deals.schemas import CompanyCreate, ContactCreate, DealImport
from shared.i18n import translate

COMPANY = "5b0f7f6e-6b1a-4a27-9f5f-2d3b1a0c9e11"
BAD_ROWS: list[tuple[type[Any], dict[str, Any]]] = [
    (DealImport, {}),
    (DealImport, {"title": "", "company_id": "x", "amount": "-1", "probability": "1.5"}),
    (DealImport, {"title": "x" * 201, "company_id": COMPANY, "amount": "1.234"}),
    (DealImport, {"title": "t", "company_id": COMPANY, "amount": "1" * 15, "currency": "zł"}),
    (DealImport, {"title": "t", "company_id": COMPANY, "amount": "abc", "probability": "101"}),
    (DealImport, {"title": "t", "company_id": COMPANY, "expected_close_date": "31/12/2099"}),
    (DealImport, {"title": "t", "company_id": COMPANY, "contact_ids": ["1"] * 51}),
    (DealImport, {"title": "t", "company_id": COMPANY, "nope": 1}),
    (CompanyCreate, {"name": "x", "tax_id": "123"}),
    (CompanyCreate, {"name": "x", "tax_id": "5260250275"}),
    (ContactCreate, {"name": "x", "email": "x@", "phone": "abc"}),
]


def errors() -> list[Any]:
    found: list[Any] = []
    for model, data in BAD_ROWS:
        with pytest.raises(ValidationError) as refused:
            model.model_validate(data)
        found += refused.value.errors()
    return found


def test_every_error_of_the_request_models_reads_as_our_own_message_in_polish() -> None:
    said = [message_of(error) for error in errors()]

    english = {error["msg"] for error in errors()}
    for message, values in said:
        polish = translate(message, "pl") % values if values else translate(message, "pl")
        assert polish != message and polish not in english, message
    assert NOT_VALID not in [message for message, _ in said]  # each one has a message of its own


def test_our_validators_own_words_pass_through_and_anything_unknown_is_generally_worded() -> None:
    nip = message_of({"type": "value_error", "ctx": {"error": ValueError("NIP is odd")}})
    unknown = message_of({"type": "model_type", "ctx": {"class_name": "X"}})
    email = message_of({"type": "value_error", "ctx": {"reason": "no @"}})

    assert nip == ("NIP is odd", {})
    assert unknown == (NOT_VALID, {"class_name": "X"})
    assert email[0] not in MESSAGES.values() and email[0] != NOT_VALID
