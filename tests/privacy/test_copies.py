"""A copy of a child's record (PIPL art. 45; issue 24, item 7): a parent asks, a counselor of the child's school
prepares it, the school's leader approves or refuses it with a reason the family reads, the family downloads a PDF
(in words, never the private notes); a 15-day deadline, overdue in words; the safeguarding flag holds a guardian's
request for the leader and keeps the cases out of the copy; a student of 14 or older asks in person."""

from __future__ import annotations

import datetime as dt
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from crisis.models import Case
from crisis.services import follow_up_log
from portal.models import AuditEvent
from privacy import copies, selectors
from privacy.models import CopyRequest, CopyStatus
from screening.models import Participation, Response, ResponseStatus
from screening.services import latest_instruments

MONDAY = dt.datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOTES = "家中有变故"  # world.record_x's private notes
SUMMARY = "谈了学习压力"  # its summary, for the school's counselors only
FOLLOW_UP = "孩子说父亲喝酒后打人"  # a follow-up's words: clinical notes, never in a copy


def _text(pdf: bytes) -> str:
    """The PDF's text as a reader's viewer extracts it (poppler's pdftotext)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode()  # fmt: skip


@pytest.fixture
def record(world):
    return student_x_record(world)


def student_x_record(world):
    """Student X's record: a PHQ-9 of 12 (moderate), a session record with notes, a follow-up on case X, a booking."""
    phq9 = latest_instruments()["phq9"]
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_x)
    Response.objects.create(
        participation=participation, instrument=phq9, status=ResponseStatus.SCORED, valid=True, total=12,
        band="moderate", positive=True, suggested_tier=2, submitted_at=MONDAY - dt.timedelta(days=20),
        scored_at=MONDAY - dt.timedelta(days=20), scored_with=phq9, answers={"9": 0},
    )  # fmt: skip
    world.record_x  # noqa: B018 - the session record, with its private notes
    follow_up_log(case=world.case_x, by=world.users["counselor_a"], date=MONDAY.date() - dt.timedelta(days=3),
                  contact_type="home_visit", summary=FOLLOW_UP, next_step=FOLLOW_UP)  # fmt: skip
    world.booking_x  # noqa: B018
    return world


def _post(login, user, route: str, pk: int, data: dict | None = None):
    return login(user).post(reverse(route, args=[pk]), data or {})


def test_the_full_path_parent_asks_counselor_prepares_leader_approves_parent_downloads(record, login):
    world = record
    parent, counselor, leader = world.users["parent_x"], world.users["counselor_a"], world.users["leader_a"]
    with time_machine.travel(MONDAY, tick=False):
        page = login(parent).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert reverse("privacy:ask", args=[world.student_x.pk]) in page  # on the child's page
        assert "第四十五条" in login(parent).get(reverse("privacy:ask", args=[world.student_x.pk])).content.decode()
        response = _post(login, parent, "privacy:ask", world.student_x.pk)
        assert response.status_code == 302
        _post(login, parent, "privacy:ask", world.student_x.pk)  # a second tap asks once
        copy = CopyRequest.objects.get()
        assert (copy.status, copy.requester, copy.due_on) == ("requested", "guardian", dt.date(2026, 10, 27))
        page = login(parent).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert "学校正在准备副本" in page and "2026-10-27" in page

        listed = login(counselor).get(reverse("privacy:requests")).content.decode()
        assert world.student_x.name in listed and "还剩 15 天" in listed
        assert reverse("privacy:requests") in login(counselor).get(reverse("home")).content.decode()  # the nav
        assert _post(login, counselor, "privacy:approve", copy.pk).status_code == 404  # a counselor never approves
        _post(login, counselor, "privacy:prepare", copy.pk)
        copy.refresh_from_db()
        assert copy.status == "prepared" and copy.prepared_by == counselor
        assert login(parent).get(reverse("privacy:download", args=[copy.pk])).status_code == 404  # not yet

    with time_machine.travel(MONDAY + dt.timedelta(days=2), tick=False):
        preview = login(leader).get(reverse("privacy:request", args=[copy.pk])).content.decode()
        assert "中度" in preview and NOTES not in preview and FOLLOW_UP not in preview
        _post(login, leader, "privacy:approve", copy.pk)
        copy.refresh_from_db()
        assert copy.status == "approved" and copy.decided_by == leader

        page = login(parent).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert "可以下载" in page and reverse("privacy:download", args=[copy.pk]) in page
        download = login(parent).get(reverse("privacy:download", args=[copy.pk]))
    assert download["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF")
    text = _text(download.content)
    for words in (world.student_x.name, "患者健康问卷（PHQ-9）", "中度", "12", "关注记录", "严重（二级）", "家访"):
        assert words in text, words
    for never in (NOTES, SUMMARY, FOLLOW_UP, "moderate", "home_visit", world.users["parent_x"].username):
        assert never not in text, never
    actions = list(AuditEvent.objects.filter(object_type="privacy.copyrequest").values_list("action", flat=True))
    for action in ("copyrequest.ask", "copyrequest.prepare", "copyrequest.approve", "copyrequest.download"):
        assert actions.count(action) == 1, action
    assert AuditEvent.objects.filter(action="copyrequest.download", student_id=world.student_x.pk).exists()


