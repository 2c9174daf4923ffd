"""The term's report for the bureau's meetings, as a printable PDF (the same suppressed figures as the page).

The font is Adobe's STSong-Light (the Adobe-GB1 character collection, which the reader's viewer supplies): it
has the characters of GBK and no others, so the report prints words (是/否), never ✓/✗, which would be boxes.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboards.selectors import Dashboard
from dashboards.views import _yes_no
from training.certificates import _FONT  # registers the CID font for Chinese


def pdf(board: Dashboard, title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title)
    heading = ParagraphStyle("h", fontName=_FONT, fontSize=16, leading=22)
    text = ParagraphStyle("t", fontName=_FONT, fontSize=10, leading=14)
    story = [
        Paragraph(title, heading),
        Paragraph(
            _("Generated %(when)s. Counts of fewer than 5 students are shown as <5.")
            % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
            text,
        ),  # fmt: skip
        Paragraph(
            _("As of %(when)s") % {"when": board.as_of_label}
            if board.as_of
            else _("No figures yet: they are computed every ten minutes."),
            text,
        ),
        Spacer(1, 8),
        Paragraph(
            _("Screening: %(completed)s of %(invited)s completed; suggested tiers 1 / 2 / 3: %(tiers)s.")
            % {
                "completed": board.totals["completed"],
                "invited": board.totals["invited"],
                "tiers": " / ".join(str(t) for t in board.tier_totals),
            },
            text,
        ),  # fmt: skip
        Paragraph(
            _(
                "Schools without a drill this term: %(drill)s; below the room standard: %(room)s; without a "
                "full-time mental-health teacher: %(staff)s."
            )
            % {
                "drill": board.schools_without_drill,
                "room": board.schools_below_room_standard,
                "staff": board.schools_without_full_time,
            },
            text,
        ),  # fmt: skip
        Spacer(1, 8),
    ]
    header = [_("School"), _("Completed"), _("Coverage"), _("Tier 1"), _("Tier 2"), _("Tier 3"),
              _("Open severe / major cases"), _("Awaiting first assessment"), _("Overdue"), _("Drill"),
              _("Room standard"), _("Full-time")]  # fmt: skip
    rows = [header]
    for r in board.rows:
        rollup = r.rollup
        rows.append([r.school.name, f"{r.completed} / {r.invited}", r.coverage or "—", *[str(t) for t in r.tiers],
                     f"{r.open_cases[0]} / {r.open_cases[1]}", " / ".join(str(c) for c in reversed(r.awaiting)),
                     str(r.overdue),
                     _yes_no(r.drilled) or "—", _yes_no(r.room_standard) or "—",
                     str(rollup.full_time) if rollup else "—"])  # fmt: skip
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ]))  # fmt: skip
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
