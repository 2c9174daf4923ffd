"""The crisis ledger: raising cases, referrals, assessment, follow-ups and the high-risk list."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisis import selectors, services
from crisis.models import Case, FollowUp, FollowUpPolicy, Referral
from portal.models import AuditEvent
from tests import factories
from tests.conftest import USER_READS


def test_raising_opens_one_pending_case_and_never_lowers_its_tier(world):
    student = world.student_w
    case = services.case_raise(student=student, suggested_tier=2, source="screening", evidence={"phq9": 16})
    assert (case.status, case.suggested_tier) == ("pending", 2)
    again = services.case_raise(student=student, suggested_tier=1, source="teacher")
    assert again.pk == case.pk and again.suggested_tier == 2  # never lowered
    raised = services.case_raise(student=student, suggested_tier=3, source="screening", evidence={"phq9_item9": 2})
    assert raised.pk == case.pk and raised.suggested_tier == 3
    assert [{k: v for k, v in e.items() if k != "at"} for e in raised.evidence] == [{"phq9": 16}, {"phq9_item9": 2}]
    assert all(dt.datetime.fromisoformat(e["at"]) <= timezone.now() for e in raised.evidence)  # on the timeline
    assert Case.objects.filter(student=student).count() == 1


def test_the_database_refuses_a_second_open_case(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(student=world.student_x, source="other", suggested_tier=1)


def test_a_closed_case_lets_a_new_episode_open(world):
    services.case_close(case=world.case_x, reason="resolved", by=world.users["counselor_a"])
    new = services.case_raise(student=world.student_x, suggested_tier=1, source="parent")
    assert new.pk != world.case_x.pk and new.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_raises_for_one_student_end_in_one_case(world):
    student = world.student_w
    start = threading.Barrier(2)
    results, errors = [], []

    def raise_case(tier):
        try:
            start.wait()
            results.append(services.case_raise(student=student, suggested_tier=tier, source="screening").pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    for _round in range(5):
        Case.objects.filter(student=student).exclude(status="closed").update(
            status="closed", closed_at=timezone.now(), close_reason="other"
        )
        results.clear()
        threads = [threading.Thread(target=raise_case, args=(tier,)) for tier in (2, 3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(results)) == 1
        assert Case.objects.get(pk=results[0]).suggested_tier == 3


def test_a_class_teacher_refers_and_sees_only_that_it_arrived(world, login):
    client = login(world.users["teacher_a"])
    page = client.get(reverse("crisis:refer")).content.decode()
    assert world.student_x.name in page and world.student_w.name not in page  # only their own class
    response = client.post(
        reverse("crisis:refer"), {"student": world.student_x.pk, "concern": "最近总是一个人哭"}, follow=True
    )
    assert "已收到您的转介" in response.content.decode()
    referral = Referral.objects.get(referred_by=world.users["teacher_a"])
    assert referral.case == world.case_x  # joins the open case
    assert client.get(reverse("crisis:case", args=[referral.case.pk])).status_code == 404
    assert client.get(reverse("crisis:ledger")).status_code == 404


def test_a_teacher_cannot_refer_a_student_outside_their_class(world, login):
    response = login(world.users["teacher_a"]).post(reverse("crisis:refer"), {"student": world.student_w.pk,
                                                                              "concern": "x"})  # fmt: skip
    assert response.status_code == 200 and not Referral.objects.exists()


def test_confirming_tier_2_puts_the_student_on_the_high_risk_list(world, login):
    client = login(world.users["counselor_b"])
    html = client.get(reverse("crisis:ledger")).content.decode()
    assert "Xiao Y" in html.split("待评估")[1]  # pending, not yet on the list
    client.post(reverse("crisis:case_confirm", args=[world.case_y.pk]), {"tier": 2})
    world.case_y.refresh_from_db()
    assert (world.case_y.status, world.case_y.confirmed_tier, world.case_y.confirmed_by) == (
        "open", 2, world.users["counselor_b"])  # fmt: skip
    [row] = selectors.high_risk_list(world.users["counselor_b"])
    assert row.case == world.case_y and row.next_due == timezone.localdate() + dt.timedelta(days=7)


def test_overdue_follow_ups_come_first_and_a_district_policy_applies(world):
    FollowUpPolicy.objects.create(district=world.district_a, tier=2, every_days=3)
    Case.objects.filter(pk=world.case_x.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=10))
    factories.StudentFactory(classroom=world.class_a2)
    [row] = selectors.high_risk_list(world.users["counselor_a"])
    assert row.overdue_days == 7
    services.follow_up_log(case=world.case_x, by=world.users["counselor_a"], date=timezone.localdate(),
                           contact_type="talk", summary="谈话，情绪平稳")  # fmt: skip
    [row] = selectors.high_risk_list(world.users["counselor_a"])
    assert (row.overdue_days, row.next_due) == (0, timezone.localdate() + dt.timedelta(days=3))


def test_follow_up_notes_are_encrypted_at_rest_and_audited_without_content(world, login):
    client = login(world.users["counselor_a"])
    client.post(reverse("crisis:case_follow_up", args=[world.case_x.pk]),
                {"date": timezone.localdate().isoformat(), "contact_type": "guardian", "summary": "家访：父母离异",
                 "next_step": "下周再谈"})  # fmt: skip
    follow_up = FollowUp.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary, next_step FROM crisis_followup")
        summary, next_step = cursor.fetchone()
    assert "离异" not in summary and summary.startswith("gAAAAA") and "下周" not in next_step
    assert follow_up.summary == "家访：父母离异"
    html = client.get(reverse("crisis:case", args=[world.case_x.pk])).content.decode()
    assert "家访：父母离异" in html
    assert "离异" not in repr(list(AuditEvent.objects.values()))
    viewed = AuditEvent.objects.get(action="case.view")
    assert (viewed.student_id, viewed.school_id) == (world.student_x.pk, world.school_a.pk)


def test_a_future_follow_up_date_is_refused(world, login):
    client = login(world.users["counselor_a"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("crisis:case_follow_up", args=[world.case_x.pk]),
                           {"date": tomorrow, "contact_type": "talk", "summary": "x"}, follow=True)  # fmt: skip
    assert "不能为将来的日期" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_closed_case_leaves_the_list_and_cannot_be_changed(world, login):
    client = login(world.users["counselor_a"])
    client.post(reverse("crisis:case_close", args=[world.case_x.pk]), {"reason": "resolved"})
    assert selectors.high_risk_list(world.users["counselor_a"]) == []
    response = client.post(reverse("crisis:case_confirm", args=[world.case_x.pk]), {"tier": 3}, follow=True)
    assert "此个案已结案" in response.content.decode()
    world.case_x.refresh_from_db()
    assert (world.case_x.status, world.case_x.confirmed_tier) == ("closed", 2)


def test_the_case_follows_the_student_to_another_school(world):
    classroom_b = factories.ClassroomFactory(school=world.school_b, grade=7)
    world.student_x.school, world.student_x.classroom = world.school_b, classroom_b
    world.student_x.save()
    assert list(selectors.cases_for(world.users["counselor_b"]).filter(pk=world.case_x.pk)) == [world.case_x]
    assert not selectors.cases_for(world.users["counselor_a"]).filter(pk=world.case_x.pk).exists()


def test_officials_parents_and_operators_see_no_case(world, admin_user):
    for user in (world.users["official_a"], world.users["parent_x"], world.users["teacher_a"], admin_user):
        assert not selectors.cases_for(user).exists()


def test_the_high_risk_list_page_runs_a_constant_number_of_queries(world, login):
    client = login(world.users["counselor_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("crisis:ledger")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(15):
        student = factories.StudentFactory(classroom=world.class_a2)
        case = services.case_raise(student=student, suggested_tier=2, source="screening")
        services.case_confirm_tier(case=case, tier=3, by=world.users["counselor_a"])
        services.follow_up_log(case=case, by=world.users["counselor_a"], date=timezone.localdate(),
                               contact_type="talk", summary="x")  # fmt: skip
        services.case_raise(student=factories.StudentFactory(classroom=world.class_a2), suggested_tier=1,
                            source="teacher")  # fmt: skip
    # session, user with roles, device, the cases with their last contact, district policies, pending cases
    assert queries() == few == USER_READS + 4


def test_the_ledger_exports_to_xlsx_with_the_schools_cases_only(world, login):
    import io

    from openpyxl import load_workbook

    response = login(world.users["counselor_a"]).get(reverse("crisis:ledger_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "学生" and [r[3] for r in rows[1:]] == ["Xiao X"]  # not school B's Xiao Y
    assert AuditEvent.objects.filter(action="case.export", object_id=str(world.case_x.pk)).count() == 1


def test_raising_a_batch_keeps_the_rules_of_one_raise(world):
    services.case_raise(student=world.student_w, suggested_tier=3, source="teacher")
    closed = services.case_raise(student=world.student_z, suggested_tier=1, source="screening")
    services.case_close(case=closed, reason="resolved", by=world.users["counselor_a"])
    cases = services.case_raise_many(
        raises=[services.Raise(world.student_w, 2, {"n": 1}), services.Raise(world.student_y, 1),
                services.Raise(world.student_y, 2, {"n": 2}), services.Raise(world.student_z, 1)],
        source="screening",
    )  # fmt: skip
    assert cases[world.student_w.pk].suggested_tier == 3  # never lowered
    assert cases[world.student_w.pk].evidence[-1]["n"] == 1
    assert cases[world.student_y.pk].pk == world.case_y.pk and cases[world.student_y.pk].suggested_tier == 2
    assert Case.objects.filter(student=world.student_y).count() == 1  # joined, not duplicated
    assert Case.objects.filter(student=world.student_z).exclude(status="closed").count() == 1  # a new episode
    assert services.case_raise_many(raises=[], source="screening") == {}
