"""Settings of the calendar service (env prefix `CALENDAR_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CalendarSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CALENDAR_")
