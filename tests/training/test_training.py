"""Training and staffing: hours credited once, the waiting list, certificates that reveal nothing else, and
the figures the bureau publishes, hand-computed on the fixture district."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.models import SchoolYear, Term
from tests import factories
from tests.portal.rosters import sheet_bytes
from training import selectors, services
from training.models import Enrolment, LessonLog


def test_attendance_credits_hours_exactly_once(world, login):
    enrolment = world.enrolment_a
    client = login(world.users["official_a"])
    for _ in range(3):  # a double tap on the tablet, and a re-print marked again
        client.post(reverse("training:attendance", args=[enrolment.pk]), {"attended": "yes"})
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.hours_credited) == ("attended", 3)
    assert selectors.total_hours(world.users["counselor_a"].pk) == 3
    client.post(reverse("training:attendance", args=[enrolment.pk]), {"attended": "no"})  # too late to undo
    assert Enrolment.objects.get(pk=enrolment.pk).hours_credited == 3


def test_a_full_session_puts_the_next_on_the_waiting_list_and_promotes_on_cancellation(
    world, login, django_capture_on_commit_callbacks
):
    session = world.session_a  # 2 places
    first = services.enrol(session=session, user=world.users["counselor_a"])
    services.enrol(session=session, user=world.users["counselor_b"])
    waiting = services.enrol(session=session, user=world.users["teacher_a"])
    assert (first.status, waiting.status) == ("enrolled", "waiting")
    with pytest.raises(services.Refused):
        services.enrol(session=session, user=world.users["teacher_a"])  # once per session
    with django_capture_on_commit_callbacks(execute=True):
        login(world.users["counselor_a"]).post(reverse("training:enrolment_cancel", args=[first.pk]))
    waiting.refresh_from_db()
    session.refresh_from_db()
    assert (waiting.status, session.enrolled) == ("enrolled", 2)
    from portal.models import InboxMessage

    assert InboxMessage.objects.filter(
        user=world.users["teacher_a"], delivery__notification__kind="training_place_free"
    ).exists()


def test_a_certificate_verifies_by_code_and_reveals_nothing_else(world, client, login):
    enrolment = world.enrolment_a
    services.attendance_mark(enrolment=enrolment, attended=True)
    assert services.certificates_issue(programme=world.programme_a) == 1
    assert services.certificates_issue(programme=world.programme_a) == 0  # once
    certificate = world.users["counselor_a"].certificates.get()
    page = client.get(reverse("training:verify", args=[certificate.code.lower()]))
    html = page.content.decode()
    assert page.status_code == 200 and "沙盘游戏技术" in html and "3" in html
    user = world.users["counselor_a"]
    secrets = [world.school_a.name, "教师发展中心"] + ([user.email] if user.email else [])
    for secret in secrets:  # no school, no place, no address: name, programme, hours and date only
        assert secret not in html
    assert client.get(reverse("training:verify", args=["NOSUCHCODE"])).status_code == 404
    pdf = login(user).get(reverse("training:certificate_pdf", args=[certificate.pk]))
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert certificate.code in text and world.school_a.name not in text
    assert (
        login(world.users["counselor_b"]).get(reverse("training:certificate_pdf", args=[certificate.pk])).status_code
        == 404
    )


def _sheet(content: bytes) -> list[list]:
    """An XLSX download read back as a spreadsheet program reads it: the first sheet's rows of cell values."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_staffing_figures_match_the_fixture_district(world, login):
    # District A: counselor_a full-time at school A, counselor_b part-time at school B.
    factories.MembershipFactory(user=factories.UserFactory(), role="counselor", school=world.school_a,
                                employment="part_time")  # fmt: skip
    report = selectors.staffing(world.school_a.district.schools.all())
    assert [(r.school.name, r.full_time, r.part_time) for r in report.rows] == [("School A", 1, 1), ("School B", 0, 1)]
    assert (report.total, report.full_time, report.full_time_percent) == (3, 1, 33)
    assert [s.name for s in report.schools_without_full_time] == ["School B"]
    xlsx = login(world.users["official_a"]).get(reverse("training:staffing"), {"format": "xlsx"})
    rows = _sheet(xlsx.content)
    assert rows[1:] == [["School A", 1, 1, None], ["School B", 0, 1, "是"], ["合计", 1, 2, 1]]
    # A school leader sees their own school only.
    html = login(world.users["leader_a"]).get(reverse("training:staffing")).content.decode()
    assert "School A" in html and "School B" not in html


