"""Polish and English in pages: the language of a request, and dates, numbers, money per locale."""

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel import dates, numbers

from shared.i18n import DEFAULT_LOCALE, LOCALES, current_locale, gettext, ngettext, translations

__all__ = ["LOCALES", "current_locale", "gettext", "ngettext", "translations"]

current_time_zone: contextvars.ContextVar[str] = contextvars.ContextVar(
    "time_zone", default="Europe/Warsaw"
)


class Reader(Protocol):
    locale: str
    time_zone: str


@contextmanager
def speaking_to(user: Reader) -> Iterator[None]:
    """Messages and times in `user`'s language and time zone (a notice written for them)."""
    locale = current_locale.set(user.locale)
    zone = current_time_zone.set(user.time_zone)
    try:
        yield
    finally:
        current_locale.reset(locale)
        current_time_zone.reset(zone)


def negotiate(accept_language: str | None) -> str:
    """The best of our locales for a browser's Accept-Language header."""
    preferred = [part.split(";")[0].strip() for part in (accept_language or "").split(",")]
    best = BabelLocale.negotiate([tag for tag in preferred if tag], LOCALES, sep="-")
    return str(best) if best else DEFAULT_LOCALE


@cache
def babel_locale(locale: str) -> BabelLocale:
    """The Babel locale, parsed once (parsing it for every formatted value cost more than the
    formatting)."""
    return BabelLocale.parse(locale)


def format_date(value: date | datetime | None) -> str:
    """`27.11.2026` in Polish, `Nov 27, 2026` in English, in the user's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_time_zone.get())).date()
    return day_in(value, current_locale.get())


@lru_cache(maxsize=8192)
def day_in(value: date, locale: str) -> str:
    """A day as `locale` writes it: `27.11.2026` in Polish, `Nov 27, 2026` in English."""
    pattern = "dd.MM.yyyy" if locale == "pl" else "medium"
    return dates.format_date(value, format=pattern, locale=babel_locale(locale))


def format_day(value: str) -> str:
    """A day given as ISO text, as JSON has it (`2026-11-27`), as the reader writes it."""
    return _day_of(value, current_locale.get())


@lru_cache(maxsize=8192)
def _day_of(value: str, locale: str) -> str:
    return day_in(date.fromisoformat(value), locale)


@lru_cache(maxsize=4096)
def _time_in(hour: int, minute: int, locale: str) -> str:
    return dates.format_time(time(hour, minute), format="short", locale=babel_locale(locale))


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_time_zone.get()))
    locale = current_locale.get()
    return f"{day_in(local.date(), locale)} {_time_in(local.hour, local.minute, locale)}"


@dataclass(frozen=True)
class _MoneyStyle:
    """How a locale writes amounts of a currency, learnt from Babel once: `1 234,50 zł`."""

    prefix: str
    suffix: str
    group: str
    decimal: str
    digits: int

    def format(self, amount: Decimal) -> str:
        rounded = amount.quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_HALF_EVEN)
        text = f"{rounded:,.{self.digits}f}".translate({44: self.group, 46: self.decimal})
        return f"{self.prefix}{text}{self.suffix}"


_SAMPLES = ("0", "0.005", "0.015", "7.5", "999.995", "1234.5", "98765.4321", "1234567.891")


@cache
def _money_style(locale: str, currency: str) -> _MoneyStyle | None:
    """The style Babel writes `currency` in for `locale`, or None when it is not this simple
    one (then Babel formats each amount); checked against Babel on sample amounts."""
    sample = numbers.format_currency(Decimal("1234567.25"), currency, locale=babel_locale(locale))
    found = re.fullmatch(r"(\D*)1(?P<group>\D)234(?P=group)567(?:(\D)(\d+))?(\D*)", sample)
    if found is None:
        return None
    prefix, group, decimal, fraction, suffix = found.groups()
    style = _MoneyStyle(prefix, suffix, group, decimal or ".", len(fraction or ""))
    for text in _SAMPLES:
        expected = numbers.format_currency(Decimal(text), currency, locale=babel_locale(locale))
        if style.format(Decimal(text)) != expected:
            return None
    return style


def format_money(amount: Decimal | int | float | str, currency: str = "PLN") -> str:
    """`1 234,50 zł` in Polish, `PLN 1,234.50` in English (amounts from JSON come as strings)."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    locale = current_locale.get()
    style = _money_style(locale, currency) if value.is_finite() and value >= 0 else None
    if style is None:
        return numbers.format_currency(value, currency, locale=babel_locale(locale))
    return style.format(value)


def format_number(value: Decimal | int | float) -> str:
    return numbers.format_decimal(value, locale=babel_locale(current_locale.get()))


def format_percent(value: Decimal | int | float | str) -> str:
    """`75%` from 75, as the locale writes percentages."""
    return numbers.format_percent(
        Decimal(str(value)) / 100, locale=babel_locale(current_locale.get())
    )


def format_amount(value: Decimal | int | float | str) -> str:
    """An amount as typed in a form: `1 000,50` in Polish, `1,000.50` in English."""
    return numbers.format_decimal(
        Decimal(str(value)), format="#,##0.00", locale=babel_locale(current_locale.get())
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
