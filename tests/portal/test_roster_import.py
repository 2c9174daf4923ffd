"""Importing a class list: preview first, all-or-nothing, re-import updates, errors per row."""

import copy
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from portal import audit, services
from portal.models import Classroom, Guardian, RosterImport, Student, StudentGuardian
from portal.models.roster import ImportStatus
from portal.roster import error_message
from tests.portal.rosters import GOOD_ROWS, HEADER, csv_bytes, sheet_bytes, xlsx_bytes


def _snapshot(school):
    students = Student.objects.filter(school=school)
    links = StudentGuardian.objects.filter(student__school=school)
    return (
        sorted(students.values_list("student_number", "name", "classroom__name", "left_behind")),
        sorted(Guardian.objects.filter(school=school).values_list("mobile", "name", "email", "channel", "language")),
        sorted(links.values_list("student__student_number", "guardian__mobile", "is_primary")),
        sorted(Classroom.objects.filter(school=school).values_list("grade", "name")),
    )


def _import(world, content, user="counselor_a"):
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users[user], filename="list.csv", content=content
    )
    if roster_import.status == ImportStatus.PREVIEWED:
        services.roster_import_apply(import_id=roster_import.pk)
        roster_import.refresh_from_db()
    return roster_import


def test_preview_changes_nothing_and_counts_what_apply_will_do(world):
    before = _snapshot(world.school_a)
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    assert roster_import.status == ImportStatus.PREVIEWED
    assert _snapshot(world.school_a) == before
    assert roster_import.plan == {
        "classes_new": 1,  # 7年级1班 and 2班 exist in the world; 8年级1班 is new
        "students_new": 3,
        "students_updated": 0,
        "students_unchanged": 0,
        "guardians_new": 3,
        "guardians_updated": 0,
    }


def test_apply_creates_students_guardians_and_the_primary_contact(world):
    roster_import = _import(world, csv_bytes(GOOD_ROWS))
    assert roster_import.status == ImportStatus.APPLIED
    assert roster_import.content == b""  # the upload is not kept once applied
    li = Student.objects.get(school=world.school_a, student_number="20260001")
    assert (li.name, li.gender, str(li.birth_date), li.left_behind) == ("李明", "M", "2013-03-02", True)
    assert (li.classroom.grade, li.classroom.name) == (7, "1班")
    links = {link.guardian.mobile: link.is_primary for link in li.guardian_links.select_related("guardian")}
    assert links == {"13811110001": True, "13811110002": False}
    wang = Guardian.objects.get(school=world.school_a, mobile="13811110002")
    assert (wang.language, wang.channel, wang.email, wang.relation) == ("en", "email", "wf@example.com", "mother")
    assert Guardian.objects.get(mobile="13811110003").channel == "sms"  # +86 and dashes normalised
    zhao = Student.objects.get(student_number="20250003")
    assert zhao.classroom.grade == 8 and str(zhao.birth_date) == "2012-01-09"  # 初二 = grade 8
    assert not zhao.guardians.exists()


def test_reimport_is_idempotent(world):
    _import(world, csv_bytes(GOOD_ROWS))
    once = _snapshot(world.school_a)
    second = _import(world, csv_bytes(GOOD_ROWS))
    assert _snapshot(world.school_a) == once
    assert second.plan["students_unchanged"] == 3 and second.plan["students_new"] == 0
    assert second.plan["guardians_new"] == 0 and second.plan["guardians_updated"] == 0


def test_reimport_updates_changed_students_and_moves_the_primary_contact(world):
    _import(world, csv_bytes(GOOD_ROWS))
    rows = copy.deepcopy(GOOD_ROWS)
    rows[0][1] = rows[1][1] = "2班"  # 李明 moves class
    rows[0][3] = rows[1][3] = "李明明"  # and his name is corrected
    rows[0][16], rows[1][16] = "否", "是"  # the mother becomes the contact
    second = _import(world, csv_bytes(rows))
    assert second.plan["students_updated"] == 1
    li = Student.objects.get(school=world.school_a, student_number="20260001")
    assert (li.name, li.classroom.name) == ("李明明", "2班")
    assert li.guardian_links.get(is_primary=True).guardian.mobile == "13811110002"
    assert Student.objects.filter(school=world.school_a, student_number="20260001").count() == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk_reads_the_same(world, encoding):
    _import(world, csv_bytes(GOOD_ROWS, encoding=encoding))
    assert set(Student.objects.filter(school=world.school_a).values_list("name", flat=True)) >= {"李明", "张静", "赵雷"}


def test_xlsx_with_numeric_cells_imports(world):
    roster_import = _import(world, xlsx_bytes(GOOD_ROWS))
    assert roster_import.status == ImportStatus.APPLIED, roster_import.errors
    assert Student.objects.filter(school=world.school_a, student_number="20260001").exists()


