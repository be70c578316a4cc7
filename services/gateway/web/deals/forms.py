"""Deals forms read into what the deals API takes, and its answers back into form problems."""

from typing import Any

from starlette.datastructures import FormData

CURRENCIES = ("PLN", "EUR", "USD", "GBP", "CHF", "CZK")


def text(form: FormData, name: str) -> str:
    return str(form.get(name) or "").strip()


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def custom_value(field: dict[str, Any], form: FormData) -> Any:
    """A custom field's input as its kind is stored: a checkbox is true or false, blank is none."""
    name = f"custom.{field['key']}"
    if field["type"] == "boolean":
        return form.get(name) == "true"
    return optional(form, name)


def custom_values(fields: list[dict[str, Any]], form: FormData) -> dict[str, Any]:
    """Every custom field shown in the form (a blank one clears the value)."""
    return {field["key"]: custom_value(field, form) for field in fields}


def company_body(form: FormData, *, owner: bool) -> dict[str, Any]:
    """The company's fields as its form gives them; the account manager when the form offers
    one (to a head or an administrator)."""
    address = {
        "street": optional(form, "street"),
        "postal_code": optional(form, "postal_code"),
        "city": optional(form, "city"),
        "country": text(form, "country").upper() or "PL",
    }
    body = {"name": text(form, "name"), "tax_id": optional(form, "tax_id"), "address": address}
    if owner and text(form, "owner_id"):
        body["owner_id"] = text(form, "owner_id")
    return body


def contact_body(form: FormData, *, owner: bool) -> dict[str, Any]:
    """The contact's fields as its form gives them; the account manager as `company_body`."""
    body = {
        "name": text(form, "name"),
        "company_id": optional(form, "company_id"),
        "position": optional(form, "position"),
        "phone": optional(form, "phone"),
        "email": optional(form, "email"),
    }
    if owner and text(form, "owner_id"):
        body["owner_id"] = text(form, "owner_id")
    return body


def deal_body(form: FormData, fields: list[dict[str, Any]], *, owner: bool) -> dict[str, Any]:
    """The deal's fields as the edit and the quick-add forms give them; every one is sent, so
    a field emptied in the form is cleared."""
    body: dict[str, Any] = {
        "title": text(form, "title"),
        "company_id": optional(form, "company_id"),
        "contact_ids": [str(value) for value in form.getlist("contact_ids") if value],
        "amount": optional(form, "amount"),
        "currency": text(form, "currency").upper() or "PLN",
        "expected_close_date": optional(form, "expected_close_date"),
        "source": optional(form, "source"),
        "custom": custom_values(fields, form),
    }
    if body["company_id"] is None:  # a deal always has one: the API names it if it is missing
        del body["company_id"]
    if text(form, "probability"):
        body["probability"] = text(form, "probability")
    if owner and text(form, "owner_id"):
        body["owner_id"] = text(form, "owner_id")
    return body


def with_document(body: dict[str, Any], form: FormData) -> dict[str, Any]:
    """The document typed with a new deal, when one was."""
    url = text(form, "document_url")
    if url:
        body["documents"] = [{"title": text(form, "document_title") or url, "url": url}]
    return body
