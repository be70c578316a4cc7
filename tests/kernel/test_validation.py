"""Pydantic's complaints about a request reach the caller in the caller's language."""

from decimal import Decimal
from typing import Annotated, Literal

import httpx
from fastapi import FastAPI
from pydantic import Field

from shared.auth import Identity
from shared.schemas import Strict
from shared.testing.apps import TEST_SECRET, identity_headers
from shared.validation import by_field, install_validation_messages, message


class Offer(Strict):
    title: Annotated[str, Field(min_length=1, max_length=5)]
    amount: Decimal
    locale: Literal["pl", "en"] = "pl"


def offers() -> FastAPI:
    app = FastAPI()
    app.state.identity_secret = TEST_SECRET
    install_validation_messages(app)

    @app.post("/offers")
    async def create(offer: Offer) -> dict[str, str]:
        return {"title": offer.title}

    return app


async def post(body: object, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=offers())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/offers", json=body, headers=headers)


def speaker(locale: Literal["pl", "en"]) -> dict[str, str]:
    return identity_headers(Identity(user_id="u1", role="manager", locale=locale))


async def test_a_polish_caller_hears_what_is_wrong_in_polish_field_by_field() -> None:
    answer = await post({"title": "", "amount": "abc", "locale": "de"}, speaker("pl"))

    assert answer.status_code == 422
    said = {tuple(error["loc"]): error["msg"] for error in answer.json()["detail"]}
    assert said == {
        ("body", "title"): "Uzupełnij to pole.",
        ("body", "amount"): "Wpisz liczbę.",
        ("body", "locale"): "Wybierz jedno z: 'pl', 'en'.",
    }
    assert {error["type"] for error in answer.json()["detail"]} == {
        "string_too_short",
        "decimal_parsing",
        "literal_error",
    }


async def test_an_english_caller_hears_english_and_an_unknown_caller_the_browser_language() -> None:
    english = await post({"title": "far too long", "amount": "1"}, speaker("en"))
    anonymous = await post({"title": "ok", "amount": "x"}, {"Accept-Language": "pl-PL,pl;q=0.9"})
    stranger = await post({"title": "ok", "amount": "x"}, {})

    assert english.json()["detail"][0]["msg"] == "Use at most 5 characters."
    assert anonymous.json()["detail"][0]["msg"] == "Wpisz liczbę."
    assert stranger.json()["detail"][0]["msg"] == "Enter a number."


def test_a_forms_problems_are_named_by_field_and_an_unknown_type_keeps_its_message() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "name"), "msg": "Field required"},
        {"type": "value_error", "loc": ("email",), "msg": "value is not a valid email address: x"},
        {"type": "something_new", "loc": ("when",), "msg": "Something new is wrong"},
    ]

    assert by_field(errors, "pl") == {
        "name": "Uzupełnij to pole.",
        "email": "Wpisz poprawny adres e-mail.",
        "when": "Something new is wrong",
    }
    assert message({"type": "less_than_equal", "ctx": {"le": 100}}, "pl") == (
        "Wpisz liczbę nie większą niż 100."
    )


def test_a_blank_choice_asks_to_choose_and_an_endless_number_for_a_finite_one() -> None:
    blank = {"type": "uuid_parsing", "loc": ("body", "department_id"), "input": ""}
    wrong = {"type": "uuid_parsing", "loc": ("body", "department_id"), "input": "x"}

    assert message(blank, "en") == "Choose one." and message(blank, "pl") != "Choose one."
    assert message(wrong, "en") == "This is not a valid identifier."
    assert message({"type": "finite_number", "input": "NaN"}, "pl") == "Podaj skończoną liczbę."
