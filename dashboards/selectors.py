"""What the dashboard shows: rollups read in a constant number of queries, suppressed before display."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet, Sum
from django.utils import timezone

from dashboards.models import GROUPS, SchoolRollup, ScreeningCell
from dashboards.suppression import MIN_CELL, Cell, column_totals, suppress, total
from portal import access
from portal.access import AnyUser
from portal.models import School, SchoolYear

TIERS = ("tier1", "tier2", "tier3")
AWAITING = ("general", "severe", "major")


def visible_schools(user: AnyUser) -> QuerySet[School]:
    """Officials: their district's schools. School leaders and counselors: their own school."""
    return access.staffing_schools(user)


@dataclass
class SchoolRow:
    school: School
    rollup: SchoolRollup | None
    invited: Cell
    completed: Cell
    coverage: str  # percent, or "" when a count behind it is suppressed
    tiers: list[Cell]
    positive_percent: float | None
    open_cases: list[Cell]
    bookings: Cell
    no_shows: Cell
    overdue: Cell
    ack_percent: str  # of guardian notices acknowledged, or "" when few
    awaiting: list[Cell]  # cases awaiting their first assessment: 一般, 严重, 重大
    awaiting_overdue: Cell
    awaiting_since: dt.datetime | None  # the oldest's opening, shown only when the row's count is not small

    # None while the school has no figures yet (added since the last refresh): shown as "—", never as a ✗ that
    # the summary, which counts only figures it has, would not count.
    @property
    def drilled(self) -> bool | None:
        return self.rollup.drilled_this_term if self.rollup else None

    @property
    def room_standard(self) -> bool | None:
        return self.rollup.rooms_meet_standard if self.rollup else None


@dataclass
class Dashboard:
    year: SchoolYear | None
    years: list[SchoolYear]
    rows: list[SchoolRow]
    totals: dict[str, Cell]
    tier_totals: list[Cell]
    last_year_tiers: list[Cell]
    groups: list[tuple[str, list[Cell]]]
    schools_without_drill: int = 0
    schools_below_room_standard: int = 0
    schools_without_full_time: int = 0
    full_time: int = 0
    part_time: int = 0
    person_times: int = 0
    notices: Cell = field(default_factory=lambda: Cell(0, True))
    acknowledged: Cell = field(default_factory=lambda: Cell(0, True))
    overdue: Cell = field(default_factory=lambda: Cell(0, True))
    awaiting: list[Cell] = field(default_factory=list)
    awaiting_overdue: Cell = field(default_factory=lambda: Cell(0, True))
    awaiting_since: dt.datetime | None = None
    as_of: dt.datetime | None = None  # when the oldest of the figures shown was computed
    schools_without_figures: int = 0

    @property
    def as_of_label(self) -> str:
        """Today "10:20", another day "2026-12-05 10:20": a bare time from yesterday would mislead."""
        if self.as_of is None:
            return ""
        when = timezone.localtime(self.as_of)
        return when.strftime("%H:%M" if when.date() == timezone.localdate() else "%Y-%m-%d %H:%M")


def current_of(years: Sequence[SchoolYear], today: dt.date) -> SchoolYear | None:
    """The school year the workers keep figures for: the one under way, else the latest begun."""
    under_way = [y for y in years if y.start <= today <= y.end]
    return max(under_way or [y for y in years if y.start <= today], key=lambda y: y.start, default=None)


