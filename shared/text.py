"""Marking messages for translation where they are written; they are translated where shown."""


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Return `message` unchanged; `pybabel extract` collects it into the catalogues."""
    return message


# Polish letters and their plain twins: search matches "Łódź" typed as "lodz" and vice versa.
POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
PLAIN = "acelnoszzACELNOSZZ"
_PLAIN_LETTERS = str.maketrans(POLISH, PLAIN)


def fold(text: str) -> str:
    """`text` as search compares it: Polish letters plain, lower case (SQL: `db.folded`)."""
    return text.translate(_PLAIN_LETTERS).lower()
