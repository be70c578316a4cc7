"""Marking messages for translation where they are written; they are translated where shown."""

import re


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


def key_of(label: str) -> str:
    """A field's key from its label: `Kwota kredytu` -> `kwota_kredytu` (empty for none)."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_")
    return (key if key[:1].isalpha() else f"f_{key}")[:40] if key else ""


def prefix_query(text: str, *, most: int = 8) -> str | None:
    """`text` as a `tsquery` (simple configuration) matching records that have, for every word
    typed, a word starting with it, diacritics ignored: "kowal sp" -> "kowal:* & sp:*". None when
    nothing searchable was typed."""
    words = re.findall(r"\w+", fold(text))[:most]
    return " & ".join(f"{word}:*" for word in words) or None


def marked(text: str, query: str) -> list[tuple[str, bool]]:
    """`text` cut into pieces, each word that starts with a typed word (diacritics ignored)
    marked, for a search hit to show why it matched."""
    typed = re.findall(r"\w+", fold(query))
    pieces: list[tuple[str, bool]] = []
    for piece in re.split(r"(\w+)", text):
        if not piece:
            continue
        match = bool(typed) and any(fold(piece).startswith(word) for word in typed)
        if pieces and pieces[-1][1] == match:
            pieces[-1] = (pieces[-1][0] + piece, match)
        else:
            pieces.append((piece, match))
    return pieces


def matched_share(pieces: list[tuple[str, bool]]) -> float:
    """How much of a name the typed words matched (0-1), as `marked` cut it: a hit's score,
    cheap to compute for the few hits shown."""
    total = sum(len(text.strip()) for text, _ in pieces)
    matched = sum(len(text.strip()) for text, match in pieces if match)
    return round(matched / total, 3) if total else 0.0


# Light Markdown as plain words: an escaped sign is the sign itself, a link its text, the other
# signs of emphasis, code, quotes, headings and list items are dropped.
_MARKDOWN = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"  # any ASCII punctuation, as CommonMark has it
    r"|\[(?P<link>(?:\\.|[^\]\\])*)\]\([^)\s]*\)"
    r"|^\s*(?:[-+]|\d+\.)\s+"  # a list item's mark
    r"|[*_`>#\[\]]"
)


def _plain(text: str) -> str:
    def word(match: re.Match[str]) -> str:
        if match["escaped"] is not None:
            return match["escaped"]
        if match["link"] is not None:
            return _plain(match["link"])
        return " "

    return _MARKDOWN.sub(word, text)


# A table's rule under its header (`|---|:--:|`), or a rule across the page (`---`).
_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)*\s*:?-{3,}:?\s*\|?\s*$")


def _plain_line(line: str) -> str:
    if _RULE.match(line):
        return ""
    if line.lstrip().startswith("|"):  # a table's row: its cells' words
        line = line.replace("|", " ")
    return " ".join(_plain(line).split())


def plain_words(markdown: str) -> str:
    """A Markdown text as the words a reader sees (a snippet of it in search hits)."""
    return "\n".join(_plain_line(line) for line in markdown.splitlines())


def first_line(markdown: str, *, limit: int = 120) -> str:
    """The first line of a Markdown text with words in it, as plain words, cut at a word after
    `limit` characters: a post's title in lists, search hits and promoted documents."""
    for line in markdown.splitlines():
        if plain := _plain_line(line):
            if len(plain) <= limit:
                return plain
            cut = plain[:limit].rsplit(" ", 1)[0]
            return f"{cut}…"
    return ""
