"""Paper forms: answers typed into a CSV or XLSX sheet, one row per student and instrument.

Header: 学号 (student_number), 量表 (instrument), then one column per item number (1, 2, ...). A blank cell is
a blank answer; the ASQ also takes 是/否. Every row is checked before anything is stored; errors name the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.roster import read_table

PAPER_ERRORS = {
    "encoding": _("The file is neither UTF-8 nor GBK text, nor an Excel (.xlsx) workbook. Save it as one of these."),
    "unreadable": _("The file could not be read. Save it again as .xlsx or .csv and retry."),
    "empty": _("The file has no rows below its header line."),
    "header": _("The first columns must be 学号 and 量表, followed by item numbers 1, 2, 3 ..."),
    "unknown_student": _("Student number %(value)s is not invited to this campaign at your school."),
    "unknown_instrument": _("%(value)s is not an instrument of this student's grade in this campaign."),
    "not_consented": _("Student %(value)s has no guardian consent: the form cannot be used."),
    "already_done": _("Student %(value)s has already submitted %(instrument)s."),
    "repeated": _("Student %(value)s and %(instrument)s appear again (first on row %(first)s)."),
    "bad_value": _("Item %(item)s: %(value)s is not one of the answers %(allowed)s."),
    "extra_item": _("Item %(item)s is not part of %(instrument)s: leave the cell empty."),
    "too_many_rows": _("The file has more than %(max)s rows. Split it by grade."),
}
MAX_ROWS = 20000
YES_NO = {"是": 1, "否": 0, "yes": 1, "no": 0}  # for yes/no instruments (the ASQ)


def paper_error(error: dict[str, Any]) -> str:
    return str(PAPER_ERRORS[error["code"]]) % error.get("params", {})


@dataclass
class PaperRow:
    row: int
    student_number: str
    instrument: str
    cells: dict[str, str]  # item number -> the cell's text, blanks left out


@dataclass
class ParsedPaper:
    rows: list[PaperRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _err(row: int, code: str, **params: Any) -> dict[str, Any]:
    return {"row": row, "code": code, "params": params}


def parse_paper(content: bytes) -> ParsedPaper:
    table, file_errors = read_table(content, max_rows=MAX_ROWS)
    parsed = ParsedPaper()
    if file_errors:
        parsed.errors = [_err(0, e["code"], max=MAX_ROWS) for e in file_errors]
        return parsed
    # Number rows as the spreadsheet does before dropping blank ones, so that errors point at the right row.
    numbered = [(line, row) for line, row in enumerate(table, 1) if any(cell.strip() for cell in row)]
    if len(numbered) < 2:
        parsed.errors.append(_err(0, "empty"))
        return parsed
    header = [cell.strip().lower() for cell in numbered[0][1]]
    items = header[2:]
    if header[:2] not in (["学号", "量表"], ["student_number", "instrument"]) or not all(
        h.isascii() and h.isdecimal() and int(h) == n for n, h in enumerate(items, 1)
    ):
        parsed.errors.append(_err(numbered[0][0], "header"))
        return parsed
    for line, cells in numbered[1:]:
        cells = cells + [""] * (len(header) - len(cells))
        answers = {str(n): cell.strip() for n, cell in enumerate(cells[2 : 2 + len(items)], 1) if cell.strip()}
        parsed.rows.append(PaperRow(line, cells[0].strip(), cells[1].strip().lower(), answers))
    return parsed
