"""After hours: a tier 2-3 concern outside the school's hours pages whoever is on the district's duty roster at
once (SMS first), who can read the case and take it on, which stops the first-contact timer; with nobody on call,
the district's officials hear. In school hours the roster is not paged."""

import datetime as dt

import pytest
import time_machine

from crisis import services, timers
from crisis.models import Case, DutyShift, Responder, ResponderKind
from portal.models import Delivery, InboxMessage, Role, User
from tests import factories

CST = dt.timezone(dt.timedelta(hours=8))
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=CST)
TUESDAY_21 = dt.datetime(2026, 12, 1, 21, 0, tzinfo=CST)


@pytest.fixture
def on_call(world):
    user = factories.UserFactory(username="duty_a", first_name="Zhi", last_name="Ban", phone="13900000001")
    responder = Responder.objects.create(
        membership=factories.MembershipFactory(user=user, role=Role.RESPONDER, district=world.district_a),
        kind=ResponderKind.TEAM,
    )
    DutyShift.objects.create(
        district=world.district_a,
        responder=responder,
        created_by=world.users["official_a"],
        starts_at=TUESDAY_10.replace(hour=17),
        ends_at=TUESDAY_10 + dt.timedelta(hours=23),
    )
    User.objects.filter(pk=world.users["leader_a"].pk).update(phone="13900000009")
    return user


def _raise_at(moment, world, capture, tier=3):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return services.case_raise(student=world.student_w, suggested_tier=tier, source="screening", cause="r:1")


def _paged(user, kind="after_hours_case_alert"):
    return Delivery.objects.filter(notification__user=user, notification__kind=kind)


def test_a_critical_answer_at_night_pages_the_person_on_call_who_takes_it_on(
    world, on_call, login, django_capture_on_commit_callbacks
):
    case = _raise_at(TUESDAY_21, world, django_capture_on_commit_callbacks)
    assert set(_paged(on_call).values_list("channel", flat=True)) == {"sms", "inbox", "email"}
    sms = _paged(on_call).get(channel="sms")
    assert sms.address == "13900000001"
    [message] = InboxMessage.objects.filter(user=on_call)
    assert "13900000009" in message.body and "Xiao W" not in message.subject + message.body
    assert not _paged(world.users["official_a"], "after_hours_nobody_on_call").exists()

    with time_machine.travel(TUESDAY_21 + dt.timedelta(minutes=20), tick=False):
        client = login(on_call)
        page = client.get(f"/crisis/cases/{case.pk}/").content.decode()
        assert "Xiao W" in page and "我已接手" in page
        assert client.post(f"/crisis/cases/{case.pk}/take-on/").status_code == 302
        assert "值班人员 Zhi Ban 于" in client.get(f"/crisis/cases/{case.pk}/").content.decode()
    case.refresh_from_db()
    assert case.on_call_ack_by == on_call and case.status == "pending"  # the counselor still assesses it
    with time_machine.travel(TUESDAY_21 + dt.timedelta(hours=3), tick=False):
        assert timers.first_contact_due() == {"leaders": 0, "district": 0}  # the timer stopped


def test_with_no_leader_s_number_on_record_the_page_says_whom_to_call_instead(
    world, on_call, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=world.users["leader_a"].pk).update(phone="")
    _raise_at(TUESDAY_21, world, django_capture_on_commit_callbacks)
    [message] = InboxMessage.objects.filter(user=on_call)
    assert "学校领导均未登记手机号码" in message.body and "学校领导：。" not in message.body
    assert "学校办公室" in message.body  # someone to call, never an empty list


def test_in_school_hours_the_roster_is_not_paged(world, on_call, django_capture_on_commit_callbacks):
    _raise_at(TUESDAY_10, world, django_capture_on_commit_callbacks)
    assert not Delivery.objects.filter(notification__kind__startswith="after_hours").exists()
    assert InboxMessage.objects.filter(user=world.users["counselor_a"]).count() == 2  # the case alert is there


def test_a_weekend_concern_with_nobody_on_call_reaches_the_officials(world, django_capture_on_commit_callbacks):
    saturday = dt.datetime(2026, 12, 5, 11, 0, tzinfo=CST)
    _raise_at(saturday, world, django_capture_on_commit_callbacks, tier=2)
    paged = _paged(world.users["official_a"], "after_hours_nobody_on_call")
    assert set(paged.exclude(status="failed").values_list("channel", flat=True)) == {"inbox"}
    # No phone or e-mail on record for this official: those stay on record as failed, visible, not silent.
    assert set(paged.filter(last_error="no address on record").values_list("channel", flat=True)) == {"sms", "email"}
    assert not _paged(world.users["official_b"], "after_hours_nobody_on_call").exists()


def test_a_tier_1_concern_at_night_pages_nobody(world, on_call, django_capture_on_commit_callbacks):
    _raise_at(TUESDAY_21, world, django_capture_on_commit_callbacks, tier=1)
    assert not Delivery.objects.filter(notification__kind__startswith="after_hours").exists()


def test_officials_keep_the_roster_of_their_own_district(world, on_call, login):
    official = login(world.users["official_a"])
    page = official.get("/crisis/on-call/").content.decode()
    assert "Zhi Ban" in page and "13900000001" in page
    responder = Responder.objects.get(membership__user=on_call)
    bad = official.post("/crisis/on-call/", {"responder": responder.pk, "starts_at": "2030-01-02T18:00",
                                              "ends_at": "2030-01-02T08:00"})  # fmt: skip
    assert "值班结束时间须晚于开始时间。" in bad.content.decode() and DutyShift.objects.count() == 1
    good = official.post("/crisis/on-call/", {"responder": responder.pk, "starts_at": "2030-01-02T18:00",
                                               "ends_at": "2030-01-03T08:00"})  # fmt: skip
    assert good.status_code == 302 and DutyShift.objects.count() == 2
    shift = DutyShift.objects.latest("pk")
    assert login(world.users["official_b"]).post(f"/crisis/on-call/{shift.pk}/remove/").status_code == 404
    assert login(world.users["official_a"]).post(f"/crisis/on-call/{shift.pk}/remove/").status_code == 302
    assert not DutyShift.objects.filter(pk=shift.pk).exists()
    assert Case.objects.count() == 2  # nothing else changed


def test_only_the_person_paged_may_take_a_case_on(world, login):
    grant = world.grant_x  # an expert reading case X through an incident, not paged after hours
    client = login(grant.user)
    assert client.get(f"/crisis/cases/{world.case_x.pk}/").status_code == 200
    assert "我已接手" not in client.get(f"/crisis/cases/{world.case_x.pk}/").content.decode()
    assert client.post(f"/crisis/cases/{world.case_x.pk}/take-on/").status_code == 404
    assert Case.objects.get(pk=world.case_x.pk).on_call_ack_at is None
