"""Search text rules: folding, lemmas, the document's vector, the query, snippets."""

from hypothesis import example, given
from hypothesis import strategies as st

from services.knowledge import language
from services.knowledge.domain.access import groups_of, principals_of, subtree
from services.knowledge.domain.text import (
    PIECE,
    SNIPPET_SCAN,
    Field,
    anchor_bucket,
    anchor_buckets,
    document_vectors,
    fold,
    highlight,
    language_of,
    matcher,
    pieces,
    query_words,
    snippet,
    spellings,
    tsquery,
    word_anchors,
)
from services.knowledge.usecases.indexing import SUMMARY_TEXT, summary_text


def test_folding_drops_case_and_polish_diacritics() -> None:
    assert fold("Zażółć GĘŚLĄ jaźń, Łódź") == "zazolc gesla jazn, lodz"


@given(st.text())
def test_folding_keeps_every_character_where_it_was(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_inflected_forms_share_their_lemma() -> None:
    assert {"umowa"} <= language.lexemes("umowy") & language.lexemes("umową")
    assert language.lexemes("Łodzi") >= {"lodz"}
    assert language.lexemes("Kowalczykowski") == {"kowalczykowski"}  # unknown: itself, folded


def test_a_word_typed_without_diacritics_finds_its_lemma() -> None:
    assert "umowa" in language.query_lexemes("umowe")
    assert "lodz" in language.query_lexemes("lodzi")
    assert "umowę" in set(spellings("umowe"))
    assert list(spellings("umowę")) == []  # typed with diacritics: taken as typed


def test_a_word_of_many_diacritics_typed_without_them_finds_its_lemma() -> None:
    assert "wylacznosc" in language.query_lexemes("wylacznosc")  # wyłączność: four of them
    assert "wyłączność" in language.meanings("wylacznosc")
    assert "żółtość" in language.meanings("zoltosc")  # five
    assert "współczesność" in language.meanings("wspolczesnosc")  # five, in thirteen letters


def test_spellings_are_only_those_polish_writes() -> None:
    made = set(spellings("sila"))

    assert "siła" in made
    assert not {"śila", "śiła"} & made  # ś before a vowel is written si
    assert not any(spelled.startswith(("ą", "ę")) for spelled in spellings("eksport"))
    assert len(list(spellings("konstantynopolitanczykowianeczka", limit=100))) == 100


def test_a_documents_vector_weighs_the_title_above_the_text() -> None:
    vectors = document_vectors(
        [Field("Regulamin", "A"), Field("Regulamin i umowy", "D")], language.lexemes
    )

    assert "'regulamin':1A,10" in vectors.full
    assert "'umowa':12" in vectors.full
    assert "'i'" not in vectors.full  # a stopword


def test_anchors_say_where_in_the_text_each_lexeme_first_appears() -> None:
    text = "Umowy podpisano. Nowa umowa i cennik."

    vectors = document_vectors([Field("Cennik", "A"), Field(text, "D")], language.lexemes)

    assert vectors.anchors["umowa"] == 0  # "Umowy", by its lemma
    assert vectors.anchors["cennik"] == text.index("cennik")  # in the text, not the title
    assert "i" not in vectors.anchors  # a stopword
    assert word_anchors("Delivery and deliveries") == {"delivery": 0, "and": 9, "deliveries": 13}


def test_anchors_split_into_buckets_by_a_hash_every_process_agrees_on() -> None:
    anchors = {"umowa": 0, "łódź": 7, "cennik": 20, "klient": 31}

    split = anchor_buckets(anchors)

    assert {k: v for part in split.values() for k, v in part.items()} == anchors
    assert all(anchor_bucket(lexeme) == bucket for bucket, part in split.items() for lexeme in part)
    assert anchor_bucket("umowa") == 7  # md5("umowa") begins with 0xa7: 167 % 16


def test_a_text_in_pieces_is_the_text_again_and_each_piece_stays_small() -> None:
    text = "Zażółć gęślą jaźń. " * 200

    cut = pieces(text)

    assert "".join(cut) == text and pieces("") == []
    assert {len(piece) for piece in cut[:-1]} == {PIECE} and 0 < len(cut[-1]) <= PIECE


def test_a_summary_keeps_the_title_and_the_texts_commonest_words_only() -> None:
    text = " ".join(["cena"] * 30 + ["rabat"] * 20 + [f"słowo{n}" for n in range(100)])

    vectors = document_vectors([Field("Cennik", "A"), Field(text, "D")], language.lexemes)

    summary = vectors.summary.split()
    assert summary[0].startswith("'cennik':1A")
    assert summary[1].startswith("'cena':") and "'rabat'" in {x.split(":")[0] for x in summary[2:5]}
    assert len(summary) == 1 + 16 and summary[1].count(",") == 2  # 3 positions at most
    assert "'slowo99'" in vectors.full


def test_a_text_too_big_for_a_vector_keeps_its_weighted_and_commonest_words() -> None:
    blob = "x" * 5000  # a pasted run of letters, no word
    codes = " ".join(f"kod{n:07d}{'q' * 80}" for n in range(12_000))  # 1.1 MB of distinct words
    text = f"{blob} {codes} " + "umowa " * 3

    vectors = document_vectors([Field("Cennik", "A"), Field(text, "D")], language.lexemes)

    lexemes = [part.split(":")[0].strip("'") for part in vectors.full.split()]
    assert "x" * 5000 not in vectors.full
    assert lexemes[0] == "cennik" and "umowa" in lexemes
    assert sum(len(lexeme.encode()) for lexeme in lexemes) <= 1_000_000 < len(codes)


def test_every_query_word_must_match_through_any_of_its_lemmas() -> None:
    words = query_words("umowa z Łodzi", language.query_lexemes)

    assert [word.typed for word in words] == ["umowa", "Łodzi"]
    assert tsquery(words).startswith("('umowa'") and " & (" in tsquery(words)


def test_a_snippet_marks_the_matches_in_the_text_as_written() -> None:
    pattern = matcher(language.query_forms("umowa") | language.query_forms("lodz"))
    text = "Wstęp. " * 80 + "Każdą umowę zawartą w Łodzi podpisuje zarząd."

    found = snippet(text, pattern)

    assert found is not None
    assert [part for part, match in found.parts if match] == ["umowę", "Łodzi"]
    assert found.parts[0] == ("… ", False)
    assert [p for p, m in highlight("Umowy ramowe", pattern).parts if m] == ["Umowy"]


def test_a_snippet_of_a_long_text_comes_from_where_its_first_matches_are() -> None:
    pattern = matcher(language.query_forms("umowa"))
    late = "Wstęp bez słów szukanych. " * 400 + "Tu dopiero jest umowa i druga umowa."
    early = "Na początku umowa. " + late

    found_late, found_early = snippet(late, pattern), snippet(early, pattern)

    assert len(late) > 2 * SNIPPET_SCAN
    assert found_late is not None and [p for p, m in found_late.parts if m] == ["umowa"] * 2
    assert found_early is not None and [p for p, m in found_early.parts if m] == ["umowa"]


def test_a_snippet_shows_runs_of_white_space_as_one_space() -> None:
    pattern = matcher(language.query_forms("umowa"))

    spaced = snippet("Zobacz\n\n  umowa  i\tdalej", pattern)
    plain = snippet("Zobacz umowa i dalej", pattern)

    assert spaced is not None and plain is not None
    assert spaced.parts == (("Zobacz ", False), ("umowa", True), (" i dalej", False))
    assert plain.parts == spaced.parts


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["umowa", "Umowę", "umowami", "umowach", "zaumowa", "x", "Łódź"]),
            st.sampled_from([" ", "\n", ", ", ". ", "-", "ą"]),
        ),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=400),
)
@example([("umowami", " ")], 5)  # "umowa|mi": no part holds a match
@example([("zaumowa", " ")], 2)  # "za|umowa"
def test_matches_found_in_two_parts_are_those_of_the_whole_but_the_one_cut_in_two(
    words: list[tuple[str, str]], at: int
) -> None:
    pattern = matcher(language.query_forms("umowa"))
    assert pattern is not None
    text = "".join(word + gap for word, gap in words)
    cut = min(at, len(text))
    whole = [(start, end) for start, end in pattern.find(text) if not start < cut < end]

    assert pattern.find(text, 0, cut) + pattern.find(text, cut) == whole


def test_english_text_is_told_from_polish() -> None:
    assert language_of("The price list of the company is valid for this year and the next") == "en"
    assert (
        language_of("Cennik firmy jest ważny w tym roku i w następnym, oraz dla klientów") == "pl"
    )


def test_a_person_stands_for_their_groups_above_and_a_head_for_the_groups_below() -> None:
    parents = {"company": None, "north": "company", "north-east": "north"}

    assert groups_of(["north-east"], parents) == {"north-east", "north", "company"}
    assert subtree("north", parents) == {"north", "north-east"}
    assert principals_of(user_id="u", groups=["north"], department_id="legal") == [
        "everyone",
        "user:u",
        "team:north",
        "department:legal",
    ]


def test_an_english_summary_is_made_of_whole_words_only() -> None:
    text = "delivery " * 333 + "deliveries and more"  # the limit falls inside "deliveries"

    head = summary_text(text)

    assert len(head) <= SUMMARY_TEXT and text.startswith(head)
    assert head.split()[-1] == "delivery" and text[len(head)].isspace()
    assert summary_text("short text") == "short text"
    assert summary_text("x" * (SUMMARY_TEXT + 5)) == ""  # one endless word: nothing to keep
