"""The message catalogues every service shares (gettext .po via Babel), and the current language.

English is the language of the source strings; `shared/locales/<locale>/LC_MESSAGES/messages.po`
holds each translation. Messages are marked with `_()` where shown, or `N_()` where written
(rules in `domain/`) and translated where shown.
"""

import contextvars
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("pl", "en")
DEFAULT_LOCALE = "pl"
CATALOGUES = Path(__file__).parent / "locales"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar(
    "locale", default=DEFAULT_LOCALE
)


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale` (compiled in memory on first use)."""
    po = CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
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


def translate(message: str, locale: str) -> str:
    """`message` in `locale`, whatever the current language is."""
    return translations(locale).ugettext(message)