def dashboard(user: AnyUser, *, year_id: int | None = None, kind: str = "", grade: int | None = None) -> Dashboard:
    """The district's (or a school's) figures. Seven queries whatever the number of schools or children:
    years, schools with their rollups, the screening cells, last year's cells."""
    schools = visible_schools(user).select_related("district")
    if kind:
        schools = schools.filter(kind=kind)
    school_list = list(schools.order_by("name"))
    district_ids = {s.district_id for s in school_list}
    years = list(SchoolYear.objects.filter(district_id__in=district_ids).order_by("-start"))
    # By default the year the rollups are kept for (not merely the latest: next year's, once created, has none).
    year = (next((y for y in years if y.pk == year_id), None) or current_of(years, timezone.localdate())
            or (years[0] if years else None))  # fmt: skip
    ids = [s.pk for s in school_list]
    rollups = {r.school_id: r for r in SchoolRollup.objects.filter(school_id__in=ids, school_year=year)}
    cells = ScreeningCell.objects.filter(school_id__in=ids, school_year=year)
    if grade:
        cells = cells.filter(grade=grade)
    per_school: dict[int, dict[str, int]] = {}
    per_group: dict[str, dict[str, int]] = {g: dict.fromkeys(("invited", "completed", *TIERS), 0) for g in GROUPS}
    keys = ("invited", "completed", *TIERS)
    # Summed in the database, per school (all students) and per focus group: a few hundred rows, not thousands
    # of model instances.
    for row in cells.filter(group="all").values("school_id").annotate(**{k: Sum(k) for k in keys}):
        per_school[row["school_id"]] = {k: row[k] or 0 for k in keys}
    for row in cells.values("group").annotate(**{k: Sum(k) for k in keys}):
        per_group[row["group"]] = {k: row[k] or 0 for k in keys}
    # Suppression, table by table: every table's column totals are published (the cards and the chart), and
    # the tier table's rows add up to the school's completed forms, so both directions are complemented.
    screening = [[per_school.get(pk, {}).get(k, 0) for k in ("invited", "completed", *TIERS)] for pk in ids]
    # Invited = completed + not completed: both parts are complemented, so neither can be worked out.
    parts = suppress([[row[1], row[0] - row[1]] for row in screening]) if ids else []
    hidden = suppress([row[2:] + [row[1] - sum(row[2:])] for row in screening]) if ids else []
    cases = suppress([[(rollups[pk].open_severe if pk in rollups else 0),
                       (rollups[pk].open_major if pk in rollups else 0)] for pk in ids]) if ids else []  # fmt: skip
    overdue = suppress([[rollups[pk].overdue_follow_ups if pk in rollups else 0] for pk in ids],
                       row_totals=False) if ids else []  # fmt: skip
    # Bookings = came + no-shows: complemented along the row too.
    counseling = suppress([[(rollups[pk].bookings - rollups[pk].no_shows if pk in rollups else 0),
                            (rollups[pk].no_shows if pk in rollups else 0)] for pk in ids]) if ids else []  # fmt: skip
    waiting = [[getattr(rollups[pk], f"awaiting_{tier}") if pk in rollups else 0 for tier in AWAITING] for pk in ids]
    awaiting = suppress(waiting) if ids else []
    awaiting_overdue = suppress([[rollups[pk].awaiting_overdue if pk in rollups else 0] for pk in ids],
                                row_totals=False) if ids else []  # fmt: skip
    rows = []
    for i, school in enumerate(school_list):
        completed_cell, missing_cell = parts[i]
        invited, completed = screening[i][0], screening[i][1]
        invited_cell = total([invited])
        visible = not (completed_cell.suppressed or missing_cell.suppressed or invited_cell.suppressed)
        coverage = f"{round(100 * completed / invited)}%" if invited and visible else ""
        positive = sum(screening[i][2:])
        tiers = hidden[i][:3]
        rows.append(SchoolRow(
            school, rollups.get(school.pk), invited_cell, completed_cell, coverage, tiers,
            round(100 * positive / completed, 1)
            if completed and not completed_cell.suppressed and not any(t.suppressed for t in tiers) else None,
            cases[i], total([counseling[i][0].value + counseling[i][1].value]), counseling[i][1], overdue[i][0],
            _ack(rollups.get(school.pk)), awaiting[i], awaiting_overdue[i][0],
            _since([rollups[school.pk]] if school.pk in rollups else []),
        ))  # fmt: skip
    tier_totals = column_totals(hidden)[:3]
    count_totals = column_totals(parts)
    all_rollups = list(rollups.values())
    # The card: completed of invited, district-wide; those who did not complete must not be worked out either.
    completed_all = sum(r[1] for r in screening)
    card_completed = suppress([[completed_all, sum(r[0] for r in screening) - completed_all]])[0][0]
    if count_totals and count_totals[0].suppressed:
        card_completed = Cell(completed_all, True)
    notices = sum(r.notices for r in all_rollups)
    acked = suppress([[sum(r.notices_acknowledged for r in all_rollups),
                       notices - sum(r.notices_acknowledged for r in all_rollups)]])[0]  # fmt: skip
    groups = []
    group_table = suppress([[per_group[g]["invited"], per_group[g]["completed"], *[per_group[g][t] for t in TIERS]]
                            for g in GROUPS[1:]], row_totals=False)  # fmt: skip
    for g, cells_row in zip(GROUPS[1:], group_table, strict=True):
        groups.append((g, cells_row))
    last_year = years[years.index(year) + 1] if year in years and years.index(year) + 1 < len(years) else None
    last = ScreeningCell.objects.filter(school_id__in=ids, school_year=last_year, group="all")
    if grade:
        last = last.filter(grade=grade)
    last_sums = last.aggregate(**{t: Sum(t) for t in TIERS}) if last_year else {}
    return Dashboard(
        year=year, years=years, rows=rows,
        totals={"invited": total([r[0] for r in screening]), "completed": card_completed},
        tier_totals=tier_totals,
        last_year_tiers=[total([last_sums.get(t) or 0]) for t in TIERS] if last_year else [],
        groups=groups,
        schools_without_drill=sum(not r.drilled_this_term for r in all_rollups),
        schools_below_room_standard=sum(not r.rooms_meet_standard for r in all_rollups),
        schools_without_full_time=sum(r.full_time == 0 for r in all_rollups),
        full_time=sum(r.full_time for r in all_rollups), part_time=sum(r.part_time for r in all_rollups),
        person_times=sum(r.person_times for r in all_rollups), notices=total([notices]),
        acknowledged=acked[0],
        overdue=total([r.overdue_follow_ups for r in all_rollups]),
        awaiting=column_totals(awaiting) if ids else [],
        awaiting_overdue=total([r.awaiting_overdue for r in all_rollups]), awaiting_since=_since(all_rollups),
        as_of=min((r.refreshed_at for r in all_rollups), default=None),
        schools_without_figures=len(ids) - len(all_rollups),
    )  # fmt: skip