def test_the_deadline_shows_overdue_after_fifteen_days(world, login):
    counselor, leader = world.users["counselor_a"], world.users["leader_a"]
    for user in (counselor, leader):
        user.language = "en"
        user.save()
    with time_machine.travel(MONDAY, tick=False):
        copy = copies.copy_ask(student=world.student_x, parent=world.users["parent_x"])
    with time_machine.travel(MONDAY + dt.timedelta(days=15), tick=False):
        page = login(counselor).get(reverse("privacy:requests")).content.decode()
        assert "Due today (2026-10-27)" in page and "Overdue" not in page
    with time_machine.travel(MONDAY + dt.timedelta(days=16), tick=False):
        for user in (counselor, leader):
            page = login(user).get(reverse("privacy:requests")).content.decode()
            assert "Overdue by 1 day (it was due 2026-10-27)" in page, user
            assert "Overdue by 1 day" in login(user).get(reverse("home")).content.decode()  # the worklist
        assert "Overdue by 1 day" in login(counselor).get(reverse("privacy:request", args=[copy.pk])).content.decode()
    with time_machine.travel(MONDAY + dt.timedelta(days=20), tick=False):
        assert selectors.deadline(copy).text == "Overdue by 5 days (it was due 2026-10-27)"
        copies.copy_refuse(copy=copy, by=leader, reason="这份记录已在上周当面交给您。")
        copy.refresh_from_db()
        assert selectors.deadline(copy) is None  # answered: no longer counted


def test_a_refusal_needs_a_reason_the_family_then_reads(world, login):
    leader, parent = world.users["leader_a"], world.users["parent_x"]
    with time_machine.travel(MONDAY, tick=False):
        copy = copies.copy_ask(student=world.student_x, parent=parent)
        page = _post(login, leader, "privacy:refuse", copy.pk, {"reason": "不行"})
        assert page.status_code == 200
        assert "请给家长写一个至少十个字的理由" in page.content.decode()  # next to the field
        copy.refresh_from_db()
        assert copy.status == "requested" and not AuditEvent.objects.filter(action="copyrequest.refuse").exists()
        reason = "孩子已转学，档案已随学籍转至新学校，请向新学校申请。"
        assert _post(login, leader, "privacy:refuse", copy.pk, {"reason": reason}).status_code == 302
        copy.refresh_from_db()
        assert (copy.status, copy.refusal, copy.decided_by) == ("refused", reason, leader)
        page = login(parent).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert "已拒绝" in page and reason in page
        assert login(parent).get(reverse("privacy:download", args=[copy.pk])).status_code == 404
        assert reverse("privacy:ask", args=[world.student_x.pk]) in page  # they may ask again
        assert AuditEvent.objects.filter(action="copyrequest.refuse", student_id=world.student_x.pk).count() == 1


def test_another_family_and_another_school_get_404(world, login):
    with time_machine.travel(MONDAY, tick=False):
        copy = copies.copy_ask(student=world.student_x, parent=world.users["parent_x"])
        copies.copy_prepare(copy=copy, by=world.users["counselor_a"])
        copies.copy_approve(copy=copy, by=world.users["leader_a"])
        other_parent, other_counselor = world.users["parent_y"], world.users["counselor_b"]
        assert login(other_parent).get(reverse("privacy:download", args=[copy.pk])).status_code == 404
        assert login(other_parent).post(reverse("privacy:ask", args=[world.student_x.pk])).status_code == 404
        for route in ("privacy:request", "privacy:download"):
            assert login(other_counselor).get(reverse(route, args=[copy.pk])).status_code == 404
        assert login(world.users["teacher_a"]).get(reverse("privacy:download", args=[copy.pk])).status_code == 404
        assert CopyRequest.objects.count() == 1


