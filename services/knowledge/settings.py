"""Settings of the knowledge service (env prefix `KNOWLEDGE_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class KnowledgeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_")