def _since(rollups: list[SchoolRollup]) -> dt.datetime | None:
    """When the oldest case awaiting assessment was opened, if the cases awaiting are not few enough to count."""
    if sum(getattr(r, f"awaiting_{tier}") for r in rollups for tier in AWAITING) < MIN_CELL:
        return None
    return min((r.awaiting_since for r in rollups if r.awaiting_since), default=None)


def _ack(rollup: SchoolRollup | None) -> str:
    """The share of guardian notices acknowledged, shown only when there were enough to say nothing of one."""
    unacknowledged = rollup.notices - rollup.notices_acknowledged if rollup else 0
    if rollup is None or rollup.notices_acknowledged < MIN_CELL or unacknowledged < MIN_CELL:
        return ""  # either side small: a percentage would give it away
    return f"{round(100 * rollup.notices_acknowledged / rollup.notices)}%"


def school_grades(user: AnyUser, school_pk: int, year_id: int | None) -> tuple[School, list[tuple[int, list[Cell]]]]:
    """One school's screening figures per grade (the breakdown stops at the school)."""
    school = access.get_or_404(visible_schools(user), pk=school_pk)
    year = SchoolYear.objects.filter(district_id=school.district_id, pk=year_id).first() if year_id else None
    year = year or SchoolYear.objects.filter(district_id=school.district_id).order_by("-start").first()
    cells = list(ScreeningCell.objects.filter(school=school, school_year=year, group="all").order_by("grade"))
    table = (
        suppress([[c.invited, c.completed, c.tier1, c.tier2, c.tier3] for c in cells], row_totals=False)
        if cells
        else []
    )
    return school, [(c.grade, row) for c, row in zip(cells, table, strict=True)]
