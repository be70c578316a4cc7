"""Rules of the feed: tags in a post's text, reactions, who may see a post on a record, and
what a post becomes when it is promoted to a document."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

REACTIONS = ("like", "love", "celebrate", "laugh", "wow")
AUTOMATIC_KINDS = ("deal_won", "plan_approved", "request_delivered", "document_added")
RECORD_KINDS = ("deal", "company", "contact")
MAX_TAGS = 30
MAX_TAG = 50

# A tag starts a word (after the start, a space or an opening bracket, so `/#anchor` in a link
# is none) and runs over letters, digits, `_` and `-`: `#umowa_ramowa`, `#Q4-2026`.
_TAG = re.compile(r"(?:^|(?<=[\s(\[]))#([^\W_][\w-]*)", re.UNICODE)


def tags_of(text: str) -> list[str]:
    """The `#tags` of a text, lower case, each once, in the order they first appear."""
    found: dict[str, None] = {}
    for match in _TAG.finditer(text):
        tag = match.group(1).rstrip("-").lower()[:MAX_TAG]
        if tag:
            found.setdefault(tag, None)
    return list(found)[:MAX_TAGS]


@dataclass(frozen=True)
class Viewer:
    """A person as a rule about records needs them: role, id, and the groups they lead."""

    user_id: str
    role: str
    led_teams: frozenset[str] = frozenset()  # a head's subtree


def sees_record(viewer: Viewer, kind: str, owner_id: str | None, owner_team: str | None) -> bool:
    """Whether a person may see a record: companies and contacts are everyone's in sales, a
    deal its owner's, their heads' and the administrator's; staff of other departments none."""
    if viewer.role == "admin":
        return True
    if viewer.role == "staff":
        return False
    if kind != "deal":
        return True
    if owner_id is not None and owner_id == viewer.user_id:
        return True
    return viewer.role == "head" and owner_team is not None and owner_team in viewer.led_teams


@dataclass(frozen=True)
class Said:
    """A comment, as a promoted document quotes it."""

    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Attached:
    """An attachment, as a promoted document links to it."""

    file_name: str
    url: str


@dataclass(frozen=True)
class Headings:
    """The words a promoted document's parts are named with, in the promoter's language."""

    comments: str
    attachments: str


def promoted_text(
    *,
    text: str,
    author: str,
    at: str,
    comments: Sequence[tuple[Said, str]],
    attachments: Iterable[Attached],
    headings: Headings,
) -> str:
    """The Markdown of a promoted post: its text, who wrote it when, its comments (each with
    its time as the reader writes it) and links to its attachments, now documents too."""
    parts = [text.strip(), "", f"*{author}, {at}*"]
    if comments:
        parts += ["", f"## {headings.comments}", ""]
        parts += [
            f"- **{said.author}** ({when}): {_one_line(said.text)}" for said, when in comments
        ]
    links = [f"- [{_label(a.file_name)}]({a.url})" for a in attachments]
    if links:
        parts += ["", f"## {headings.attachments}", "", *links]
    return "\n".join(parts) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _label(name: str) -> str:
    return name.replace("[", "(").replace("]", ")")


_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\]()#+!|>~<])")


def escaped(text: str) -> str:
    """Text put into a post's Markdown as it is (a title with `*` or `[` stays a title)."""
    return _MARKDOWN_SIGNS.sub(r"\\\1", text)
