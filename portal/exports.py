"""Spreadsheet downloads: one way to turn a header and rows into an XLSX (or CSV) response.

Names and notes come from people and imported files, so a cell may read "=cmd|' /C calc'!A0": Excel, WPS and
LibreOffice would run it as a formula (OWASP "CSV injection"). XLSX text cells are written as text, never as
formulas; in CSV, which has no types, such a cell is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The characters a spreadsheet reads as the start of a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, not as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xlsx_cell(worksheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # openpyxl refuses control characters (a 500 for one odd name); the rest is kept as typed, as text.
    cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell


def xlsx_response(filename: str, sheet: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([_xlsx_cell(worksheet, str(h)) for h in header])
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    workbook.save(response)
    return response


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # BOM: Excel on Chinese Windows reads UTF-8 only with it
    writer = csv.writer(response)
    writer.writerow([csv_safe(str(h)) for h in header])
    writer.writerows([csv_safe(value) for value in row] for row in rows)
    return response
