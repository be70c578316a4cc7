"""Dates and amounts in words the feed writes itself (automatic posts, promoted documents), as
the CRM's pages write them: `27.11.2026 10:15`, `120 000,00 zł` in Polish."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates, numbers

from shared.i18n import translate

COMPANY_ZONE = ZoneInfo("Europe/Warsaw")


def day(value: date, locale: str) -> str:
    return dates.format_date(
        value, format="dd.MM.yyyy" if locale == "pl" else "medium", locale=locale
    )


def moment(value: datetime, locale: str) -> str:
    local = value.astimezone(COMPANY_ZONE)
    return f"{day(local.date(), locale)} {dates.format_time(local, format='short', locale=locale)}"


def money(amount: Decimal, currency: str, locale: str) -> str:
    return numbers.format_currency(amount, currency, locale=locale)


def said(message: str, locale: str, **values: object) -> str:
    """A catalogue message in `locale`, its `{placeholders}` filled."""
    return translate(message, locale).format(**values)
