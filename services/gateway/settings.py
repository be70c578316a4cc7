"""Settings of the gateway (env prefix `GATEWAY_`)."""

from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

BACKENDS = ("deals", "calendar", "planning", "knowledge")


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    deals_url: AnyHttpUrl | None = Field(default=None, description="e.g. http://deals:8000")
    calendar_url: AnyHttpUrl | None = None
    planning_url: AnyHttpUrl | None = None
    knowledge_url: AnyHttpUrl | None = None
    service_timeout: float = Field(default=10.0, gt=0, description="seconds per backend call")

    def backend_url(self, service: str) -> str | None:
        url = getattr(self, f"{service}_url")
        return str(url).rstrip("/") if url else None
