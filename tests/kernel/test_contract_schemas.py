"""Contracts cannot change under their consumers: every event version's JSON Schema is committed,
and a contract that no longer fits its committed schema fails here until it is a new version."""

from uuid import UUID

import pytest
from pydantic import Field

from shared import contract_schemas
from shared.contract_schemas import committed_schemas, current_schemas, schema_text
from shared.contracts.deals import CompanyCreated
from shared.events import REGISTRY, Contract


def test_every_event_version_has_its_schema_committed_as_the_code_makes_it() -> None:
    committed, current = committed_schemas(), current_schemas()

    assert set(committed) == set(REGISTRY), "run `crm events schemas`"
    stale = [
        type_ for type_ in current if schema_text(current[type_]) != schema_text(committed[type_])
    ]
    assert stale == [], "run `crm events schemas` (it refuses an incompatible change)"


def test_every_contract_is_compatible_with_its_committed_schema() -> None:
    assert contract_schemas.check() == {}


def _published_as(monkeypatch: pytest.MonkeyPatch, model: type[Contract]) -> list[str]:
    """What the compatibility check says if the code's `crm.company.created.v1` were `model`."""
    model.type, model.topic, model.source = (
        CompanyCreated.type,
        CompanyCreated.topic,
        CompanyCreated.source,
    )
    monkeypatch.setitem(REGISTRY, CompanyCreated.type, model)
    return contract_schemas.check().get(CompanyCreated.type, [])


def test_changing_a_required_field_without_a_new_version_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NameMayBeMissing(CompanyCreated):
        name: str | None = Field(default=None, description="the company's name")  # type: ignore[assignment]

    problems = _published_as(monkeypatch, NameMayBeMissing)

    assert problems[0] == "data.name: no longer required"
    assert "data.name[type]: was 'string', now None" in problems


def test_a_changed_type_or_a_new_required_field_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NameIsANumber(CompanyCreated):
        name: int = Field(description="the company's name")  # type: ignore[assignment]

    class NewRequiredField(CompanyCreated):
        region: str = Field(description="where it sells")

    assert _published_as(monkeypatch, NameIsANumber) == [
        "data.name[type]: was 'string', now 'integer'"
    ]
    assert _published_as(monkeypatch, NewRequiredField) == ["data.region: now required"]


def test_words_and_new_optional_fields_keep_a_version_compatible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Reworded(CompanyCreated):
        """Another summary."""

        company_id: UUID = Field(description="which company")
        name: str = Field(description="what it is called", examples=["Nowa"])
        website: str | None = Field(default=None, description="its site")

    assert _published_as(monkeypatch, Reworded) == []
