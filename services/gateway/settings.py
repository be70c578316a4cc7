"""Settings of the gateway (env prefix `GATEWAY_`)."""

from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr
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
    admin_email: str | None = Field(
        default=None, validation_alias="CRM_ADMIN_EMAIL", description="the first administrator"
    )
    admin_password: SecretStr | None = Field(default=None, validation_alias="CRM_ADMIN_PASSWORD")
    admin_locale: Literal["pl", "en"] = Field(default="pl", validation_alias="CRM_ADMIN_LOCALE")
    secure_cookies: bool = Field(
        default=False, description="mark cookies Secure (set when served over https)"
    )

    def backend_url(self, service: str) -> str | None:
        url = getattr(self, f"{service}_url")
        return str(url).rstrip("/") if url else None
