"""A recurrence rule (RFC 5545 RRULE) in words: "co tydzień w poniedziałek, do 31.03.2027"."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import dates

from services.gateway.web.i18n import day_in
from shared.i18n import translations
from shared.text import N_

DAYS = {
    "MO": N_("on Monday"),
    "TU": N_("on Tuesday"),
    "WE": N_("on Wednesday"),
    "TH": N_("on Thursday"),
    "FR": N_("on Friday"),
    "SA": N_("on Saturday"),
    "SU": N_("on Sunday"),
}
UNDERSTOOD = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"}


def rule_in_words(rule: str, *, locale: str, time_zone: str) -> str:
    """`rule` said in `locale`; its last day (UNTIL) is the day in `time_zone`.

    What the words cannot say (e.g. "the last Friday") is summed up as a rule of its own.
    """
    catalogue = translations(locale)
    _, ngettext = catalogue.ugettext, catalogue.ungettext
    parts = dict(part.partition("=")[::2] for part in rule.upper().split(";") if "=" in part)
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    words = [_every(parts.get("FREQ", ""), interval, locale)]
    own_rule = not set(parts) <= UNDERSTOOD
    when, understood = _which_days(parts, locale)
    own_rule = own_rule or not understood
    if when:
        words[0] += " " + when
    if own_rule:
        words.append(_("by a rule of its own"))
    if parts.get("COUNT", "").isdigit():
        count = int(parts["COUNT"])
        words.append(ngettext("%(num)d time", "%(num)d times", count) % {"num": count})
    if last := _last_day(parts.get("UNTIL", ""), time_zone):
        words.append(_("until %(date)s") % {"date": day_in(last, locale)})
    return ", ".join(words)


def _every(frequency: str, interval: int, locale: str) -> str:
    ngettext = translations(locale).ungettext
    if frequency == "DAILY":
        text = ngettext("every day", "every %(num)d days", interval)
    elif frequency == "WEEKLY":
        text = ngettext("every week", "every %(num)d weeks", interval)
    elif frequency == "MONTHLY":
        text = ngettext("every month", "every %(num)d months", interval)
    elif frequency == "YEARLY":
        text = ngettext("every year", "every %(num)d years", interval)
    else:
        return translations(locale).ugettext("repeats")
    return text % {"num": interval}


def _which_days(parts: dict[str, str], locale: str) -> tuple[str, bool]:
    """The days the rule names, in words, and whether the words say all of it."""
    _ = translations(locale).ugettext
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    month_days = [day for day in parts.get("BYMONTHDAY", "").split(",") if day]
    months = [month for month in parts.get("BYMONTH", "").split(",") if month]
    if days:
        named = [_(DAYS[day]) for day in days if day in DAYS]
        return _listed(named, locale), len(named) == len(days) and not month_days and not months
    if months and len(months) == 1 and len(month_days) == 1:
        on = _date_of(int(months[0]), month_days[0], locale)
        return (_("on %(date)s") % {"date": on}, True) if on else ("", False)
    if month_days and not months:
        plain = all(day.isdigit() for day in month_days)
        return _("on day %(days)s") % {"days": ", ".join(month_days)}, plain
    return "", not months


def _listed(items: list[str], locale: str) -> str:
    if len(items) < 2:
        return "".join(items)
    both = translations(locale).ugettext("%(first)s and %(last)s")
    return both % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _date_of(month: int, day: str, locale: str) -> str:
    """`15 March` (`15 marca`): a day of a month, in a leap year so 29 February is one."""
    try:
        return dates.format_date(date(2024, month, int(day)), "d MMMM", locale=locale)
    except ValueError:
        return ""


def _last_day(until: str, time_zone: str) -> date | None:
    """UNTIL as the day it is in `time_zone` (a UTC time, or a plain date)."""
    text = until.rstrip("Z")
    try:
        if "T" not in text:
            return datetime.strptime(text, "%Y%m%d").date()
        moment = datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment.astimezone(ZoneInfo(time_zone)).date()