def test_person_times_and_the_share_trained_this_year(world):
    services.attendance_mark(enrolment=world.enrolment_a, attended=True)
    absent = services.enrol(session=world.session_a, user=world.users["counselor_b"])
    services.attendance_mark(enrolment=absent, attended=False)
    figures = selectors.year_figures(world.district_a, world.session_a.starts_at.year)
    assert (figures.person_times, figures.counselors, figures.counselors_trained, figures.trained_percent) == (
        1, 2, 1, 50
    )  # fmt: skip


def test_a_grade_is_logged_in_one_form_and_gaps_follow_the_standard(world, login):
    start = dt.date(2026, 9, 1)  # a Tuesday
    year = SchoolYear.objects.create(district=world.district_a, name="2026-2027", start=start, end=dt.date(2027, 7, 1))
    term = Term.objects.create(school_year=year, number=1, start=start, end=dt.date(2027, 1, 20), teaching_weeks=20)
    with time_machine.travel(dt.datetime(2026, 9, 29, 12, tzinfo=timezone.get_current_timezone()), tick=False):
        client = login(world.users["counselor_a"])
        client.post(reverse("training:curriculum"),
                    {"grade": 7, "held_on": "2026-09-08", "kind": "lesson", "topic": "认识情绪"})  # fmt: skip
        assert LessonLog.objects.count() == 2  # both grade-7 classes of school A, one form
        client.post(reverse("training:curriculum"),
                    {"grade": 7, "held_on": "2026-09-08", "kind": "lesson", "topic": "认识情绪"})  # fmt: skip
        assert LessonLog.objects.count() == 2  # the same lesson twice is logged once
        LessonLog.objects.create(classroom=world.class_a1, held_on=dt.date(2026, 9, 22), kind="class_meeting",
                                 topic="开学适应", logged_by=world.users["counselor_a"])  # fmt: skip
        rows = {r.classroom: r for r in selectors.curriculum(world.school_a.classrooms.all(), term)}
    # 1 Sept to 29 Sept is 29 days: 5 weeks begun, so 3 lessons due (one every two weeks).
    a1, a2 = rows[world.class_a1], rows[world.class_a2]
    assert (a1.lessons, a1.lessons_due, a1.lesson_gap, a1.meetings, a1.meets) == (1, 3, 2, 1, False)
    assert (a2.lessons, a2.meetings, a2.meets) == (1, 0, False)
    assert LessonLog.objects.get(classroom=world.class_a1, kind="lesson").teacher == world.users["teacher_a"]


def test_parents_sign_up_for_a_live_class_and_views_are_counted(world, login):
    episode = world.episode_a
    parent = login(world.users["parent_x"])
    assert "如何与青春期孩子沟通" in parent.get(reverse("training:parent_classes")).content.decode()
    parent.post(reverse("training:parent_signup", args=[episode.pk]))
    parent.post(reverse("training:parent_signup", args=[episode.pk]))  # once
    assert episode.signups.count() == 1
    assert parent.get(reverse("training:parent_watch", args=[episode.pk]))["Location"] == "https://example.org/v/1"
    official = login(world.users["official_a"])
    official.post(reverse("training:episode_views", args=[episode.pk]), {"views": "1250"})
    episode.refresh_from_db()
    assert (episode.views_counted, episode.views_imported, episode.views) == (1, 1250, 1251)
    html = official.get(reverse("training:parent_classes")).content.decode()
    assert "1251" in html  # episodes and views per year


