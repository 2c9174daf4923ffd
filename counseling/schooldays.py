"""A school's days and hours: which days are school days and which hours are school hours.

A school day is a weekday inside one of the district's terms (portal.Term) on which the school is not closed for
the whole day (counseling.Closure without a period). School hours run from the first class period's start to the
last one's end (08:00-17:00 when the school has entered no periods). A school with no term on record (or between
terms, in a holiday longer than a week) counts weekdays instead: a deadline in school days never waits out a
summer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Min
from django.utils import timezone

from counseling.models import Closure, Period
from portal.models import School, Term

DEFAULT_HOURS = (dt.time(8), dt.time(17))
HORIZON_DAYS = 120  # how far ahead a calendar is read: longer than any deadline in school days
HOLIDAY_FALLBACK_DAYS = 7  # a gap between terms longer than this counts weekdays


@dataclass(frozen=True)
class Calendar:
    school_id: int
    terms: tuple[tuple[dt.date, dt.date], ...]
    closed: frozenset[dt.date]
    hours: tuple[dt.time, dt.time]

    def in_term(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in self.terms)

    def is_school_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and (self.in_term(day) or not self.terms) and day not in self.closed

    def school_days_after(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same time of day on the `days`-th school day after `moment`'s date (a concern raised on Friday
        afternoon with one school day to go is due on Monday afternoon, or after the holiday)."""
        local = timezone.localtime(moment)
        day, counted, idle = local.date(), 0, 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_school_day(day):
                counted, idle = counted + 1, 0
            elif day.weekday() < 5 and day not in self.closed:
                idle += 1  # a weekday outside every term
                if idle > HOLIDAY_FALLBACK_DAYS or not self.terms:
                    counted += 1
        return local.replace(year=day.year, month=day.month, day=day.day)

    def in_school_hours(self, moment: dt.datetime) -> bool:
        local = timezone.localtime(moment)
        starts, ends = self.hours
        return self.is_school_day(local.date()) and starts <= local.time() < ends


def calendar(school: School, *, start: dt.date | None = None) -> Calendar:
    """The school's calendar from `start` (today) for HORIZON_DAYS. Three queries."""
    start = start or timezone.localdate()
    until = start + dt.timedelta(days=HORIZON_DAYS)
    terms = tuple(
        Term.objects.filter(school_year__district_id=school.district_id, end__gte=start, start__lte=until)
        .order_by("start")
        .values_list("start", "end")
    )
    closed = frozenset(
        Closure.objects.filter(school=school, period__isnull=True, date__gte=start, date__lte=until).values_list(
            "date", flat=True
        )
    )
    span = Period.objects.filter(school=school).aggregate(starts=Min("starts"), ends=Max("ends"))
    hours = (span["starts"], span["ends"]) if span["starts"] else DEFAULT_HOURS
    return Calendar(school.pk, terms, closed, hours)
