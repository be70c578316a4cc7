"""Polish and English in pages: the language of a request, and dates, numbers, money per locale."""

import contextvars
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel import dates, numbers

from shared.i18n import DEFAULT_LOCALE, LOCALES, current_locale, gettext, ngettext, translations

__all__ = ["LOCALES", "current_locale", "gettext", "ngettext", "translations"]

current_time_zone: contextvars.ContextVar[str] = contextvars.ContextVar(
    "time_zone", default="Europe/Warsaw"
)


def negotiate(accept_language: str | None) -> str:
    """The best of our locales for a browser's Accept-Language header."""
    preferred = [part.split(";")[0].strip() for part in (accept_language or "").split(",")]
    best = BabelLocale.negotiate([tag for tag in preferred if tag], LOCALES, sep="-")
    return str(best) if best else DEFAULT_LOCALE


def format_date(value: date | datetime | None) -> str:
    """`27.11.2026` in Polish, `Nov 27, 2026` in English, in the user's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_time_zone.get())).date()
    return day_in(value, current_locale.get())


def day_in(value: date, locale: str) -> str:
    """A day as `locale` writes it: `27.11.2026` in Polish, `Nov 27, 2026` in English."""
    pattern = "dd.MM.yyyy" if locale == "pl" else "medium"
    return dates.format_date(value, format=pattern, locale=locale)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_time_zone.get()))
    return f"{format_date(local)} {dates.format_time(local, format='short', locale=current_locale.get())}"


def format_money(amount: Decimal | int | float | str, currency: str = "PLN") -> str:
    """`1 234,50 zł` in Polish, `PLN 1,234.50` in English (amounts from JSON come as strings)."""
    return numbers.format_currency(Decimal(str(amount)), currency, locale=current_locale.get())


def format_number(value: Decimal | int | float) -> str:
    return numbers.format_decimal(value, locale=current_locale.get())


def format_percent(value: Decimal | int | float | str) -> str:
    """`75%` from 75, as the locale writes percentages."""
    return numbers.format_percent(Decimal(str(value)) / 100, locale=current_locale.get())
