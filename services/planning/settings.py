"""Settings of the planning service (env prefix `PLANNING_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLANNING_")

    lock_reminder_days: int = Field(
        default=3,
        ge=0,
        le=31,
        description="remind managers with lines not submitted this many days before a period"
        " locks by its deadline; 0: never",
    )
    scheduler_interval: float = Field(
        default=60.0, gt=0, le=3600, description="seconds between looks for periods about to lock"
    )
