"""The copy of a child's record as a PDF (reportlab, as the training certificates and the district report).

The font is the one they register: Adobe's STSong-Light, a CID font of the Adobe-GB1 character collection (the
Chinese characters of GB 18030's basic plane, CJK Extension A included), which the reader's viewer supplies: nothing
is embedded or downloaded. Its encoding (UniGB-UCS2-H) has no room for a character beyond the basic plane (a rare
name character of Extension B, 𠮷): reportlab would print another character in its place, so such a character is
printed as the geta mark 〓, the typesetter's sign for a character the font lacks, never as a wrong one. Text goes in
as Paragraphs: escaped (a campaign or hospital name may hold "<" or "&"), wrapped between any two Chinese characters
(wordWrap="CJK").
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from privacy.selectors import Copy
from training.certificates import _FONT  # registers the CID font for Chinese

_TITLE = ParagraphStyle("title", fontName=_FONT, fontSize=15, leading=21, wordWrap="CJK")
_HEADING = ParagraphStyle("heading", fontName=_FONT, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4,
                          wordWrap="CJK")  # fmt: skip
_TEXT = ParagraphStyle("text", fontName=_FONT, fontSize=9, leading=13, wordWrap="CJK")
_CELL = ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=11, wordWrap="CJK")


_BEYOND_UCS2 = re.compile("[\U00010000-\U0010ffff]")
GETA = "\u3013"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_BEYOND_UCS2.sub(GETA, text)), style)


def pdf(copy: Copy) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=copy.title, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm)  # fmt: skip
    story: list = [_p(copy.title, _TITLE), Spacer(1, 6)]  # type: ignore[type-arg]
    facts = Table([[_p(label, _CELL), _p(value, _CELL)] for label, value in copy.facts], colWidths=[35 * mm, None])
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(facts)
    for table in copy.tables:
        story.append(_p(table.heading, _HEADING))
        if not table.rows:
            story.append(_p(table.empty, _TEXT))
            continue
        grid = Table([[_p(cell, _CELL) for cell in row] for row in [table.header, *table.rows]], repeatRows=1)
        grid.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))  # fmt: skip
        story.append(grid)
    story.append(Spacer(1, 10))
    story.extend(_p(note, _TEXT) for note in copy.notes)
    doc.build(story)
    return buffer.getvalue()