def test_a_file_with_bad_rows_is_refused_with_row_level_errors_and_changes_nothing(world):
    before = _snapshot(world.school_a)
    rows = copy.deepcopy(GOOD_ROWS)
    rows[0][0] = "13"  # no such grade
    rows[2][4] = "X"  # no such gender
    rows[2][12] = "12345"  # not a mobile number
    rows[3][5] = "2099-01-01"  # born in the future
    roster_import = _import(world, csv_bytes(rows))
    assert roster_import.status == ImportStatus.REFUSED
    assert roster_import.content == b""
    assert _snapshot(world.school_a) == before
    found = {(e["row"], e["column"], e["code"]) for e in roster_import.errors}
    assert found == {
        (2, "grade", "not_a_grade"),
        (4, "gender", "bad_gender"),
        (4, "guardian_mobile", "bad_mobile"),
        (5, "birth_date", "future_date"),
    }


def test_errors_read_in_each_users_language(world):
    rows = copy.deepcopy(GOOD_ROWS)
    rows[2][4] = "X"
    error = _import(world, csv_bytes(rows)).errors[0]
    with translation.override("en"):
        assert error_message(error) == "X is not a gender: write 男 or 女 (M or F)."
    with translation.override("zh-hans"):
        assert error_message(error) == "X 不是有效的性别：请填写 男 或 女（M 或 F）。"


def test_grade_not_taught_at_the_school_is_refused(world):
    rows = [r[:] for r in GOOD_ROWS[2:3]]
    rows[0][0] = "10"  # school A is a nine-year school
    roster_import = _import(world, csv_bytes(rows))
    assert [(e["row"], e["code"]) for e in roster_import.errors] == [(2, "grade_not_taught")]


def test_conflicting_rows_for_one_student_are_refused(world):
    rows = copy.deepcopy(GOOD_ROWS)
    rows[1][3] = "李小明"  # same student number, another name
    roster_import = _import(world, csv_bytes(rows))
    assert [(e["row"], e["code"], e["params"]["row"]) for e in roster_import.errors] == [(3, "student_conflict", 2)]


def test_two_primary_contacts_are_refused(world):
    rows = copy.deepcopy(GOOD_ROWS)
    rows[1][16] = "是"
    assert [e["code"] for e in _import(world, csv_bytes(rows)).errors] == ["two_primaries"]


def test_missing_column_names_the_column(world):
    header = [h for h in HEADER if h != "学号"]
    rows = [[c for i, c in enumerate(r) if i != 2] for r in GOOD_ROWS]
    roster_import = _import(world, csv_bytes(rows, header=header))
    assert [(e["code"], e["column"]) for e in roster_import.errors] == [("missing_column", "student_number")]
    with translation.override("en"):
        assert "Student number" in error_message(roster_import.errors[0])


def test_binary_garbage_is_refused_as_a_file_error(world):
    roster_import = _import(world, b"\xff\xfe\x00\x81\x00" * 50)
    assert [e["code"] for e in roster_import.errors] == ["encoding"]
    assert roster_import.status == ImportStatus.REFUSED


def test_damaged_xlsx_is_refused(world):
    roster_import = _import(world, b"PK\x03\x04" + b"\x00" * 100)
    assert [e["code"] for e in roster_import.errors] == ["unreadable"]


def test_applying_twice_applies_once(world):
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    services.roster_import_apply(import_id=roster_import.pk)
    again = services.roster_import_apply(import_id=roster_import.pk)
    assert again.status == ImportStatus.APPLIED
    with pytest.raises(services.ImportNotApplicable):
        services.roster_import_request_apply(roster_import=again)


