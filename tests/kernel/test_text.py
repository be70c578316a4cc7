"""Search text: a query of word beginnings, diacritics ignored, and the matched words marked."""

from shared.text import first_line, marked, matched_share, plain_words, prefix_query


def test_a_query_asks_for_every_word_by_its_beginning_without_diacritics() -> None:
    assert prefix_query("Łódzka  meb") == "lodzka:* & meb:*"
    assert prefix_query("o'reilly & (x)") == "o:* & reilly:* & x:*"
    assert prefix_query(" -- ") is None


def test_the_words_a_query_begins_are_marked_as_written() -> None:
    assert marked("Łódzka Fabryka Mebli", "lodz meb") == [
        ("Łódzka", True),
        (" Fabryka ", False),
        ("Mebli", True),
    ]
    assert marked("Stoły", "") == [("Stoły", False)]


def test_a_hits_score_is_the_share_of_its_name_the_words_matched() -> None:
    assert matched_share(marked("Łódź", "lodz")) == 1.0
    assert 0 < matched_share(marked("Łódzka Fabryka Mebli", "lodz")) < 0.5
    assert matched_share(marked("Stoły", "krzes")) == 0.0


def test_a_first_line_is_the_first_line_with_words_as_plain_words_cut_at_a_word() -> None:
    assert first_line("\n\n## **Nowe** zasady [rabatów](https://x.pl)\nreszta") == (
        "Nowe zasady rabatów"
    )
    assert first_line("słowo " * 40, limit=20) == "słowo słowo słowo…"
    assert first_line("  \n") == ""


def test_a_first_line_shows_a_links_text_and_an_escaped_sign_as_itself() -> None:
    won = r"Deal won: [Dostawa \[A\]](/deals/01a2) (Huta \(Łabędy\) \*S.A.\*), 5\. rata"

    assert first_line(won) == "Deal won: Dostawa [A] (Huta (Łabędy) *S.A.*), 5. rata"
    assert first_line("- punkt *pierwszy* i `kod`") == "punkt pierwszy i kod"
    assert first_line("1. [**pogrubiony** link](x) > cytat") == "pogrubiony link cytat"


def test_plain_words_keep_the_lines_of_a_text_without_its_markdown() -> None:
    assert plain_words("# Tytuł\n- [link](x) i **gruby**\n\n1\\. nie lista") == (
        "Tytuł\nlink i gruby\n\n1. nie lista"
    )
