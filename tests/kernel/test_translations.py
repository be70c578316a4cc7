"""Every string the pages show has its Polish translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

from shared import i18n

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("services/**.py", "python"),
    ("shared/**.py", "python"),
    ("services/gateway/web/**.html", "jinja2"),
]
# Words Polish spells as English does.
SAME_IN_POLISH = {"Administrator", "E-mail", "Status", "Link", "Import", "Plan", "Menu", "Folder"}


def test_every_visible_string_has_a_polish_translation() -> None:
    extracted = {
        message[2] if isinstance(message[2], str) else (message[2][0], message[2][1])
        for message in extract_from_dir(
            str(ROOT), METHODS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
        )
    }
    polish = i18n.translations("pl")

    def translated(message: str | tuple[str, str]) -> bool:
        # A plural is looked up as one: gettext() finds it only on Python 3.11.4 and later.
        if isinstance(message, str):
            return polish.gettext(message) != message
        return polish.ngettext(*message, 1) != message[0]

    missing = {m for m in extracted if not translated(m) and m not in SAME_IN_POLISH}

    assert len(extracted) > 40
    assert not missing, f"untranslated: {sorted(map(str, missing))}"
