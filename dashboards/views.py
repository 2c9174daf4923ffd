"""The district dashboard: figures per school (officials) or for one's school (leaders and counselors),
charts drawn on the server, exports, a breakdown down to the school and no further."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from dashboards import selectors, services
from portal import access, audit
from portal.exports import csv_response, xlsx_response
from portal.models import District
from portal.models.org import SchoolKind
from portal.views import AuthedRequest


def _filters(request: HttpRequest) -> dict[str, object]:
    raw_year, raw_grade = request.GET.get("year", ""), request.GET.get("grade", "")
    kind = request.GET.get("kind", "")
    return {
        "year_id": int(raw_year) if raw_year.isascii() and raw_year.isdecimal() else None,
        "grade": int(raw_grade)
        if raw_grade.isascii() and raw_grade.isdecimal() and 1 <= int(raw_grade) <= 12
        else None,
        "kind": kind if kind in SchoolKind.values else "",
    }


def _audit(request: AuthedRequest, what: str, filters: dict[str, object]) -> None:
    audit.append([audit.Entry("dashboard.view", "dashboards.dashboard", what,
                              detail={k: v for k, v in filters.items() if v})])  # fmt: skip


@login_required
@never_cache
@require_safe
def dashboard(request: AuthedRequest) -> HttpResponse:
    access.require(selectors.visible_schools(request.user).exists())
    filters = _filters(request)
    board = selectors.dashboard(request.user, **filters)  # type: ignore[arg-type]
    _audit(request, "district", filters)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "csv"):
        return _export(board, fmt)
    if fmt == "pdf":
        from dashboards import report

        title = _("Mental-health services report, %(year)s") % {"year": board.year.name if board.year else ""}
        response = HttpResponse(report.pdf(board, title), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="report.pdf"'
        return response
    peak = max([r.positive_percent or 0 for r in board.rows] + [1])  # hidden rates draw no bar
    bars = [(r, 100 * (r.positive_percent or 0) / peak) for r in board.rows]
    tier_peak = max([c.value for c in board.tier_totals if not c.suppressed] + [1])
    tier_bars = [  # (tier, count, bar width out of 200, baseline y)
        (t, c, 0 if c.suppressed else round(200 * c.value / tier_peak), 20 + 30 * i)
        for i, (t, c) in enumerate(zip((1, 2, 3), board.tier_totals, strict=True))
    ]
    return render(request, "dashboards/dashboard.html", {
        "board": board, "filters": filters, "kinds": SchoolKind.choices, "grades": range(1, 13), "bars": bars,
        "tier_bars": tier_bars,
        "is_official": access.roles_of(request.user).is_official,
    })  # fmt: skip


def _export(board: selectors.Dashboard, fmt: str) -> HttpResponse:
    header = [_("School"), _("Invited"), _("Completed"), _("Coverage"), _("Tier 1"), _("Tier 2"), _("Tier 3"),
              _("Open severe cases"), _("Open major cases"), _("Awaiting assessment: major"),
              _("Awaiting assessment: severe"), _("Awaiting assessment: general"), _("Drilled this term"),
              _("Room standard"), _("Full-time"), _("Part-time"), _("Bookings (4 weeks)"), _("No-shows")]  # fmt: skip
    rows = []
    for r in board.rows:
        rollup = r.rollup  # None for a school added since the last refresh: its cells stay empty, not "no" or 0
        rows.append([r.school.name, r.invited.exported, r.completed.exported, r.coverage,
                     *[t.exported for t in r.tiers], *[c.exported for c in r.open_cases],
                     *[c.exported for c in reversed(r.awaiting)], _yes_no(r.drilled), _yes_no(r.room_standard),
                     rollup.full_time if rollup else "", rollup.part_time if rollup else "",
                     r.bookings.exported, r.no_shows.exported])  # fmt: skip
    if fmt == "csv":
        return csv_response("dashboard.csv", header, rows)
    return xlsx_response("dashboard.xlsx", _("Dashboard"), header, rows)


def _yes_no(value: bool | None) -> str:
    """Words, not ✓/✗: the same in the spreadsheet, the PDF (whose font has no such glyphs) and a screen reader."""
    return "" if value is None else _("yes") if value else _("no")


@login_required
@never_cache
@require_safe
def school(request: AuthedRequest, pk: int) -> HttpResponse:
    """One school's screening per grade: the breakdown stops here (no child is ever listed)."""
    filters = _filters(request)
    item, grades = selectors.school_grades(request.user, pk, filters["year_id"])  # type: ignore[arg-type]
    _audit(request, f"school:{item.pk}", filters)
    return render(request, "dashboards/school.html", {"school": item, "grades": grades})


@login_required
@require_POST
def refresh(request: AuthedRequest) -> HttpResponse:
    """An official refreshes the figures now (the workers do it every ten minutes anyway)."""
    roles = access.roles_of(request.user)
    access.require(roles.is_official)
    for district in District.objects.filter(pk__in=roles.district_ids):
        services.refresh(district)
    messages.success(request, _("The figures are up to date."))
    return redirect("dashboards:dashboard")
