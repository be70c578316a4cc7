"""Search text: folding, words, the lexemes of a document and of a query, snippets.

Polish words are indexed by their lemmas, so "umowa", "umowy" and "umową" meet. Lexemes are
folded (lower case, diacritics stripped, `ł` -> `l`) in the application, so "lodz" finds "Łódź"
on any PostgreSQL. A document's vector and a query are written here as `tsvector`/`tsquery`
literals, lexeme by lexeme, as PostgreSQL's `simple` configuration would over the lemmas.
"""

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from shared.text import POLISH, plain_words

Lemmatise = Callable[[str], frozenset[str]]
"""A word as written -> the folded lexemes to index it under (its lemmas, else itself)."""

WORD = re.compile(r"[^\W_]+")
MAX_POSITION = 16383  # PostgreSQL's largest word position in a tsvector
MAX_POSITIONS = 256  # positions PostgreSQL keeps per lexeme
# No word is this long: a longer run of letters (a code, a pasted blob) is not indexed, as
# PostgreSQL refuses a lexeme over 2,046 bytes.
MAX_WORD = 100
# PostgreSQL keeps at most 1 MiB of lexemes in a tsvector: a text of more distinct words keeps
# its title's, tags' and description's and then its commonest ones.
MAX_LEXEME_BYTES = 1_000_000
ENGLISH_HINTS = frozenset(
    ["the", "and", "of", "to", "is", "for", "with", "this", "that", "are", "be", "from"]
)
POLISH_HINTS = frozenset(
    [
        "i",
        "w",
        "z",
        "na",
        "do",
        "nie",
        "się",
        "jest",
        "że",
        "oraz",
        "dla",
        "od",
        "przez",
        "jak",
        "po",
    ]
)


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {ord("ł"): "l", ord("Ł"): "l", ord("đ"): "d", ord("ø"): "o"}
    for code in range(0x00C0, 0x0250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if code not in table and base.isascii() and base.isalpha() and base != chr(code):
            table[code] = base.lower()
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without diacritics, character for character (offsets stay the same)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare letter whose lower case is longer
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_FOLD)


