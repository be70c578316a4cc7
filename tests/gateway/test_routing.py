"""The gateway's routing table: which service owns which part of the public API."""

import pytest

from services.gateway.domain.routing import owner_of


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("companies", "deals"),
        ("companies/123", "deals"),
        ("deals/1/requirements", "deals"),
        ("activities", "calendar"),
        ("calendar/feed", "calendar"),
        ("plans/clients", "planning"),
        ("feed/posts", "knowledge"),
        ("requests", "knowledge"),
        ("nothing", None),
        ("", None),
    ],
)
def test_each_path_goes_to_its_owner(path: str, service: str | None) -> None:
    assert owner_of(path) == service
