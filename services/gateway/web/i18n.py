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


def format_amount(value: Decimal | int | float | str) -> str:
    """An amount as typed in a form: `1 000,50` in Polish, `1,000.50` in English."""
    return numbers.format_decimal(
        Decimal(str(value)), format="#,##0.00", locale=current_locale.get()
    )


def read_amount(text: str, locale: str) -> str:
    """What a person typed as an amount, as the API takes it (`1000.50`): `1 000,50` or
    `1.000,5` in Polish, `1,000.50` in English, `1000.5` in either; anything else stays as typed,
    for the service to refuse."""
    compact = "".join(text.split())  # spaces, no-break spaces, thin spaces
    if "," in compact and "." in compact:  # the later one separates the decimals
        decimal = max(",", ".", key=compact.rfind)
    elif compact.count(",") + compact.count(".") == 1:
        mark = "," if "," in compact else "."
        whole, _, fraction = compact.partition(mark)
        groups_thousands = mark == {"pl": ".", "en": ","}.get(locale)
        decimal = "" if groups_thousands and whole and len(fraction) == 3 else mark
    else:  # no mark, or one mark repeated: it groups thousands
        decimal = ""
    for grouping in {",", "."} - {decimal}:
        compact = compact.replace(grouping, "")
    return compact.replace(decimal, ".") if decimal else compact
