"""`If-None-Match`: a list of tags compared weakly, or `*` for any current representation."""

import pytest

from shared.conditional import none_match_hits


@pytest.mark.parametrize(
    ("header", "hits"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x" ,  W/"abc" ', True),
        ("*", True),
        ('"abcd"', False),
        ('"ab"', False),
        ('"x", "y"', False),
    ],
)
def test_a_header_names_the_current_tag_or_any(header: str | None, hits: bool) -> None:
    assert none_match_hits(header, '"abc"') is hits
