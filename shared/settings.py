"""Typed settings for every service, read from the environment, refusing to start on a bad value."""

import sys
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.postgres import async_url

DEVELOPMENT_SECRET = "development-only-secret-change-me!"


class ServiceSettings(BaseSettings):
    """What every service needs; a subclass sets the env prefix (`DEALS_`, `PLANNING_`, ...)."""

    model_config = SettingsConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, env_ignore_empty=True
    )

    database_url: str = Field(description="SQLAlchemy URL of the service's own PostgreSQL database")
    database_connections: int | None = Field(
        default=None,
        ge=6,
        validation_alias="CRM_DATABASE_CONNECTIONS",
        description="the most connections one process opens to PostgreSQL, every pool and "
        "listener included (default: 20 for a service on its own, 90 for the whole CRM in one "
        "process, shared by its five parts)",
    )
    database_wait_seconds: float = Field(
        default=3.0,
        gt=0,
        validation_alias="CRM_DATABASE_WAIT_SECONDS",
        description="how long a request waits for a free connection before it is answered 503",
    )
    idempotency_key_hours: float = Field(
        default=24.0,
        gt=0,
        validation_alias="CRM_IDEMPOTENCY_KEY_HOURS",
        description="how long a write's Idempotency-Key is kept: a repeat within it is answered "
        "as the first attempt was, after it the key is new again",
    )
    outbox_keep_days: float = Field(
        default=7.0,
        gt=0,
        validation_alias="CRM_OUTBOX_KEEP_DAYS",
        description="how long an event sent to Kafka stays in its service's outbox table (for "
        "looking into); unsent events stay until they are sent",
    )
    inbox_keep_days: float = Field(
        default=35.0,
        gt=28,
        validation_alias="CRM_INBOX_KEEP_DAYS",
        description="how long a consumer remembers that it applied an event, so that a repeat is "
        "dropped: longer than Kafka keeps any event (change topics 7 days, dead letters 28)",
    )
    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        description="Kafka brokers; unset means in-process delivery (embedded mode only)",
    )
    kafka_namespace: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]*$",
        validation_alias="KAFKA_NAMESPACE",
        description="a prefix of every topic and consumer group, for CRMs sharing a broker",
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        validation_alias="KAFKA_REPLICATION_FACTOR",
        description="the most copies of a topic the cluster keeps (the declaration asks 3)",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        validation_alias="KAFKA_SECURITY_PROTOCOL",
        description="PLAINTEXT, SSL (TLS) or SASL_SSL (TLS and a user name and password)",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias="KAFKA_SASL_PASSWORD"
    )
    kafka_ssl_ca_file: str | None = Field(
        default=None,
        validation_alias="KAFKA_SSL_CA_FILE",
        description="PEM of the authorities that sign the brokers' certificates (default: the "
        "system's)",
    )
    identity_secret: SecretStr = Field(
        validation_alias="CRM_IDENTITY_SECRET",
        min_length=32,
        description="HMAC key shared by the gateway and the services for identity tokens",
    )
    environment: Literal["development", "production"] = Field(
        default="production", validation_alias="CRM_ENVIRONMENT"
    )
    admin_locale: Literal["pl", "en"] = Field(
        default="pl",
        validation_alias="CRM_ADMIN_LOCALE",
        description="the first administrator's language: what a service names on its first "
        "start (the default pipeline, lost reasons, the company group) is named in it",
    )

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "ServiceSettings":
        secret = self.identity_secret.get_secret_value()
        if self.environment == "production" and secret == DEVELOPMENT_SECRET:
            raise ValueError("CRM_IDENTITY_SECRET must be changed outside development")
        return self

    @model_validator(mode="after")
    def _sasl_needs_a_user(self) -> "ServiceSettings":
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def async_database_url(self) -> str:
        return async_url(self.database_url)


S = TypeVar("S", bound=BaseSettings)


def env_name(settings_cls: type[BaseSettings], field: str) -> str:
    """The environment variable a field is read from."""
    info = settings_cls.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, str):
        return info.validation_alias
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def describe_error(settings_cls: type[BaseSettings], error: ValidationError) -> str:
    """One line per wrong setting, naming the environment variable."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = env_name(settings_cls, field) if field else "settings"
        reason = "is missing" if problem["type"] == "missing" else f"is invalid: {problem['msg']}"
        lines.append(f"crm: {name} {reason}")
    return "\n".join(lines)


def load_settings(settings_cls: type[S], **overrides: Any) -> S:
    """Read settings or stop the process with a line naming each variable that is wrong."""
    try:
        return settings_cls(**overrides)
    except ValidationError as error:
        print(describe_error(settings_cls, error), file=sys.stderr)
        raise SystemExit(2) from None
