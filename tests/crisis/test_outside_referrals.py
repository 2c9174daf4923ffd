"""Referral to a hospital or mental-health centre, with its outcome; and the case page's timeline."""

import datetime as dt

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crisis.models import Case, OutsideReferral, ReferralOutcome, Status


def _refer(client, case, **extra):
    data = {"place_kind": "hospital", "organisation": "市精神卫生中心", "referred_on": timezone.localdate().isoformat(),
            "reason": "持续失眠，自伤念头", **extra}  # fmt: skip
    return client.post(reverse("crisis:case_refer_out", args=[case.pk]), data, follow=True)


def test_a_counselor_refers_a_case_and_records_the_outcome_once(world, login):
    client = login(world.users["counselor_a"])
    _refer(client, world.case_x)
    world.case_x.refresh_from_db()
    assert world.case_x.status == Status.REFERRED
    referral = OutsideReferral.objects.get(case=world.case_x)
    with connection.cursor() as cursor:  # the reason is clinical: encrypted at rest
        cursor.execute("SELECT reason FROM crisis_outsidereferral WHERE id = %s", [referral.pk])
        assert "失眠" not in cursor.fetchone()[0]

    url = reverse("crisis:referral_outcome", args=[world.case_x.pk, referral.pk])
    today = timezone.localdate().isoformat()
    client.post(url, {"outcome": "outpatient", "outcome_on": today, "note": "门诊随访"})
    again = client.post(url, {"outcome": "admitted", "outcome_on": today}, follow=True)
    assert "此项已登记。" in again.content.decode()
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.OUTPATIENT and referral.outcome_note == "门诊随访"

    html = client.get(reverse("crisis:case", args=[world.case_x.pk])).content.decode()
    assert "转介至市精神卫生中心" in html and "门诊治疗" in html


def test_an_outcome_dated_before_the_referral_is_refused_and_changes_nothing(world, login):
    client = login(world.users["counselor_a"])
    _refer(client, world.case_x)
    referral = OutsideReferral.objects.get()
    before = (referral.referred_on - dt.timedelta(days=1)).isoformat()
    page = client.post(reverse("crisis:referral_outcome", args=[world.case_x.pk, referral.pk]),
                       {"outcome": "admitted", "outcome_on": before}, follow=True)  # fmt: skip
    assert "该日期早于转介日期。" in page.content.decode()
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.PENDING


def test_a_pending_case_is_assessed_before_it_is_referred(world, login):
    client = login(world.users["counselor_b"])
    page = _refer(client, world.case_y)
    assert "请先评估个案（确认等级）。" in page.content.decode()
    assert not OutsideReferral.objects.exists()
    assert Case.objects.get(pk=world.case_y.pk).status == Status.PENDING


def test_a_future_referral_date_is_refused(world, login):
    client = login(world.users["counselor_a"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page = _refer(client, world.case_x, referred_on=tomorrow)
    assert "不能登记未来日期的转介。" in page.content.decode()
    assert not OutsideReferral.objects.exists()


def test_the_timeline_shows_the_case_history_newest_first(world, login):
    client = login(world.users["teacher_a"])
    client.post(reverse("crisis:refer"), {"student": world.student_x.pk, "concern": "上课常哭"})
    counselor = login(world.users["counselor_a"])
    follow_up = {"date": timezone.localdate().isoformat(), "contact_type": "talk", "summary": "第一次面谈"}
    counselor.post(reverse("crisis:case_follow_up", args=[world.case_x.pk]), follow_up)
    html = counselor.get(reverse("crisis:case", args=[world.case_x.pk])).content.decode()
    html = html[html.index("<h2>时间线</h2>") :]
    for text in ("建档", "确认等级", "上课常哭", "第一次面谈"):
        assert text in html
    assert html.index("第一次面谈") < html.index("建档")  # newest first
