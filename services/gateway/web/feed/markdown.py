"""A post's light Markdown, rendered safely: emphasis, lists, quotes, code and links, never raw
HTML (it shows as text), headings or images; bare web addresses, `#tags` and the @mentions of
the people a post names become links."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_RENDERER = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["heading", "lheading", "image", "html_block", "html_inline", "hr"]
)
_ADDRESS = r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
_TAG = r"(?:(?<=^)|(?<=[\s(\[]))#[^\W_][\w-]*"


def _pattern(names: Mapping[str, str]) -> re.Pattern[str]:
    parts = [_ADDRESS, _TAG]
    if names:
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        parts.append(rf"@(?:{alternatives})(?!\w)")
    return re.compile("|".join(f"({part})" for part in parts))


def _link(href: str, text: str, css: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {"href": href, "class": css}
    if css == "address":
        opening.attrs["rel"] = "noopener noreferrer"
    inner = Token("text", "", 0)
    inner.content = text
    return [opening, inner, Token("link_close", "a", -1)]


def _split(token: Token, pattern: re.Pattern[str], names: Mapping[str, str]) -> list[Token]:
    found: list[Token] = []
    cursor = 0
    for match in pattern.finditer(token.content):
        if match.start() > cursor:
            plain = Token("text", "", 0)
            plain.content = token.content[cursor : match.start()]
            found.append(plain)
        word = match.group(0)
        if match.group(1):
            found += _link(word, word, "address")
        elif match.group(2):
            found += _link(f"/feed?tag={quote(word[1:].lower())}", word, "tag")
        else:
            found += _link(f"/feed?author_id={names[word[1:]]}", word, "mention")
        cursor = match.end()
    if cursor < len(token.content):
        rest = Token("text", "", 0)
        rest.content = token.content[cursor:]
        found.append(rest)
    return found


def _words(state: StateCore) -> None:
    """Addresses, tags and mentions in the text outside links become links themselves."""
    names: Mapping[str, str] = state.env.get("mentions", {})
    pattern = _pattern(names)
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for child in block.children:
            inside_link += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type == "text" and not inside_link:
                children += _split(child, pattern, names)
            else:
                if child.type == "link_open" and not str(child.attrGet("href") or "").startswith(
                    "/"
                ):
                    child.attrSet("rel", "noopener noreferrer")
                children.append(child)
        block.children = children


_RENDERER.core.ruler.after("inline", "feed_words", _words)


def render_post(text: str, mentions: Mapping[str, Any] | None = None) -> str:
    """The post's HTML; `mentions` maps each mentioned person's name to their id."""
    return str(_RENDERER.render(text, {"mentions": dict(mentions or {})}))
