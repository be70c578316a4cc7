"""A post's light Markdown is shown safely, and what it names becomes links."""

from services.gateway.web.feed.markdown import render_post


def test_raw_html_shows_as_text_and_headings_and_images_stay_plain() -> None:
    html = render_post(
        "<script>alert(1)</script>\n# Tytuł\n![x](https://x.pl/i.png)\n[a](javascript:alert(1))"
    )

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<h1>" not in html and "<img" not in html
    assert 'href="javascript:' not in html


def test_addresses_tags_and_mentions_become_links_but_not_inside_a_link() -> None:
    html = render_post(
        "Dla @Anna Nowak: #Rabat, zob. https://x.pl/a?b=1. i [#tu](https://y.pl) *ważne*",
        {"Anna Nowak": "0b6e"},
    )

    assert '<a href="/feed?author_id=0b6e" class="mention">@Anna Nowak</a>' in html
    assert '<a href="/feed?tag=rabat" class="tag">#Rabat</a>' in html
    assert '<a href="https://x.pl/a?b=1" class="address" rel="noopener noreferrer">' in html
    assert '<a href="https://y.pl" rel="noopener noreferrer">#tu</a>' in html
    assert "<em>ważne</em>" in html


def test_an_at_sign_before_a_name_nobody_mentioned_stays_text() -> None:
    assert "@Ewa" in render_post("Pytanie do @Ewa", {}) and "mention" not in render_post("@Ewa")
