"""Connections by budget: every process's pools and listeners together stay within it, so the
one-process CRM and a distributed deployment never pass the server's `max_connections`."""

import pytest

from services.catalog import SERVICES
from services.embedded import EMBEDDED_CONNECTIONS, create_embedded_app
from shared.db import ConnectionBudget
from shared.testing.apps import TEST_SECRET


@pytest.mark.parametrize("total", [6, 7, 10, 20, 33, 100])
@pytest.mark.parametrize(("listeners", "own_pools"), [(1, 0), (2, 0), (1, 1)])
def test_a_budget_is_spent_whole_and_never_more(total: int, listeners: int, own_pools: int) -> None:
    if total < listeners + 2 + 2 + own_pools:
        with pytest.raises(ValueError, match="too few"):
            ConnectionBudget.split(total, listeners=listeners, own_pools=own_pools)
        return
    budget = ConnectionBudget.split(total, listeners=listeners, own_pools=own_pools)

    spent = budget.listeners + budget.events + budget.sessions + budget.reads
    assert spent + budget.own * own_pools == total
    assert min(budget.sessions, budget.reads) >= 1 and budget.sessions >= budget.reads


@pytest.mark.parametrize("total", [None, 35, 90])
def test_the_one_process_crm_shares_its_budget_among_its_five_parts(
    monkeypatch: pytest.MonkeyPatch, total: int | None
) -> None:
    if total is not None:
        monkeypatch.setenv("CRM_DATABASE_CONNECTIONS", str(total))
    urls = {name: f"postgresql://crm@localhost/crm_{name}" for name in SERVICES}

    gateway = create_embedded_app(urls, identity_secret=TEST_SECRET)

    apps = [gateway, *gateway.state.embedded_apps.values()]
    assert sum(app.state.budget.total for app in apps) <= (total or EMBEDDED_CONNECTIONS)
    assert {app.state.budget.total for app in apps} == {(total or EMBEDDED_CONNECTIONS) // 5}
