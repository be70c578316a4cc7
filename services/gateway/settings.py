"""Settings of the gateway (env prefix `GATEWAY_`)."""

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
    desk_timeout: float = Field(
        default=3.0,
        gt=0,
        description="seconds a desk widget waits for its service before it shows a notice",
    )
    admin_email: str | None = Field(
        default=None, validation_alias="CRM_ADMIN_EMAIL", description="the first administrator"
    )
    admin_password: SecretStr | None = Field(default=None, validation_alias="CRM_ADMIN_PASSWORD")
    max_upload_mb: float = Field(
        default=50,
        gt=0,
        validation_alias="KNOWLEDGE_MAX_UPLOAD_MB",
        description="the largest document the gateway lets through (the knowledge service's own "
        "limit, read from the same variable)",
    )
    secure_cookies: bool = Field(
        default=False, description="mark cookies Secure (set when served over https)"
    )

    smtp_host: str | None = Field(
        default=None, description="send notifications by e-mail too through this SMTP server"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS")
    smtp_sender: str = Field(default="crm@localhost", description="the From address")

    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="hosts webhooks may reach although they are loopback, private or link-local "
        '(JSON list, e.g. ["hooks.internal"]); every other such address is refused',
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="seconds per delivery")
    webhook_first_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="the wait before a failed delivery's first retry; each "
        "next wait doubles, up to `webhook_longest_retry_seconds`",
    )
    webhook_longest_retry_seconds: float = Field(default=3600.0, gt=0)
    webhook_give_up_seconds: float = Field(
        default=86400.0,
        gt=0,
        description="a delivery failing this long after its event is given up, and its "
        "subscription disabled with a notice to the administrators",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often the delivery worker looks for due deliveries"
    )
    webhook_log_days: float = Field(
        default=30.0,
        gt=0,
        description="days the delivery log keeps a delivered or given-up delivery (with its "
        "attempts and the event's body) after its event; older ones are deleted",
    )

    def backend_url(self, service: str) -> str | None:
        url = getattr(self, f"{service}_url")
        return str(url).rstrip("/") if url else None
