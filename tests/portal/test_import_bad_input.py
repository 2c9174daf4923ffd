"""Bad files into every importer, hostile cells out of every export.

Importers: the class list (portal), paper screening forms (screening) and the two training sheets (teacher
roster, attendance). Each is fed malformed, truncated, wrongly encoded, formula-bearing and 100,000-row files:
the answer is a clear error (per row where there is a row), and nothing is half-written.
Exports: XLSX cells are text, never formulas; CSV cells that would start a formula get an apostrophe.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from crisis.models import Case
from portal import services
from portal.exports import csv_response, xlsx_response
from portal.models import Classroom, Guardian, RosterImport, Student, StudentGuardian
from portal.models.roster import ImportStatus
from portal.roster import error_message
from screening.models import Response
from screening.paper import paper_error
from tests.portal.rosters import GOOD_ROWS, HEADER, csv_bytes, sheet_bytes, xlsx_bytes
from tests.screening.conftest import consent, participation_of

FORMULAS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]
BIG = 100_000


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Student, Guardian, StudentGuardian, Classroom, Response, Case)
    }  # fmt: skip


def _roster(world, content: bytes) -> RosterImport:
    """Upload through the service, and apply when the preview is clean (as the page's button does)."""
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="list", content=content
    )
    if roster_import.status == ImportStatus.PREVIEWED:
        services.roster_import_apply(import_id=roster_import.pk)
        roster_import.refresh_from_db()
    return roster_import


def _codes(roster_import: RosterImport) -> set[tuple[int, str]]:
    return {(e["row"], e["code"]) for e in roster_import.errors}


def _sheet(content: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


# --- the class list --------------------------------------------------------------------------------------


def test_a_gb18030_file_from_excel_imports_even_with_characters_gbk_lacks(world):
    """Excel on Chinese Windows saves CSV as GBK/GB18030; names may use characters only GB18030 has."""
    rows = [row[:] for row in GOOD_ROWS]
    rows[0][3] = rows[1][3] = "李䶮"  # U+4DAE (CJK Extension A): in GB18030, not in GBK
    rows[2][3] = "张𠮷"  # U+20BB7: a four-byte GB18030 sequence
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")
    roster_import = _roster(world, csv_bytes(rows, encoding="gb18030"))
    assert roster_import.status == ImportStatus.APPLIED, roster_import.errors
    assert set(Student.objects.filter(student_number__in=["20260001", "20260002"]).values_list("name", flat=True)) == {
        "李䶮", "张𠮷",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (csv_bytes(GOOD_ROWS).decode().encode("utf-16"), "encoding"),  # Excel's "Unicode text"
        (b"\xff\xfe\xfd" * 50, "encoding"),
        (b"", "empty"),
        (csv_bytes([]), "empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "unreadable"),  # a zip header and nothing behind it
        (b"%PDF-1.4\n" + bytes(range(256)) * 4, "encoding"),  # a PDF picked by mistake
    ],
    ids=["utf-16", "undecodable", "zero-bytes", "header-only", "fake-zip", "pdf"],
)
def test_a_file_that_is_not_a_class_list_is_refused_as_a_whole_with_a_clear_message(world, content, code):
    before = _counts()
    roster_import = _roster(world, content)
    assert roster_import.status == ImportStatus.REFUSED
    assert _codes(roster_import) == {(0, code)}
    with translation.override("zh-hans"):
        message = error_message(roster_import.errors[0])
    assert message and "%(" not in message
    assert _counts() == before


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_an_xlsx_cut_anywhere_is_refused_and_changes_nothing(world, cut):
    content = xlsx_bytes(GOOD_ROWS)
    before = _counts()
    roster_import = _roster(world, content[: int(len(content) * cut)])
    assert (roster_import.status, _codes(roster_import)) == (ImportStatus.REFUSED, {(0, "unreadable")})
    assert _counts() == before


def test_a_csv_with_an_unclosed_quote_or_ragged_rows_gets_row_errors_and_changes_nothing(world):
    lines = [
        ",".join(HEADER[:6]),
        "7,1班,20260001,李明,男,2013-03-02",
        "7,1班,20260002",
        'x,"1班,20260003,王,女,2013-01-01',
    ]
    before = _counts()
    roster_import = _roster(world, "\n".join(lines).encode())
    assert roster_import.status == ImportStatus.REFUSED
    assert (3, "required") in _codes(roster_import)  # the short row
    assert (4, "required") in _codes(roster_import) or (4, "not_a_grade") in _codes(roster_import)
    assert all(e["row"] >= 1 for e in roster_import.errors)
    assert _counts() == before


def test_formula_cells_are_stored_as_plain_text_and_leave_the_ledger_export_as_text(world, login):
    rows = [["7", "1班", f"2026010{n}", name, "男", "2013-03-02"] for n, name in enumerate(FORMULAS)]
    roster_import = _roster(world, csv_bytes(rows, header=HEADER[:6]))
    assert roster_import.status == ImportStatus.APPLIED, roster_import.errors
    students = Student.objects.filter(student_number__startswith="2026010").order_by("student_number")
    assert [s.name for s in students] == FORMULAS  # stored exactly as typed: data, not code
    for student in students:
        Case.objects.create(student=student, source="teacher", suggested_tier=2)

    response = login(world.users["counselor_a"]).get(reverse("crisis:ledger_export"))
    cells = [cell for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for cell in row]
    names = {cell.value for cell in cells if cell.column == 4}
    assert set(FORMULAS) <= names  # the names read back exactly...
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]  # ...and none is a formula
    assert b"<f>" not in _worksheet_xml(response.content)


def _worksheet_xml(content: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))


def test_a_formula_typed_in_an_uploaded_workbook_is_not_imported_as_its_text(world):
    rows = [HEADER[:6], [7, "1班", 20260001, '=HYPERLINK("http://evil.example","李明")', "男", "2013-03-02"]]
    before = _counts()
    roster_import = _roster(world, sheet_bytes(rows))
    # openpyxl saves no computed value, so the cell reads as empty: a required name is missing on row 2.
    assert roster_import.status == ImportStatus.REFUSED
    assert (2, "required") in _codes(roster_import)
    assert _counts() == before


@pytest.mark.parametrize("narrow", [True, False], ids=["100k-narrow-rows", "100k-full-rows"])
def test_a_100000_row_class_list_gets_a_clear_size_error_through_the_api(world, login, narrow):
    header = HEADER[:6] if narrow else HEADER
    row = GOOD_ROWS[0][:6] if narrow else GOOD_ROWS[0]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[*row[:2], f"{n:08d}", *row[3:]] for n in range(BIG)])
    content = out.getvalue().encode()
    before = _counts()
    client = login(world.users["counselor_a"])
    response = client.post(
        reverse("roster-import-list"), {"school": world.school_a.pk, "file": SimpleUploadedFile("big.csv", content)}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "refused" and [e["row"] for e in body["row_errors"]] == [0]
    # The rows limit (20,000) or the bytes limit (5 MB), whichever the file passes first, in the user's language.
    roster_import = RosterImport.objects.get(pk=body["id"])
    expected = ("too_many_rows", "20000 行") if narrow else ("too_large", "5 MB")
    assert roster_import.errors[0]["code"] == expected[0] and expected[1] in body["row_errors"][0]["message"]
    assert roster_import.content == b""  # a refused upload is not kept
    assert _counts() == before


# --- paper screening forms -------------------------------------------------------------------------------


@pytest.fixture
def campaign(world):
    return world.campaign_a


def _paper(world, campaign, login, content: bytes):
    client = login(world.users["counselor_a"])
    return client.post(
        reverse("screening:paper_import", args=[campaign.pk]), {"file": SimpleUploadedFile("answers", content)}
    )


def _paper_csv(rows, *, encoding="utf-8") -> bytes:
    lines = ["学号,量表," + ",".join(str(n) for n in range(1, 10))]
    lines += [",".join(str(c) for c in row) for row in rows]
    return "\n".join(lines).encode(encoding)


def test_paper_forms_in_gbk_are_read_like_utf8(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    number = world.student_x.student_number
    rows = [[number, "phq9", *[0] * 9], [number, "asq", "否", "否", "否", "否"]]
    page = _paper(world, campaign, login, _paper_csv(rows, encoding="gbk"))
    assert page.status_code == 302, page.content.decode()[:2000]
    assert Response.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff\xfe\xfd" * 50, "encoding"),
        (b"PK\x03\x04" + b"\x00" * 100, "unreadable"),
        (b"", "empty"),
        ("学号,量表,1,2\n".encode(), "empty"),
        ("学号,量表,2,1\n1,phq9,0,0\n".encode(), "header"),
    ],
    ids=["undecodable", "fake-zip", "zero-bytes", "header-only", "items-out-of-order"],
)
def test_a_paper_file_that_is_not_a_sheet_of_answers_gets_one_clear_error(world, campaign, login, content, code):
    from screening.paper import parse_paper

    errors = parse_paper(content).errors
    assert [e["code"] for e in errors] == [code]
    assert "%(" not in paper_error(errors[0])
    before = _counts()
    page = _paper(world, campaign, login, content)
    assert page.status_code == 200 and _counts() == before


@pytest.mark.parametrize("cut", [0.2, 0.6, 0.95])
def test_a_truncated_paper_workbook_stores_nothing(world, campaign, login, cut):
    consent(participation_of(campaign, world.student_x))
    content = sheet_bytes([["学号", "量表", *range(1, 10)], [world.student_x.student_number, "phq9", *[0] * 9]])
    before = _counts()
    page = _paper(world, campaign, login, content[: int(len(content) * cut)])
    html = page.content.decode()
    # What is wrong with the whole file is said beside the field, not as a "row 0".
    with translation.override("zh-hans"):
        unreadable = paper_error({"code": "unreadable"})
    assert page.status_code == 200 and f'id="id_file_error"><li>{unreadable}</li>' in html and "第 0 行" not in html
    assert _counts() == before


def test_paper_errors_name_the_spreadsheet_row_after_blank_rows(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    number = world.student_x.student_number
    content = _paper_csv([[number, "phq9", *[0] * 9], [""] * 11, [""] * 11, [number, "asq", "是", 7]])
    from screening import services as screening

    result = screening.paper_import(campaign=campaign, school_ids=[world.school_a.pk], content=content)
    assert [(e["row"], e["code"]) for e in result.errors] == [(5, "bad_value")]  # header 1, phq9 2, blanks 3-4
    assert not Response.objects.exists()


def test_formula_cells_in_a_paper_sheet_are_refused_per_row(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    number = world.student_x.student_number
    rows = [[FORMULAS[0], "phq9", *[0] * 9], [number, "phq9", "=1+1", *[0] * 8], [number, "@SUM(A1)", 0]]
    from screening import services as screening

    result = screening.paper_import(campaign=campaign, school_ids=[world.school_a.pk], content=_paper_csv(rows))
    assert [(e["row"], e["code"]) for e in result.errors] == [
        (2, "unknown_student"), (3, "bad_value"), (4, "unknown_instrument"),
    ]  # fmt: skip
    assert not Response.objects.exists()


def test_a_100000_row_paper_sheet_gets_a_clear_size_error(world, campaign, login):
    consent(participation_of(campaign, world.student_x))
    rows = [[world.student_x.student_number, "phq9", *[0] * 9]] * BIG
    before = _counts()
    page = _paper(world, campaign, login, _paper_csv(rows))
    assert page.status_code == 200
    assert "20000" in page.content.decode()  # "more than 20000 rows. Split it by grade."
    assert _counts() == before


# --- training sheets -------------------------------------------------------------------------------------


def test_training_sheets_refuse_broken_files_and_big_files_change_nothing(world, login):
    from portal.models import Membership
    from training.models import Enrolment

    enrolment = world.enrolment_a
    employment = lambda: list(Membership.objects.order_by("pk").values_list("employment", flat=True))  # noqa: E731
    before = employment()
    leader, official = login(world.users["leader_a"]), None
    broken = [b"\xff\xfe\xfd" * 10, sheet_bytes([["用户名", "专兼职"], ["counselor_a", "专职"]])[:300], b""]
    for content in broken:
        page = leader.post(reverse("training:roster_import"), {"file": SimpleUploadedFile("r", content)})
        html = page.content.decode()
        assert page.status_code == 200 and 'id="id_file_error"' in html  # beside the field
        assert "无法读取" in html or "提交的是空文件" in html
    big = "\n".join(["用户名,专兼职", *(["counselor_a,专职"] * (BIG - 1)), "counselor_a,半职"]).encode()
    page = leader.post(reverse("training:roster_import"), {"file": SimpleUploadedFile("r.csv", big)})
    assert "超过 5000 行" in page.content.decode()  # refused whole, beside the field, once past the rows limit
    assert employment() == before

    official = login(world.users["official_a"])
    url = reverse("training:attendance_import", args=[world.session_a.pk])
    big = "\n".join(["用户名,出勤", *([f"{FORMULAS[0]}{n}" for n in range(BIG - 1)]), "counselor_a,是"]).encode()
    page = official.post(url, {"file": SimpleUploadedFile("a.csv", big)})
    assert "超过 5000 行" in page.content.decode()
    formulas = "\n".join(["用户名,出勤", *([f"{FORMULAS[0]}{n}" for n in range(10)]), "counselor_a,是"]).encode()
    page = official.post(url, {"file": SimpleUploadedFile("a.csv", formulas)})
    assert "第 2 行" in page.content.decode()
    assert Enrolment.objects.get(pk=enrolment.pk).status == "enrolled"  # nothing applied


# --- exports -----------------------------------------------------------------------------------------------


def test_every_xlsx_cell_is_text_or_a_value_never_a_formula():
    rows = [[*FORMULAS, "\tx", "\rx", "plain", 3, 2.5, None, "a\x00b"]]
    response = xlsx_response("t.xlsx", "s", ["=HEADER()", "b"], rows)
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = _sheet(response.content)
    assert values[0][0] == "=HEADER()"
    assert values[1][:4] == FORMULAS and values[1][6:10] == ["plain", 3, 2.5, None]
    assert values[1][10] == "a\ufffdb"  # a control character does not crash the export


def test_csv_cells_that_would_start_a_formula_get_an_apostrophe():
    rows = [[*FORMULAS, "\tx", "plain", "85%", "<5", 3]]
    response = csv_response("t.csv", ["=HEADER()", "b"], rows)
    read = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert read[0][0] == "'=HEADER()"
    assert read[1][:5] == [f"'{f}" for f in FORMULAS] + ["'\tx"]
    assert read[1][5:] == ["plain", "85%", "<5", "3"]


def test_the_dashboard_csv_and_xlsx_neutralise_a_hostile_school_name(world, login):
    world.school_a.name = FORMULAS[0]
    world.school_a.save()
    from dashboards import services as dashboards

    dashboards.refresh(world.district_a)
    client = login(world.users["official_a"])
    text = client.get(reverse("dashboards:dashboard"), {"format": "csv"}).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert f"'{FORMULAS[0]}" in cells and FORMULAS[0] not in cells
    xlsx = client.get(reverse("dashboards:dashboard"), {"format": "xlsx"}).content
    assert FORMULAS[0] in {cell for row in _sheet(xlsx) for cell in row}
    assert b"<f>" not in _worksheet_xml(xlsx)
