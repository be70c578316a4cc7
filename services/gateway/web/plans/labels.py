"""How a plan period is named on pages and in notifications, in the reader's language."""

from datetime import date

from babel import dates

from services.gateway.web.i18n import current_locale, format_date
from services.gateway.web.i18n import gettext as _


def period_label(kind: str, start: date, end: date | None = None) -> str:
    """`December 2026`, `Week 49, 2026`, `Q4 2026`, `2026`, a day, or a custom range."""
    if kind == "day":
        weekday = dates.format_date(start, "EEE", locale=current_locale.get())
        return f"{weekday} {format_date(start)}"
    if kind == "week":
        week = start.isocalendar()
        return _("Week %(number)s, %(year)s") % {"number": week.week, "year": week.year}
    if kind == "month":
        return dates.format_date(start, "LLLL yyyy", locale=current_locale.get())
    if kind == "quarter":
        return _("Q%(number)s %(year)s") % {"number": (start.month + 2) // 3, "year": start.year}
    if kind == "year":
        return str(start.year)
    return f"{format_date(start)} – {format_date(end or start)}"
