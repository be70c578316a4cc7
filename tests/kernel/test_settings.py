"""Settings stop the process with one line naming each wrong variable."""

import pytest

from services.deals.settings import DealsSettings
from services.gateway.settings import GatewaySettings
from shared.settings import DEVELOPMENT_SECRET, load_settings

SECRET = "a-secret-long-enough-1234-5678-abcd"


def test_a_missing_database_url_names_the_service_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DEALS_DATABASE_URL", raising=False)
    monkeypatch.setenv("CRM_IDENTITY_SECRET", SECRET)

    with pytest.raises(SystemExit) as stopped:
        load_settings(DealsSettings)

    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip() == "crm: DEALS_DATABASE_URL is missing"


def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgresql://db/gateway")
    monkeypatch.setenv("CRM_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("GATEWAY_SERVICE_TIMEOUT", "soon")

    with pytest.raises(SystemExit):
        load_settings(GatewaySettings)

    assert capsys.readouterr().err.startswith("crm: GATEWAY_SERVICE_TIMEOUT is invalid")


def test_the_development_secret_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEALS_DATABASE_URL", "postgresql://db/deals")
    monkeypatch.setenv("CRM_IDENTITY_SECRET", DEVELOPMENT_SECRET)

    with pytest.raises(SystemExit):
        load_settings(DealsSettings)

    assert "CRM_IDENTITY_SECRET must be changed" in capsys.readouterr().err


def test_settings_read_the_prefixed_and_the_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEALS_DATABASE_URL", "postgres://user:pw@db:5432/deals")
    monkeypatch.setenv("CRM_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")

    settings = load_settings(DealsSettings)

    assert settings.async_database_url == "postgresql+asyncpg://user:pw@db:5432/deals"
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert SECRET not in repr(settings)
