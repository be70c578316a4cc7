"""The feed's pure rules: tags in a text, a title from a post, who sees a record, what a
promoted post reads like."""

from datetime import UTC, datetime

from services.knowledge.domain.posts import (
    Attached,
    Headings,
    Said,
    Viewer,
    escaped,
    promoted_text,
    sees_record,
    tags_of,
)


def test_tags_are_words_after_a_hash_each_once_in_lower_case_never_a_link_anchor() -> None:
    text = "#Rabat dla (#Łódź) i #rabat, #Q4-2026; zob. https://x.pl/#sekcja oraz a#b #_ #"

    assert tags_of(text) == ["rabat", "łódź", "q4-2026"]


def test_a_deal_is_seen_by_its_owner_their_head_and_the_administrator_a_company_by_sales() -> None:
    anna = Viewer("anna", "manager")
    head = Viewer("head", "head", frozenset({"north"}))
    clerk = Viewer("clerk", "staff")

    assert sees_record(anna, "deal", "anna", "north")
    assert not sees_record(anna, "deal", "piotr", "north")
    assert sees_record(head, "deal", "piotr", "north")
    assert not sees_record(head, "deal", "ewa", "south")
    assert sees_record(Viewer("root", "admin"), "deal", "ewa", "south")
    assert sees_record(anna, "company", None, None)
    assert not sees_record(clerk, "company", None, None)


def test_a_promoted_post_reads_its_text_author_comments_and_files() -> None:
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    text = promoted_text(
        text="Reklamacje tylko z fakturą",
        author="Anna Nowak",
        at="01.12.2026 10:00",
        comments=[(Said("Piotr", at, "Także\nkorekty"), "01.12.2026 10:05")],
        attachments=[Attached("Wzór [v2].pdf", "/knowledge/documents/1")],
        headings=Headings("Komentarze", "Załączniki"),
    )

    assert text == (
        "Reklamacje tylko z fakturą\n\n*Anna Nowak, 01.12.2026 10:00*\n\n## Komentarze\n\n"
        "- **Piotr** (01.12.2026 10:05): Także korekty\n\n## Załączniki\n\n"
        "- [Wzór (v2).pdf](/knowledge/documents/1)\n"
    )


def test_text_put_into_markdown_keeps_its_signs_as_written() -> None:
    assert escaped("Umowa *ramowa* [2026]") == "Umowa \\*ramowa\\* \\[2026\\]"