def test_a_guardians_request_is_held_while_the_family_may_not_be_contacted_and_the_copy_never_holds_the_case(
    record, login
):
    world = record
    parent, counselor, leader = world.users["parent_x"], world.users["counselor_a"], world.users["leader_a"]
    Case.objects.filter(pk=world.case_x.pk).update(guardian_contact_blocked="risk_at_home")
    with time_machine.travel(MONDAY, tick=False):
        _post(login, parent, "privacy:ask", world.student_x.pk)
        copy = CopyRequest.objects.get()
        assert copy.status == "held"
        page = login(parent).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert "学校正在准备副本" in page and "暂缓" not in page  # the family is not told of the flag
        _post(login, counselor, "privacy:prepare", copy.pk)  # the leader decides first
        copy.refresh_from_db()
        assert copy.status == "held"
        detail = login(leader).get(reverse("privacy:request", args=[copy.pk])).content.decode()
        assert "风险可能来自家庭" in detail and reverse("privacy:release", args=[copy.pk]) in detail
        _post(login, leader, "privacy:release", copy.pk)
        _post(login, counselor, "privacy:prepare", copy.pk)
        copy.refresh_from_db()
        assert copy.status == "prepared" and copy.contents["cases"] == []
        _post(login, leader, "privacy:approve", copy.pk)
        text = _text(login(parent).get(reverse("privacy:download", args=[copy.pk])).content)
    assert "中度" in text
    for never in ("关注记录", "危机", "家访", NOTES):  # no case (the screening's own suggested tier stays)
        assert never not in text, never


def test_a_flag_set_after_the_copy_was_prepared_still_keeps_the_case_out(record, login):
    world = record
    with time_machine.travel(MONDAY, tick=False):
        copy = copies.copy_ask(student=world.student_x, parent=world.users["parent_x"])
        copy = copies.copy_prepare(copy=copy, by=world.users["counselor_a"])
        assert copy.contents["cases"]  # prepared while the family could be contacted
        Case.objects.filter(pk=world.case_x.pk).update(guardian_contact_blocked="risk_at_home")
        copies.copy_approve(copy=copy, by=world.users["leader_a"])
        text = _text(login(world.users["parent_x"]).get(reverse("privacy:download", args=[copy.pk])).content)
    assert "中度" in text and "关注记录" not in text and "家访" not in text


def test_a_student_of_fourteen_asks_in_person_and_the_school_hands_the_copy_over(record, login):
    world = record
    counselor, leader = world.users["counselor_a"], world.users["leader_a"]
    with time_machine.travel(MONDAY, tick=False):
        page = login(counselor).get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        assert "未满 14 周岁" in page  # born 2013-05-01: 13
        _post(login, counselor, "privacy:record_for_student", world.student_x.pk)
        assert not CopyRequest.objects.exists()
        world.student_x.birth_date = dt.date(2012, 10, 12)  # 14 today
        world.student_x.save()
        assert _post(login, counselor, "privacy:record_for_student", world.student_x.pk).status_code == 302
        copy = CopyRequest.objects.get()
        assert (copy.requester, copy.asked_by, copy.status) == ("student", counselor, "requested")
        copies.copy_prepare(copy=copy, by=counselor)
        copies.copy_approve(copy=copy, by=leader)
        # The student's own request stays between the student and the school: their parent sees none of it.
        parent = login(world.users["parent_x"])
        assert parent.get(reverse("privacy:download", args=[copy.pk])).status_code == 404
        assert "当面" not in parent.get(reverse("student_detail", args=[world.student_x.pk])).content.decode()
        text = _text(login(counselor).get(reverse("privacy:download", args=[copy.pk])).content)
    assert "中度" in text and "关注记录" in text and "家访" in text and NOTES not in text


def test_a_name_beyond_the_fonts_plane_prints_a_placeholder_never_another_character(world):
    from privacy import pdf

    with time_machine.travel(MONDAY, tick=False):
        world.student_x.name = "吉𠮷<b>&"
        world.student_x.save()
        copy = copies.copy_ask(student=world.student_x, parent=world.users["parent_x"])
        copy = copies.copy_prepare(copy=copy, by=world.users["counselor_a"])
        text = _text(pdf.pdf(selectors.shown(copy)))
    assert "吉〓<b>&" in text


def test_a_step_on_a_request_that_moved_on_is_refused(world):
    with time_machine.travel(MONDAY, tick=False):
        copy = copies.copy_ask(student=world.student_x, parent=world.users["parent_x"])
        with pytest.raises(copies.CopyRefused):
            copies.copy_approve(copy=copy, by=world.users["leader_a"])  # not prepared yet
        copies.copy_refuse(copy=copy, by=world.users["leader_a"], reason="孩子已转学，请向新学校申请。")
        with pytest.raises(copies.CopyRefused):
            copies.copy_prepare(copy=copy, by=world.users["counselor_a"])
        assert CopyRequest.objects.get().status == CopyStatus.REFUSED
