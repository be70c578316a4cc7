"""Settings of the deals service (env prefix `DEALS_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DealsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEALS_")
