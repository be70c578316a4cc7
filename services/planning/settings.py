"""Settings of the planning service (env prefix `PLANNING_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLANNING_")
