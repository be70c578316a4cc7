"""How the services reach Kafka: plaintext, or TLS with SASL (SCRAM-SHA-512 by default).

Read from the settings every service has (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*`,
`KAFKA_SSL_CA_FILE`), or from the environment for the `crm` commands that talk to the broker.
"""

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

Protocol = Literal["PLAINTEXT", "SSL", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: Protocol = "PLAINTEXT"
    mechanism: Mechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # None: the system's trusted authorities

    def __post_init__(self) -> None:
        if self.protocol == "SASL_SSL" and not (self.username and self.password):
            raise ValueError("SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")

    @classmethod
    def of(cls, settings: Any) -> "KafkaSecurity":
        password = settings.kafka_sasl_password
        return cls(
            protocol=settings.kafka_security_protocol,
            mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password is not None else None,
            ca_file=settings.kafka_ssl_ca_file,
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "KafkaSecurity":
        return cls(
            protocol=environ.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT",  # type: ignore[arg-type]
            mechanism=environ.get("KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512",  # type: ignore[arg-type]
            username=environ.get("KAFKA_SASL_USERNAME") or None,
            password=environ.get("KAFKA_SASL_PASSWORD") or None,
            ca_file=environ.get("KAFKA_SSL_CA_FILE") or None,
        )

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the broker's certificate and host name (against `ca_file` if given)."""
        return ssl.create_default_context(cafile=self.ca_file) if self.uses_tls else None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's clients (producer, consumer, admin)."""
        if not self.uses_tls:
            return {}
        options: dict[str, Any] = {
            "security_protocol": self.protocol,
            "ssl_context": self.ssl_context(),
        }
        if self.protocol == "SASL_SSL":
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options

    def faststream(self) -> BaseSecurity | None:
        """The same for FastStream's KafkaBroker."""
        if not self.uses_tls:
            return None
        context = self.ssl_context()
        if self.protocol == "SSL":
            return BaseSecurity(ssl_context=context, use_ssl=True)
        kind = {
            "SCRAM-SHA-512": SASLScram512,
            "SCRAM-SHA-256": SASLScram256,
            "PLAIN": SASLPlaintext,
        }[self.mechanism]
        assert self.username and self.password
        return kind(self.username, self.password, ssl_context=context, use_ssl=True)