def test_a_roster_that_went_stale_between_preview_and_apply_is_refused_at_apply(world, settings):
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    world.school_a.kind = "primary"  # grades 7-8 are no longer taught here
    world.school_a.save()
    services.roster_import_apply(import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.REFUSED
    assert not Student.objects.filter(student_number="20260001").exists()


def test_upload_preview_and_apply_through_the_pages(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["counselor_a"])
    upload = SimpleUploadedFile("list.csv", csv_bytes(GOOD_ROWS), content_type="text/csv")
    response = client.post(reverse("roster_import_new"), {"school": world.school_a.pk, "file": upload})
    roster_import = RosterImport.objects.latest("created_at")
    assert response.status_code == 302 and response["Location"] == reverse(
        "roster_import_detail", args=[roster_import.pk]
    )
    page = client.get(response["Location"])
    assert "应用此导入" in page.content.decode()  # the apply button, in Chinese
    assert not Student.objects.filter(student_number="20260001").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"])  # apply: enqueued on commit to the bulk queue (inline in unit tests)
    assert Student.objects.filter(school=world.school_a, student_number="20260001").exists()
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.APPLIED


def test_refused_upload_shows_each_row_problem_on_the_page(world, login):
    client = login(world.users["counselor_a"])
    world.users["counselor_a"].language = "en"
    world.users["counselor_a"].save()
    rows = copy.deepcopy(GOOD_ROWS)
    rows[2][5] = "yesterday"
    upload = SimpleUploadedFile("list.csv", csv_bytes(rows), content_type="text/csv")
    response = client.post(reverse("roster_import_new"), {"school": world.school_a.pk, "file": upload}, follow=True)
    html = response.content.decode()
    assert "yesterday is not a date: write it as 2014-09-01." in html
    assert "Nothing was changed" in html


def test_counselor_cannot_import_into_another_school(world, login):
    client = login(world.users["counselor_b"])
    upload = SimpleUploadedFile("list.csv", csv_bytes(GOOD_ROWS), content_type="text/csv")
    response = client.post(reverse("roster_import_new"), {"school": world.school_a.pk, "file": upload})
    assert response.status_code == 200  # the form refuses the school as an invalid choice
    assert not RosterImport.objects.filter(school=world.school_a, uploaded_by=world.users["counselor_b"]).exists()
    api = client.post(reverse("roster-import-list"), {"school": world.school_a.pk, "file": SimpleUploadedFile(
        "list.csv", csv_bytes(GOOD_ROWS))})  # fmt: skip
    assert api.status_code == 400
    assert not RosterImport.objects.filter(school=world.school_a, uploaded_by=world.users["counselor_b"]).exists()


def test_import_through_the_api(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["counselor_a"])
    upload = SimpleUploadedFile("list.xlsx", xlsx_bytes(GOOD_ROWS))
    created = client.post(reverse("roster-import-list"), {"school": world.school_a.pk, "file": upload})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "previewed" and body["plan"]["students_new"] == 3 and body["row_errors"] == []
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("roster-import-apply", args=[body["id"]]))
    assert applied.status_code == 202
    assert client.get(reverse("roster-import-detail", args=[body["id"]])).json()["status"] == "applied"
    again = client.post(reverse("roster-import-apply", args=[body["id"]]))
    assert again.status_code == 409


