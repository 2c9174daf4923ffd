"""Every export of the dashboard, read back as a person's program would read it (the csv module, openpyxl, a PDF
text extractor), shows each count of children either as 5 or more or as suppressed, exactly as the page does
(complements included), for a district with small schools: one of exactly 4 students and one of exactly 5.
Counts reach a spreadsheet as numbers, and the PDF prints only what its font can draw."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards import selectors, services
from dashboards.models import SchoolRollup
from screening.models import Participation
from screening.services import code_digest
from tests import factories
from tests.dashboards.test_dashboard import screened  # noqa: F401 - the fixture: schools A (22) and B (1)

# The CSV/XLSX columns that count children, and how the page's row gives each.
CHILD_COLUMNS = {
    "Invited": lambda r: r.invited, "Completed": lambda r: r.completed,
    "Tier 1": lambda r: r.tiers[0], "Tier 2": lambda r: r.tiers[1], "Tier 3": lambda r: r.tiers[2],
    "Open severe cases": lambda r: r.open_cases[0], "Open major cases": lambda r: r.open_cases[1],
    "Awaiting assessment: major": lambda r: r.awaiting[2], "Awaiting assessment: severe": lambda r: r.awaiting[1],
    "Awaiting assessment: general": lambda r: r.awaiting[0],
    "Bookings (4 weeks)": lambda r: r.bookings, "No-shows": lambda r: r.no_shows,
}  # fmt: skip
# The export's columns, in order (their headers are in the reader's language).
COLUMNS = ["School", "Invited", "Completed", "Coverage", "Tier 1", "Tier 2", "Tier 3", "Open severe cases",
           "Open major cases", "Awaiting assessment: major", "Awaiting assessment: severe",
           "Awaiting assessment: general", "Drilled this term", "Room standard", "Full-time", "Part-time",
           "Bookings (4 weeks)", "No-shows"]  # fmt: skip


@pytest.fixture
def small_schools(world, screened):  # noqa: F811
    """Two more schools of district A: "School Four" with 4 students and "School Five" with 5, all screened."""
    now = timezone.now()
    for name, count in (("School Four", 4), ("School Five", 5)):
        school = factories.SchoolFactory(district=world.district_a, name=name, code=name[-4:].lower())
        classroom = factories.ClassroomFactory(school=school, grade=7)
        for n in range(count):
            student = factories.StudentFactory(classroom=classroom)
            Participation.objects.create(campaign=screened, student=student, code=f"{name}-{n}",
                                         code_digest=code_digest(f"{name}-{n}"), consent="granted",
                                         completed_at=now, suggested_tier=1)  # fmt: skip
    services.refresh(world.district_a)
    return selectors.dashboard(world.users["official_a"])


def _check(header, rows, board):
    """Each exported row is its school's row on the page; each child count is >= 5 or '<5'."""
    by_name = {row.school.name: row for row in board.rows}
    assert sorted(r[0] for r in rows) == sorted(by_name)
    for values in rows:
        row, cells = by_name[values[0]], dict(zip(header, values, strict=True))
        for column, cell_of in CHILD_COLUMNS.items():
            shown = str(cells[column])
            assert shown == str(cell_of(row)), (values[0], column)
            assert shown == "<5" or int(shown) >= 5, (values[0], column, shown)


def test_the_csv_shows_what_the_page_shows(world, small_schools, login):
    client = login(world.users["official_a"])
    text = client.get(reverse("dashboards:dashboard"), {"format": "csv"}).content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert len(header) == len(COLUMNS)  # headers in the reader's language
    _check(COLUMNS, rows, small_schools)
    four = next(r for r in rows if r[0] == "School Four")
    five = next(r for r in rows if r[0] == "School Five")
    assert (four[1], five[1]) == ("<5", "5")  # invited: exactly 4 hidden, exactly 5 shown


def test_the_xlsx_shows_what_the_page_shows(world, small_schools, login):
    client = login(world.users["official_a"])
    content = client.get(reverse("dashboards:dashboard"), {"format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(header) == len(COLUMNS)
    _check(COLUMNS, rows, small_schools)
    # Numbers a spreadsheet can sum: every count of children is an int, or the text "<5" when suppressed.
    for values in rows:
        for column in CHILD_COLUMNS:
            value = values[COLUMNS.index(column)]
            assert value == "<5" or type(value) is int, (values[0], column, value)
        assert all(type(values[COLUMNS.index(c)]) is int for c in ("Full-time", "Part-time")), values
    five = next(r for r in rows if r[0] == "School Five")
    assert five[COLUMNS.index("Invited")] == 5


def test_the_pdf_report_shows_what_the_page_shows(world, small_schools, login):
    client = login(world.users["official_a"])
    content = client.get(reverse("dashboards:dashboard"), {"format": "pdf"}).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    table = text[text.index(small_schools.rows[0].school.name) :]  # the schools' table, in the page's order
    starts = [table.index(row.school.name) for row in small_schools.rows]
    for row, start, end in zip(small_schools.rows, starts, [*starts[1:], len(table)], strict=True):
        line = " ".join(table[start:end].split())  # the row's cells, however the extractor broke them
        expected = [f"{row.completed} / {row.invited}", *[str(t) for t in row.tiers],
                    f"{row.open_cases[0]} / {row.open_cases[1]}", " / ".join(str(c) for c in reversed(row.awaiting)),
                    str(row.overdue)]  # fmt: skip
        position = 0
        for shown in expected:
            found = line.find(shown, position)
            assert found >= 0, (row.school.name, shown, line)
            position = found + len(shown)
        counts = [t for t in line[len(row.school.name) :].replace("/", " ").split() if t.isdigit()]
        assert all(int(t) >= 5 for t in counts[:-1]), line  # the last figure counts full-time teachers


def test_the_pdf_prints_only_characters_its_font_has_and_says_yes_or_no(world, small_schools, login):
    """STSong-Light is Adobe-GB1, which has GBK's characters: a ✓ or ✗ would print as an empty box."""
    from crisis.models import Drill
    from portal.models import Term

    Term.objects.create(school_year=small_schools.year, number=1, start=small_schools.year.start,
                        end=small_schools.year.end, teaching_weeks=20)  # fmt: skip
    Drill.objects.create(school=world.school_a, held_on=timezone.localdate(), scenario="疏散", participants=30,
                         recorded_by=world.users["counselor_a"])  # fmt: skip
    services.refresh(world.district_a)
    client = login(world.users["official_a"])
    content = client.get(reverse("dashboards:dashboard"), {"format": "pdf"}).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert [c for c in text if not _gbk(c)] == []
    names = [row.school.name for row in small_schools.rows]
    table = text[text.index(names[0]) :]
    starts = [table.index(name) for name in names]
    ends = [*starts[1:], len(table)]
    last = {name: table[start:end].split()[-3:] for name, start, end in zip(names, starts, ends, strict=True)}
    # Drilled this term, room standard, full-time teachers: school A drilled, no school has a standard room.
    assert last == {"School A": ["是", "否", "1"], "School B": ["否", "否", "0"], "School Five": ["否", "否", "0"],
                    "School Four": ["否", "否", "0"]}  # fmt: skip
    when = timezone.localtime(SchoolRollup.objects.filter(school=world.school_a).get().refreshed_at)
    assert f"{when:%H:%M}" in text.splitlines()[2]  # the figures' time, under the title and the legend


def _gbk(char: str) -> bool:
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
