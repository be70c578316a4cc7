"""Polish morphology from Morfeusz 2 (SGJP dictionary): the lemmas of a word and their forms.

One analyser and one generator per process, loaded on first use (well under a second); answers
are cached per word, so a document's common words cost a dictionary look-up. Calls into Morfeusz
hold a lock: indexing may run in worker threads.
"""

import threading
from functools import cache, lru_cache

import morfeusz2

from services.knowledge.domain.text import fold, spellings

_lock = threading.Lock()
_SKIPPED_TAGS = ("aglt", "interp")  # "-em" of "kupiłem", punctuation


@cache
def _analyser() -> morfeusz2.Morfeusz:
    return morfeusz2.Morfeusz(generate=False)


@cache
def _generator() -> morfeusz2.Morfeusz:
    return morfeusz2.Morfeusz(analyse=False)


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> frozenset[str]:
    """The dictionary's lemmas of `word` (with their homonym marks, `zamek:Sm3~a`); empty when
    the dictionary does not know it. Archaic readings count only when there is no other."""
    with _lock:
        readings = _analyser().analyse(word)
    current: set[str] = set()
    archaic: set[str] = set()
    for _start, _end, (_form, lemma, tag, _names, qualifiers) in readings:
        if tag == "ign" or tag.startswith(_SKIPPED_TAGS):
            continue
        (archaic if "daw." in qualifiers else current).add(lemma)
    return frozenset(current or archaic)


def _lexeme(lemma: str) -> str:
    return fold(lemma.split(":", 1)[0])


@lru_cache(maxsize=200_000)
def lexemes(word: str) -> frozenset[str]:
    """What a document's word is indexed under: its lemmas folded, or the word folded."""
    return frozenset(_lexeme(lemma) for lemma in lemmas(word)) or frozenset({fold(word)})


@lru_cache(maxsize=20_000)
def meanings(word: str) -> frozenset[str]:
    """The lemmas a query word may stand for, also when typed without diacritics."""
    found = set(lemmas(word))
    for spelled in spellings(word):
        found |= lemmas(spelled)
    return frozenset(found)


def query_lexemes(word: str) -> frozenset[str]:
    """What a query word finds: the lexemes of every lemma it may stand for, and itself."""
    return frozenset({fold(word), *(_lexeme(lemma) for lemma in meanings(word))})


@lru_cache(maxsize=20_000)
def forms(lemma: str) -> frozenset[str]:
    """Every inflected form of a lemma, as written (for marking matches in text)."""
    with _lock:
        generated = _generator().generate(lemma)
    return frozenset(form for form, *_rest in generated)


def query_forms(word: str) -> frozenset[str]:
    """Every form a query word matches in a text: its lemmas' forms, and itself (also folded,
    for text written without diacritics)."""
    found = {word, fold(word)}
    for lemma in meanings(word):
        found |= forms(lemma)
    return frozenset(found)