def test_an_attendance_sheet_imports_with_row_errors_and_credits_once(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    enrolment = world.enrolment_a
    client = login(world.users["official_a"])
    bad = sheet_bytes([["用户名", "出勤"], ["counselor_a", "是"], ["nobody", "是"], ["counselor_a", "也许"]])
    page = client.post(reverse("training:attendance_import", args=[world.session_a.pk]),
                       {"file": SimpleUploadedFile("a.xlsx", bad)}, follow=True)  # fmt: skip
    html = page.content.decode()
    assert "第 3 行" in html and "第 4 行" in html
    assert Enrolment.objects.get(pk=enrolment.pk).status == "enrolled"  # nothing applied
    good = sheet_bytes([["用户名", "出勤"], ["counselor_a", "是"]])
    for _ in range(2):
        client.post(reverse("training:attendance_import", args=[world.session_a.pk]),
                    {"file": SimpleUploadedFile("a.xlsx", good)})  # fmt: skip
    assert Enrolment.objects.get(pk=enrolment.pk).hours_credited == 3


def test_the_teacher_roster_imports_with_row_errors(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.models import Membership
    from training.models import Qualification

    client = login(world.users["leader_a"])
    bad = sheet_bytes([["用户名", "专兼职", "资格", "证书编号", "发证日期", "学科背景"],
                 ["counselor_b", "专职", "", "", "", ""],  # school B: not this leader's
                 ["counselor_a", "半职", "", "", "", ""]])  # fmt: skip
    html = client.post(reverse("training:roster_import"), {"file": SimpleUploadedFile("r.xlsx", bad)},
                       follow=True).content.decode()  # fmt: skip
    assert "第 2 行" in html and "第 3 行" in html
    good = sheet_bytes([["用户名", "专兼职", "资格", "证书编号", "发证日期", "学科背景"],
                  ["counselor_a", "兼职", "国家二级心理咨询师", "2019-ABC-1", "2019-06-30", "心理学"]])  # fmt: skip
    client.post(reverse("training:roster_import"), {"file": SimpleUploadedFile("r.xlsx", good)})
    membership = Membership.objects.get(user=world.users["counselor_a"], role="counselor")
    qualification = Qualification.objects.get(user=world.users["counselor_a"])
    assert (membership.employment, qualification.kind, str(qualification.issued_on)) == (
        "part_time", "counselor_2", "2019-06-30"
    )  # fmt: skip


def test_the_hours_report_sums_each_teachers_credited_hours_by_kind(world, login):
    services.attendance_mark(enrolment=world.enrolment_a, attended=True)
    year = world.session_a.starts_at.year
    [row] = selectors.hours_report(world.district_a, year)
    assert (row.by_kind, row.total, row.school) == ({"skills": 3}, 3, "School A")
    client = login(world.users["official_a"])
    rows = _sheet(client.get(reverse("training:hours"), {"year": year, "format": "xlsx"}).content)
    name = world.users["counselor_a"].get_full_name() or world.users["counselor_a"].username
    assert len(rows) == 2 and rows[1][:2] == [name, "School A"] and rows[1][-1] == 3  # in number cells
    assert rows[1][2:-1] == [0, 3, 0, 0, 0, 0, 0, 0]  # hours by kind, skills the second
    assert (
        login(world.users["official_b"])
        .get(reverse("training:hours"), {"year": year})
        .content.decode()
        .count("School A")
        == 0
    )  # another district's official sees none of district A's teachers


def test_a_mis_tapped_absence_can_be_corrected_and_still_credits_once(world):
    enrolment = world.enrolment_a
    services.attendance_mark(enrolment=enrolment, attended=False)
    assert services.attendance_mark(enrolment=enrolment, attended=True) is True
    assert services.attendance_mark(enrolment=enrolment, attended=True) is False
    assert Enrolment.objects.get(pk=enrolment.pk).hours_credited == 3


def test_the_public_check_never_shows_a_login_name(world, client):
    user = world.users["counselor_a"]
    user.first_name = user.last_name = ""
    user.save()
    html = client.get(reverse("training:verify", args=[world.certificate_a.code])).content.decode()
    assert user.username not in html and "沙盘游戏技术" in html


def test_import_forms_stay_out_of_the_page_title(world, login):
    html = login(world.users["official_a"]).get(reverse("training:session", args=[world.session_a.pk])).content.decode()
    title = html.split("<title>")[1].split("</title>")[0]
    assert "csrfmiddlewaretoken" not in title and "<form" not in title
