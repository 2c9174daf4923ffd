"""The dashboard's figures through the API: the same rollups, filters, suppression and audit as the page."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import selectors, services
from dashboards.suppression import Cell
from dashboards.views import _audit, _filters
from portal import access
from portal.api_permissions import SignedIn

CACHE_SECONDS = 15 * 60  # a little longer than the refresh interval; a refresh retires entries sooner


def _cell(cell: Cell) -> int | str:
    return cell.exported


class DashboardView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter("kind", str), OpenApiParameter("grade", int)],
        responses={200: dict},
        description='Counts of fewer than 5 students (and their complements) are the string "<5".',
    )
    def get(self, request: Request) -> Response:
        visible = sorted(selectors.visible_schools(request.user).values_list("pk", flat=True))
        access.require(bool(visible))
        filters = _filters(request)
        _audit(request, "api", filters)  # type: ignore[arg-type]
        # The figures change only when the rollups are refreshed: the same schools, filters and language get the
        # same answer until then, rendered once (from about 90 ms to a cache read).
        scope = hashlib.sha256(json.dumps([visible, filters, get_language()], default=str).encode()).hexdigest()
        key = f"dashboard-api:{services.generation()}:{scope}"
        data = cache.get(key)
        if data is None:
            data = self._render(request, filters)
            cache.set(key, data, timeout=CACHE_SECONDS)
        return Response(data)

    def _render(self, request: Request, filters: dict[str, Any]) -> dict[str, Any]:
        board = selectors.dashboard(request.user, **filters)
        schools: list[dict[str, Any]] = []
        for row in board.rows:
            rollup = row.rollup
            schools.append({
                "id": row.school.pk, "name": row.school.name, "kind": row.school.kind,
                "invited": _cell(row.invited), "completed": _cell(row.completed), "coverage": row.coverage or None,
                "tiers": [_cell(t) for t in row.tiers], "positive_percent": row.positive_percent,
                "open_severe": _cell(row.open_cases[0]), "open_major": _cell(row.open_cases[1]),
                "overdue_follow_ups": _cell(row.overdue), "guardians_acknowledged": row.ack_percent or None,
                "awaiting_general": _cell(row.awaiting[0]), "awaiting_severe": _cell(row.awaiting[1]),
                "awaiting_major": _cell(row.awaiting[2]), "awaiting_past_deadline": _cell(row.awaiting_overdue),
                "ack_hours_median": rollup.ack_hours_median if rollup and row.ack_percent else None,
                "wait_days_median": rollup.wait_days_median if rollup else None,
                "classes": rollup.classes if rollup else 0,
                "classes_meeting_standard": rollup.classes_meeting_standard if rollup else 0,
                "drilled_this_term": bool(rollup and rollup.drilled_this_term),
                "rooms_meet_standard": bool(rollup and rollup.rooms_meet_standard),
                "full_time": rollup.full_time if rollup else 0, "part_time": rollup.part_time if rollup else 0,
                "bookings": _cell(row.bookings), "no_shows": _cell(row.no_shows),
            })  # fmt: skip
        return {
            "year": board.year.name if board.year else None,
            # When the figures were computed (the page's "as of").
            "as_of": timezone.localtime(board.as_of).isoformat() if board.as_of else None,
            "invited": _cell(board.totals["invited"]), "completed": _cell(board.totals["completed"]),
            "tiers": [_cell(c) for c in board.tier_totals],
            "focus_groups": {group: [_cell(c) for c in cells] for group, cells in board.groups},
            "schools": schools,
        }  # fmt: skip
