"""Settings of the calendar service (env prefix `CALENDAR_`)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CalendarSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CALENDAR_")

    time_zone: str = Field(
        default="Europe/Warsaw", description="for users whose own time zone is not known yet"
    )
    scheduler_interval: float = Field(
        default=5.0, gt=0, le=30, description="seconds between looks for due reminders"
    )
    outcome_escalation_hours: float | None = Field(
        default=None,
        gt=0,
        description="tell the group's head when an outcome is still missing after this long",
    )
    public_url: str | None = Field(
        default=None,
        description="the address users reach the CRM at, for feed links (else taken from requests)",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone
