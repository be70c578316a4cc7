"""Marking messages for translation where they are written; they are translated where shown."""


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Return `message` unchanged; `pybabel extract` collects it into the catalogues."""
    return message
