"""Posts as the pages show them: their Markdown rendered, who reads them named, reactions with
their signs; and what a card, a list and the composer need from the gateway itself."""

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.gateway.tables import User
from services.gateway.web.feed.markdown import render_post
from services.gateway.web.i18n import gettext as _
from services.gateway.web.knowledge.principals import Choice, labels, principal_choices
from shared.db import SessionFactory

REACTIONS = {"like": "👍", "love": "❤️", "celebrate": "🎉", "laugh": "😄", "wow": "😮"}
LISTS = ("#feed-posts", "#thread-posts")  # where a new post from a composer goes


def reaction_label(kind: str) -> str:
    labels = {
        "like": _("Like"),
        "love": _("Love"),
        "celebrate": _("Celebrate"),
        "laugh": _("Laugh"),
        "wow": _("Wow"),
    }
    return labels.get(kind, kind)


def kind_label(kind: str) -> str:
    labels = {
        "deal_won": _("Deal won"),
        "plan_approved": _("Plan approved"),
        "request_delivered": _("Request delivered"),
        "document_added": _("New document"),
    }
    return labels.get(kind, "")


def prepared(post: dict[str, Any]) -> dict[str, Any]:
    """The post with its text and its comments' texts rendered (mentions linked)."""
    mentions = {person["name"]: person["id"] for person in post["mentions"] if person["name"]}
    comments = [
        {**comment, "html": render_post(comment["text"], _named(comment["mentions"]))}
        for comment in post["comments"]
    ]
    return {**post, "html": render_post(post["text"], mentions), "comments": comments}


def _named(people: list[dict[str, Any]]) -> dict[str, Any]:
    return {person["name"]: person["id"] for person in people if person["name"]}


@dataclass(frozen=True)
class Setting:
    """What every card and composer of a page needs: the names of audiences, the choices."""

    choices: list[Choice]
    names: dict[str, str]

    def context(self, request: Request, user: User) -> dict[str, Any]:
        return {
            "choices": self.choices,
            "names": self.names,
            "reactions": REACTIONS,
            "reaction_label": reaction_label,
            "kind_label": kind_label,
            "me": str(user.id),
            "admin": user.role == "admin",
        }


async def setting(sessions: SessionFactory) -> Setting:
    choices = await principal_choices(sessions)
    return Setting(choices, labels(choices))
