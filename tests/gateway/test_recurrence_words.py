"""A recurrence rule said in words, in Polish and in English."""

import pytest

from services.gateway.web.calendar.recurrence import rule_in_words

CASES = [
    (
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331T215959Z",
        "co tydzień w poniedziałek, do 31.03.2027",
        "every week on Monday, until Mar 31, 2027",
    ),
    ("FREQ=DAILY", "codziennie", "every day"),
    ("FREQ=DAILY;INTERVAL=2;COUNT=10", "co 2 dni, 10 razy", "every 2 days, 10 times"),
    ("FREQ=WEEKLY;INTERVAL=22", "co 22 tygodnie", "every 22 weeks"),
    ("FREQ=MONTHLY;INTERVAL=5;COUNT=1", "co 5 miesięcy, 1 raz", "every 5 months, 1 time"),
    (
        "FREQ=WEEKLY;BYDAY=TU,TH,SA",
        "co tydzień we wtorek, w czwartek i w sobotę",
        "every week on Tuesday, on Thursday and on Saturday",
    ),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "co miesiąc dnia 15", "every month on day 15"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15", "co rok 15 marca", "every year on 15 March"),
    (
        "FREQ=MONTHLY;BYDAY=-1FR",
        "co miesiąc, według własnej reguły",
        "every month, by a rule of its own",
    ),
    ("FREQ=YEARLY;UNTIL=20300101", "co rok, do 01.01.2030", "every year, until Jan 1, 2030"),
]


@pytest.mark.parametrize(("rule", "polish", "english"), CASES)
def test_a_rule_reads_as_words_in_both_languages(rule: str, polish: str, english: str) -> None:
    assert rule_in_words(rule, locale="pl", time_zone="Europe/Warsaw") == polish
    assert rule_in_words(rule, locale="en", time_zone="Europe/Warsaw") == english


def test_the_last_day_is_the_day_in_the_readers_time_zone() -> None:
    rule = "FREQ=DAILY;UNTIL=20270331T230000Z"  # 1 April already in Warsaw, not in New York

    assert rule_in_words(rule, locale="pl", time_zone="Europe/Warsaw").endswith("do 01.04.2027")
    assert rule_in_words(rule, locale="pl", time_zone="America/New_York").endswith("do 31.03.2027")
