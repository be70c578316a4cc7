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


def test_every_visible_string_has_a_polish_translation() -> None:
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            str(ROOT), METHODS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
        )
    }
    polish = i18n.translations("pl")

    missing = {
        m
        for m in extracted
        if polish.ugettext(m) == m
        and m not in {"Administrator", "E-mail", "Status", "Link", "Import", "Plan"}
    }

    assert len(extracted) > 40
    assert not missing, f"untranslated: {sorted(missing)}"