def test_api_reports_row_errors_in_the_callers_language(world, login):
    world.users["counselor_a"].language = "en"  # a signed-in user's saved language wins over the browser's
    world.users["counselor_a"].save()
    client = login(world.users["counselor_a"])
    rows = copy.deepcopy(GOOD_ROWS)
    rows[0][12] = "555"
    upload = SimpleUploadedFile("list.csv", csv_bytes(rows))
    body = client.post(
        reverse("roster-import-list"), {"school": world.school_a.pk, "file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()
    assert body["status"] == "refused"
    assert body["row_errors"][0]["row"] == 2
    assert body["row_errors"][0]["message"] == "555 is not a mobile number: write 11 digits starting with 1."


def test_a_mobile_on_record_for_another_guardian_is_refused(world):
    """A typo or a recycled number must not hand a child to another family's login."""
    rows = [r[:] for r in GOOD_ROWS[2:3]]
    rows[0][12] = world.guardian_x.mobile  # parent_x's number, with another name
    before = _snapshot(world.school_a)
    roster_import = _import(world, csv_bytes(rows))
    assert [(e["row"], e["code"]) for e in roster_import.errors] == [(2, "guardian_on_record")]
    assert _snapshot(world.school_a) == before
    assert set(Student.objects.visible_to(world.users["parent_x"])) == {world.student_x}


def test_the_same_guardian_for_siblings_is_linked_to_both(world):
    rows = copy.deepcopy(GOOD_ROWS[:1]) + [r[:] for r in GOOD_ROWS[2:3]]
    rows[1][10:13] = rows[0][10:13]  # 张静's guardian is 李建国 too
    rows[1][13:17] = rows[0][13:17]
    _import(world, csv_bytes(rows))
    guardian = Guardian.objects.get(school=world.school_a, mobile="13811110001")
    assert set(guardian.students.values_list("student_number", flat=True)) == {"20260001", "20260002"}


def test_a_guardian_repeated_with_other_details_is_refused(world):
    rows = copy.deepcopy(GOOD_ROWS[:1]) + [r[:] for r in GOOD_ROWS[2:3]]
    rows[1][10:13] = rows[0][10:13]
    rows[1][15] = "邮件"
    rows[1][13] = "other@example.com"
    assert [e["code"] for e in _import(world, csv_bytes(rows)).errors] == ["guardian_details_conflict"]


def test_a_reimport_without_optional_columns_keeps_what_is_on_record(world):
    _import(world, csv_bytes(GOOD_ROWS))
    keep = [
        HEADER.index(h)
        for h in ("年级", "班级", "学号", "姓名", "性别", "出生日期", "监护人姓名", "监护人关系", "监护人手机")
    ]
    slim = [[row[i] for i in keep] for row in GOOD_ROWS]
    second = _import(world, csv_bytes(slim, header=[HEADER[i] for i in keep]))
    assert second.status == ImportStatus.APPLIED
    assert second.plan["students_updated"] == 0 and second.plan["guardians_updated"] == 0
    assert Student.objects.get(student_number="20260001").left_behind is True
    wang = Guardian.objects.get(school=world.school_a, mobile="13811110002")
    assert (wang.email, wang.language, wang.channel) == ("wf@example.com", "en", "email")
    li = Student.objects.get(student_number="20260001")
    assert li.guardian_links.get(is_primary=True).guardian.mobile == "13811110001"


def test_marking_a_new_guardian_no_keeps_the_primary_contact(world):
    x_primary = world.guardian_x
    row = ["7", "1班", world.student_x.student_number, world.student_x.name, "女", "2013-05-01", "否", "否", "否", "否",
           "赵敏", "父亲", "13899990000", "", "", "", "否"]  # fmt: skip
    assert _import(world, csv_bytes([row])).status == ImportStatus.APPLIED
    assert world.student_x.guardian_links.get(is_primary=True).guardian == x_primary
    assert world.student_x.guardian_links.count() == 2


def test_errors_point_at_the_spreadsheet_row_after_blank_rows(world):
    rows = copy.deepcopy(GOOD_ROWS)
    rows[3][4] = "?"
    with_blanks = [rows[0], [""] * 17, rows[1], [""] * 17, rows[2], rows[3]]
    errors = _import(world, csv_bytes(with_blanks)).errors
    assert [(e["row"], e["code"]) for e in errors] == [(7, "bad_gender")]


def test_xlsx_date_cells_import_as_dates(world):
    content = sheet_bytes([HEADER[:6], [7, "1班", 20269999, "陈晨", "女", dt.datetime(2013, 4, 5)]])  # noqa: DTZ001 - naive in Excel
    assert _import(world, content).status == ImportStatus.APPLIED
    assert Student.objects.get(student_number="20269999").birth_date == dt.date(2013, 4, 5)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (csv_bytes([["²", "1班", "1", "甲", "男", "2013-01-01"]], header=HEADER[:6]), "not_a_grade"),
        (csv_bytes([["7", "1班", "1", "甲\x00", "男", "2013-01-01"]], header=HEADER[:6]), "bad_characters"),
        (csv_bytes([["7", "1班", "1", "甲" * 140_000, "男", "2013-01-01"]], header=HEADER[:6]), "unreadable"),
        (xlsx_bytes(GOOD_ROWS)[:-200], "unreadable"),
    ],
    ids=["superscript-grade", "nul-in-csv", "huge-cell", "truncated-xlsx"],
)
def test_malformed_files_get_an_error_not_a_crash(world, login, content, code):
    client = login(world.users["counselor_a"])
    upload = SimpleUploadedFile("list.csv", content)
    response = client.post(reverse("roster-import-list"), {"school": world.school_a.pk, "file": upload})
    assert response.status_code == 201
    assert response.json()["status"] == "refused"
    assert code in {e["code"] for e in RosterImport.objects.get(pk=response.json()["id"]).errors}


def test_control_characters_in_a_cell_are_refused_with_their_row(world):
    rows = copy.deepcopy(GOOD_ROWS)
    rows[0][3] = rows[1][3] = "李\x07明"
    errors = _import(world, csv_bytes(rows)).errors
    assert {(e["row"], e["code"]) for e in errors} == {(2, "bad_characters"), (3, "bad_characters")}


def test_a_failure_mid_apply_changes_nothing_and_says_so(world, monkeypatch):
    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    services.roster_import_request_apply(roster_import=roster_import)
    before = _snapshot(world.school_a)

    def broken(entries):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "append", broken)  # fails after every row has been written
    with pytest.raises(RuntimeError):
        services.roster_import_apply(import_id=roster_import.pk)
    assert _snapshot(world.school_a) == before
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.FAILED
    with translation.override("en"):
        assert error_message(roster_import.errors[0]).startswith(f"Applying import {roster_import.pk} failed")


def test_a_queued_import_whose_task_was_lost_can_be_queued_again(world):
    from django.utils import timezone

    roster_import = services.roster_import_create(
        school=world.school_a, uploaded_by=world.users["counselor_a"], filename="l.csv", content=csv_bytes(GOOD_ROWS)
    )
    services.roster_import_request_apply(roster_import=roster_import)
    with pytest.raises(services.ImportNotApplicable):  # queued a moment ago: not twice
        services.roster_import_request_apply(roster_import=roster_import)
    RosterImport.objects.filter(pk=roster_import.pk).update(queued_at=timezone.now() - services.STALE_APPLY * 2)
    services.roster_import_request_apply(roster_import=roster_import)
    services.roster_import_apply(import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.APPLIED
