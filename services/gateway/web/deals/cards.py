"""Cards of the board, rendered once for what they show.

A board shows hundreds of cards and is shown again after every move and refresh, mostly with
the same cards. A card's HTML depends only on the values it shows (and the reader's language,
time zone, whether its activity is overdue and whether its stage is open), so it is kept by
exactly those values: a card whose deal changed has other values and is rendered anew, and
an unchanged card costs a look-up instead of formatting and escaping a dozen fields.
"""

from datetime import datetime
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from services.gateway.web import i18n
from services.gateway.web.rendering import templates

CARDS_KEPT = 20_000


def card_html(deal: dict[str, Any], *, open_stage: bool, now: datetime) -> Markup:
    """One card (a deal of `GET /api/pipelines/{id}/board?brief=true`) as the board shows it."""
    activity = deal["next_activity"]
    starts = datetime.fromisoformat(activity["starts_at"]) if activity else None
    return _card(
        i18n.current_locale.get(),
        i18n.current_time_zone.get(),
        open_stage,
        starts is not None and starts < now,
        deal["id"],
        deal["title"],
        deal["company_name"],
        deal["amount"],
        deal["currency"],
        deal["expected_close_date"],
        deal["owner_name"],
        starts,
        activity["title"] if activity else None,
        bool(activity and activity["recurring"]),
    )


@lru_cache(maxsize=CARDS_KEPT)
def _card(
    locale: str,
    time_zone: str,
    open_stage: bool,
    overdue: bool,
    deal_id: str,
    title: str,
    company_name: str,
    amount: str | None,
    currency: str,
    expected_close_date: str | None,
    owner_name: str | None,
    starts: datetime | None,
    activity: str | None,
    recurring: bool,
) -> Markup:
    # The reader's language and time zone are the current ones (the caller's key says so).
    assert (locale, time_zone) == (i18n.current_locale.get(), i18n.current_time_zone.get())
    html = templates.get_template("deals/_card.html").render(
        open_stage=open_stage,
        overdue=overdue,
        id=deal_id,
        title=title,
        company_name=company_name,
        amount=amount,
        currency=currency,
        expected_close_date=expected_close_date,
        owner_name=owner_name,
        starts=starts,
        activity=activity,
        recurring=recurring,
    )
    return Markup(html)
