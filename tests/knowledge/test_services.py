"""The company-service catalogue: designed by the administrator, checked field by field,
versioned when its forms change, offered to those it names."""

from typing import Any

from services.knowledge.domain import forms
from services.knowledge.domain.forms import Field, read_values
from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire, add_group
from tests.knowledge.services_world import CREDIT_CHECK, World, world

__all__ = ["world"]


def test_values_are_read_by_type_with_ranges_and_patterns() -> None:
    fields = [
        Field("nip", "NIP", "text", required=True, pattern=r"\d{10}"),
        Field("weight", "Waga", "number", minimum="0.5", maximum="24"),
        Field("on", "Dnia", "date", minimum="2026-01-01"),
        Field("fragile", "Kruche", "boolean"),
        Field("kind", "Rodzaj", "select", options=("paleta", "kontener")),
    ]

    values, problems = read_values(
        fields,
        {
            "nip": "5260250274",
            "weight": "1,5",
            "on": "2026-12-24",
            "fragile": "true",
            "kind": "paleta",
        },
    )
    _, wrong = read_values(
        fields,
        {"nip": "526-025", "weight": "30", "on": "2025-12-24", "fragile": "tak", "kind": "x"},
    )

    assert problems == {}
    assert values == {
        "nip": "5260250274",
        "weight": "1.5",
        "on": "2026-12-24",
        "fragile": True,
        "kind": "paleta",
    }
    assert {key: p.message for key, p in wrong.items()} == {
        "nip": "the value does not have the expected form",
        "weight": "at most %(maximum)s",
        "on": "at least %(minimum)s",
        "fragile": "true or false expected",
        "kind": "one of the field's options expected",
    }


def test_a_design_names_each_wrong_attribute_by_position() -> None:
    problems = forms.design_problems(
        [
            Field("Bad Key", "", "select"),
            Field("amount", "Kwota", "money", minimum="10", maximum="5"),
            Field("amount", "Again", "text", pattern="(", prefill="deal.amount"),
        ]
    )

    assert sorted(problems) == [
        "0.key",
        "0.label",
        "0.options",
        "1.maximum",
        "2.key",
        "2.pattern",
    ]


async def test_the_administrator_publishes_a_service_and_a_form_change_is_a_new_version(
    world: World,
) -> None:
    service = world.service
    renamed = await world.knowledge.call(
        world.admin, "PATCH", f"/api/services/{service['id']}", json={"sla_hours": 16}
    )
    reshaped = await world.knowledge.call(
        world.admin,
        "PATCH",
        f"/api/services/{service['id']}",
        json={
            "outputs": [*CREDIT_CHECK["outputs"], {"key": "note", "label": "Uwagi", "type": "text"}]
        },
    )
    by_manager = await world.knowledge.call(
        world.manager, "PATCH", f"/api/services/{service['id']}", json={"sla_hours": 1}
    )

    assert service["version"] == 1 and service["department_name"].startswith("Finanse")
    assert [f["key"] for f in service["inputs"]] == ["company", "amount", "purpose"]
    assert renamed.json()["version"] == 1 and renamed.json()["sla_hours"] == 16
    assert reshaped.json()["version"] == 2
    assert by_manager.status_code == 403
    published = await world.knowledge.events("crm.service.published.v1")
    assert [event["version"] for event in published] == [1, 1, 2]


async def test_a_request_keeps_the_form_version_it_was_made_with(world: World) -> None:
    request = (await world.raise_credit_check()).json()
    await world.knowledge.call(
        world.admin,
        "PATCH",
        f"/api/services/{world.service['id']}",
        json={"outputs": [{"key": "ok", "label": "OK", "type": "boolean", "required": True}]},
    )
    await world.step(world.clerk, request["id"], "accept")

    delivered = await world.step(
        world.clerk, request["id"], "deliver", outputs={"decision": "rejected"}
    )

    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["service_version"] == 1


async def test_a_bad_design_is_refused_naming_the_field(world: World) -> None:
    body: dict[str, Any] = {
        **CREDIT_CHECK,
        "department_id": str(world.finance),
        "inputs": [{"key": "x", "label": "X", "type": "select"}],
    }
    refused = await world.knowledge.call(world.admin, "POST", "/api/services", json=body)
    nowhere = await world.knowledge.call(
        world.admin,
        "POST",
        "/api/services",
        json={**CREDIT_CHECK, "department_id": str(world.admin.user_id)},
    )

    assert refused.status_code == 422
    assert [p["loc"][-1] for p in refused.json()["detail"]] == ["inputs.0.options"]
    assert [p["loc"][-1] for p in nowhere.json()["detail"]] == ["department_id"]


async def test_only_those_the_service_names_may_request_it(
    world: World, hire: Hire, bus: InProcessBus
) -> None:
    other_group = await add_group(bus)
    outsider = await hire("manager", other_group)
    await world.knowledge.call(
        world.admin,
        "PATCH",
        f"/api/services/{world.service['id']}",
        json={"requesters": [f"user:{world.manager.user_id}"]},
    )

    listed = await world.knowledge.call(
        outsider, "GET", "/api/services", params={"requestable": "true"}
    )
    refused = await world.raise_credit_check(outsider)
    allowed = await world.raise_credit_check()

    assert listed.json()["items"] == []
    assert refused.status_code == 403
    assert allowed.status_code == 201