# Short words that say nothing about a document: left out of vectors and queries.
_STOPWORDS = (
    "a aby ale albo bo by być czy dla do i ich ja jak jako je jego jej jest już ku lub na nad "
    "nie niż o od oraz po pod przez przy się są ta tak te ten to tu tym w we z za ze że "
    "the and of to in is for on with by as at an be or are this that from"
)
STOPWORDS = frozenset(fold(word) for word in _STOPWORDS.split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


def language_of(text: str) -> str:
    """`en` when the text reads as English, else `pl` (judged by its commonest short words)."""
    sample = [word.lower() for word in words(text[:20000])]
    english = sum(word in ENGLISH_HINTS for word in sample)
    polish = sum(word in POLISH_HINTS for word in sample)
    return "en" if english > max(polish, 3) else "pl"


@dataclass(frozen=True)
class Field:
    """One part of a document to index, with its weight (A title and tags, B description,
    D the content)."""

    text: str
    weight: str


SUMMARY_LEXEMES = 16  # the text's commonest lexemes a summary keeps
SUMMARY_POSITIONS = 3  # positions kept per lexeme in a summary


@dataclass(frozen=True)
class Vectors:
    """A document's `tsvector` literals: `full` finds it (every lexeme of every field), `summary`
    ranks it (the title, tags and description whole, and the text's commonest lexemes): small
    enough to stay in the row, so ranking thousands of matches reads no large value. `anchors`:
    where in the text (the weight-D field) each lexeme first appears, in characters, so that a
    hit's snippet is cut from around its first match without reading the text for it."""

    full: str
    summary: str
    anchors: dict[str, int]


def document_vectors(fields: Sequence[Field], lemmatise: Lemmatise) -> Vectors:
    """Both vectors of a document, from its fields in order (positions run on across fields)."""
    positions: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    weighted: set[str] = set()
    anchors: dict[str, int] = {}
    position = 0
    for field in fields:
        suffix = "" if field.weight == "D" else field.weight
        for match in WORD.finditer(field.text):
            word = match.group()
            position = min(position + 1, MAX_POSITION)
            if len(word) > MAX_WORD:
                continue
            for lexeme in lemmatise(word):
                if lexeme in STOPWORDS:
                    continue
                found = positions.setdefault(lexeme, [])
                counts[lexeme] = counts.get(lexeme, 0) + 1
                if suffix:
                    weighted.add(lexeme)
                elif lexeme not in anchors:
                    anchors[lexeme] = match.start()
                if len(found) < MAX_POSITIONS:
                    found.append(f"{position}{suffix}")
        position = min(position + 8, MAX_POSITION)  # fields never make phrases together
    common = sorted(set(counts) - weighted, key=lambda lexeme: (-counts[lexeme], lexeme))
    summary = {
        lexeme: positions[lexeme] for lexeme in (*sorted(weighted), *common[:SUMMARY_LEXEMES])
    }
    full = _within_budget(positions, [*sorted(weighted), *common])
    return Vectors(_literal(full, MAX_POSITIONS), _literal(summary, SUMMARY_POSITIONS), anchors)


ANCHOR_BUCKETS = 16  # a text's anchors in this many small rows, by a hash of the lexeme


def anchor_bucket(lexeme: str) -> int:
    """The row of a text's anchors that holds `lexeme`'s (the same in every process)."""
    return hashlib.md5(lexeme.encode(), usedforsecurity=False).digest()[0] % ANCHOR_BUCKETS


def anchor_buckets(anchors: dict[str, int]) -> dict[int, dict[str, int]]:
    """`anchors` split into their buckets."""
    split: dict[int, dict[str, int]] = {}
    for lexeme, offset in anchors.items():
        split.setdefault(anchor_bucket(lexeme), {})[lexeme] = offset
    return split


PIECE = 1024  # characters of a text a piece holds (small enough to stay in its row)


def pieces(text: str) -> list[str]:
    """`text` in pieces of `PIECE` characters (the last one shorter)."""
    return [text[start : start + PIECE] for start in range(0, len(text), PIECE)]


def word_anchors(text: str) -> dict[str, int]:
    """Where each word (folded) first appears in `text`: the anchors of a text whose lexemes
    PostgreSQL makes (English), for the query's words as typed."""
    anchors: dict[str, int] = {}
    for match in WORD.finditer(text):
        anchors.setdefault(fold(match.group()), match.start())
    return anchors


def _within_budget(positions: dict[str, list[str]], by_worth: list[str]) -> dict[str, list[str]]:
    """`positions` whole, or only as many of its lexemes, the worthiest first, as a tsvector
    holds (in the order they came)."""
    size = sum(len(lexeme.encode()) for lexeme in positions)
    if size <= MAX_LEXEME_BYTES:
        return positions
    kept: set[str] = set()
    size = 0
    for lexeme in by_worth:
        size += len(lexeme.encode())
        if size > MAX_LEXEME_BYTES:
            break
        kept.add(lexeme)
    return {lexeme: at for lexeme, at in positions.items() if lexeme in kept}


def _literal(positions: dict[str, list[str]], most: int) -> str:
    return " ".join(f"{_quoted(lexeme)}:{','.join(at[:most])}" for lexeme, at in positions.items())


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class QueryWord:
    """A word of a query: as typed, and every lexeme it may stand for in a document."""

    typed: str
    lexemes: frozenset[str]


def query_words(query: str, lexemes_of: Callable[[str], frozenset[str]]) -> list[QueryWord]:
    """The words of a query that can find something (stopwords left out)."""
    found = []
    for word in words(query)[:20]:
        lexemes = frozenset(x for x in lexemes_of(word) if x not in STOPWORDS)
        if lexemes:
            found.append(QueryWord(word, lexemes))
    return found


def tsquery(query: Sequence[QueryWord]) -> str:
    """Every word must match, through any of its lexemes: `('umowa' | 'umowy') & 'handlowy'`."""
    return " & ".join(
        "(" + " | ".join(_quoted(lexeme) for lexeme in sorted(word.lexemes)) + ")" for word in query
    )


# Letters a Polish word typed without diacritics may have meant, and what they stand for.
_MAY_HAVE_MEANT = {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "źż"}
_POLISH_DIACRITICS = frozenset(POLISH.lower())
# Polish spelling writes ć, ś, ź, ń before a vowel as ci, si, zi, ni, and starts no word with ą or ę.
_NOT_BEFORE_A_VOWEL = frozenset("ćśźń")
_VOWELS = frozenset("aąeęioóuy")
_NOT_FIRST = frozenset("ąę")


def spellings(word: str, *, limit: int = 512) -> Iterator[str]:
    """The ways `word`, typed without diacritics, may be written with them, fewest first (none
    when it has some already); at most `limit` spellings. Only spellings Polish allows are made,
    which leaves room within the limit for words of four or five diacritics (wyłączność)."""
    lowered = word.lower()
    if _POLISH_DIACRITICS & set(lowered):
        return
    options = {i: letters for i in range(len(lowered)) if (letters := _meant(lowered, i))}
    made = 0
    for count in range(1, len(options) + 1):
        for chosen in combinations(options, count):
            for meant in product(*(options[i] for i in chosen)):
                spelled = list(lowered)
                for i, letter in zip(chosen, meant, strict=True):
                    spelled[i] = letter
                yield "".join(spelled)
                made += 1
                if made >= limit:
                    return


def _meant(word: str, at: int) -> str:
    """The letters with diacritics `word[at]` may stand for, where Polish spelling allows them."""
    following = word[at + 1 : at + 2]
    return "".join(
        letter
        for letter in _MAY_HAVE_MEANT.get(word[at], "")
        if not (letter in _NOT_BEFORE_A_VOWEL and following in _VOWELS)
        and not (letter in _NOT_FIRST and at == 0)
    )


@dataclass(frozen=True)
class Snippet:
    """A piece of text with the matched words marked: (text, matched) pairs in order."""

    parts: tuple[tuple[str, bool], ...]


def _lower(text: str) -> str:
    """Lower case, character for character."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered


class Matcher:
    """Finds any of a set of word forms as whole words in a text, whatever their case.

    One pass of a pattern for the words starting as some form starts (forms of one lemma
    share their first letters, so there are few such starts), then a set look-up per word
    found: about a quarter of a millisecond for 2,000 words.
    """

    def __init__(self, forms: Iterable[str]) -> None:
        self.forms = frozenset(_lower(form) for form in forms if WORD.fullmatch(form))
        starts = sorted({form[:3] for form in self.forms}, key=len, reverse=True)
        # No look-behind for the word's start: it would cost the scan its fast skipping to
        # the letters a form may start with (3 x slower); the start is checked below instead.
        self._words = re.compile("(?:" + "|".join(map(re.escape, starts)) + r")[^\W_]*")

    def find(self, text: str, begin: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of each match in `text[begin:end]`, in order (only that part of the
        text is looked at, and the letter before it)."""
        stop = len(text) if end is None else min(end, len(text))
        before = max(0, begin - 1)
        # The part, the letter before it and the one after it (a word cut at either edge is
        # not a match), lowered character for character: offsets stay.
        lowered = _lower(text[before : stop + 1])
        found = []
        for match in self._words.finditer(lowered, begin - before, stop - before):
            if match.group() not in self.forms:
                continue
            start, end = match.span()
            if (start + before == 0 or not lowered[start - 1].isalnum()) and (
                end == len(lowered) or not lowered[end].isalnum()
            ):
                found.append((start + before, end + before))
        return found


def matcher(forms: Iterable[str]) -> Matcher | None:
    """A matcher of the word forms; None when there are none."""
    found = Matcher(forms)
    return found if found.forms else None


def highlight(text: str, pattern: Matcher | None) -> Snippet:
    """The whole of a short text (a title) with its matches marked."""
    return _marked(text, pattern.find(text) if pattern else [], 0, len(text))


# A snippet is looked for in the first characters of a text first (long texts are long to
# scan), and in the rest only when they hold no match.
SNIPPET_SCAN = 4000


def snippet(text: str, pattern: Matcher | None, width: int = 240) -> Snippet | None:
    """The part of `text` around its densest cluster of matches in the first part of it that
    has any (`SNIPPET_SCAN`), matches marked; None when nothing matches."""
    if pattern is None:
        return None
    cut = len(text) if len(text) <= SNIPPET_SCAN else _space_before(text, SNIPPET_SCAN)
    matches = pattern.find(text, 0, cut) or (pattern.find(text, cut) if cut < len(text) else [])
    starts = [start for start, _ in matches]
    if not starts:
        return None
    best, most, last, span, count = starts[0], 0, 0, width * 2 // 3, len(starts)
    for first, start in enumerate(starts):  # a window of 2/3 of the width, slid over the matches
        while last < count and starts[last] - start < span:
            last += 1
        if last - first > most:
            best, most = start, last - first
    begin = max(0, best - width // 4)
    furthest = max(0, best - width // 2)
    while begin > furthest and not text[begin - 1].isspace():
        begin -= 1
    end = min(len(text), begin + width)
    longest = min(len(text), begin + width + 30)
    while end < longest and not text[end].isspace():
        end += 1
    inside = [(start, stop) for start, stop in matches if start >= begin and stop <= end]
    return _marked(text, inside, begin, end)


def window_snippet(
    piece: str, cut_before: bool, cut_after: bool, pattern: Matcher | None, markdown: bool
) -> Snippet:
    """A snippet out of a window of a text: the words cut by the window's edges left out,
    and the window's edges marked as the text's when the text goes on beyond them."""
    if cut_before:
        piece = piece[_space_after(piece) :]
    if cut_after:
        piece = piece[: _space_before_end(piece)]
    words = plain_words(piece) if markdown else piece
    # Where the word stands, even when none of the forms marked is the one written there (a
    # lemma Morfeusz reads into a form it would not generate).
    found = snippet(words, pattern) or lead(words)
    parts = list(found.parts)
    if cut_before and parts[0] != ("… ", False):
        parts.insert(0, ("… ", False))
    if cut_after and parts[-1] != (" …", False):
        parts.append((" …", False))
    return Snippet(tuple(parts))


def _space_after(piece: str) -> int:
    for at, letter in enumerate(piece):
        if letter.isspace():
            return at + 1
    return 0


def _space_before_end(piece: str) -> int:
    for at in range(len(piece) - 1, -1, -1):
        if piece[at].isspace():
            return at
    return len(piece)


def _space_before(text: str, at: int) -> int:
    """A place near `at` between two words (a word is never cut in two by it)."""
    place = at
    while place > at // 2 and not text[place - 1].isspace():
        place -= 1
    return place if place > at // 2 else at


def lead(text: str, width: int = 240) -> Snippet:
    """The beginning of a text, when the match lies elsewhere (tags, a stemmed English word)."""
    return _marked(text, [], 0, min(len(text), width))


def _marked(text: str, matches: list[tuple[int, int]], begin: int, end: int) -> Snippet:
    parts: list[tuple[str, bool]] = []
    if begin > 0:
        parts.append(("… ", False))
    # Most texts have no odd spaces to change: asked once for the whole part, not per fragment.
    plain = _plain if _ODD_SPACES.search(text, begin, end) else str
    cursor = begin
    for start, stop in matches:
        if start > cursor:
            parts.append((plain(text[cursor:start]), False))
        parts.append((text[start:stop], True))
        cursor = stop
    if cursor < end:
        parts.append((plain(text[cursor:end]), False))
    if end < len(text):
        parts.append((" …", False))
    return Snippet(tuple(parts))


_SPACES = re.compile(r"\s+")
_ODD_SPACES = re.compile(r"\s\s|[^\S ]")  # two in a row, or one that is not a space


def _plain(text: str) -> str:
    """Runs of white space as one space (most fragments have none to change)."""
    return _SPACES.sub(" ", text) if _ODD_SPACES.search(text) else text
