"""Settings of the knowledge service (env prefix `KNOWLEDGE_`)."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class KnowledgeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_")

    storage: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="where file content lives: the service's own database, or an S3 bucket",
    )
    max_upload_mb: float = Field(default=50, gt=0, description="the largest file accepted, in MB")
    extraction_interval: float = Field(
        default=2.0, gt=0, le=60, description="seconds between looks for text to extract"
    )
    sla_interval: float = Field(
        default=60, gt=0, le=3600, description="seconds between looks for requests near their SLA"
    )
    s3_bucket: str | None = Field(default=None, description="the bucket (storage=s3)")
    s3_endpoint_url: str | None = Field(
        default=None, description="an S3-compatible server, e.g. http://minio:9000; unset: AWS"
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = Field(default="content/", description="key prefix of stored content")

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "KnowledgeSettings":
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("KNOWLEDGE_S3_BUCKET is needed when KNOWLEDGE_STORAGE is s3")
        return self

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
