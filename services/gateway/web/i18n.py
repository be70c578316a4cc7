"""Polish and English: message catalogues (gettext .po via Babel), and dates, numbers, money."""

import contextvars
import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel import dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("pl", "en")
DEFAULT_LOCALE = "pl"
_CATALOGUES = Path(__file__).parent / "locales"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar(
    "locale", default=DEFAULT_LOCALE
)
current_time_zone: contextvars.ContextVar[str] = contextvars.ContextVar(
    "time_zone", default="Europe/Warsaw"
)


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale`; English is the language of the source strings."""
    po = _CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalogue = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str) -> str:
    return translations(current_locale.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ungettext(singular, plural, n)


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
    pattern = "dd.MM.yyyy" if current_locale.get() == "pl" else "medium"
    return dates.format_date(value, format=pattern, locale=current_locale.get())


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_time_zone.get()))
    return f"{format_date(local)} {dates.format_time(local, format='short', locale=current_locale.get())}"


def format_money(amount: Decimal | int | float, currency: str = "PLN") -> str:
    """`1 234,50 zł` in Polish, `PLN 1,234.50` in English."""
    return numbers.format_currency(amount, currency, locale=current_locale.get())


def format_number(value: Decimal | int | float) -> str:
    return numbers.format_decimal(value, locale=current_locale.get())
