"""A student takes part with a code, one question per screen; a guardian's consent or refusal is respected."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from crisis.models import Case
from portal.models import InboxMessage, Notification
from screening import services
from screening.models import Consent, Participation, Response, ResponseStatus
from screening.views import REFUSALS
from tests.screening.conftest import answer, consent, participation_of

PHQ_CALM = [0] * 9
ASQ_NO = [0, 0, 0, 0]


def _answer_all(client, values):
    for value in values:
        response = answer(client, reverse("screening:question"), value)
        assert response.status_code == 302
    return response


def test_opening_invites_each_student_once_with_a_code_and_asks_the_guardians(world, campaign):
    invited = Participation.objects.filter(campaign=campaign)
    assert {p.student for p in invited} == {world.student_x, world.student_w, world.student_y}  # not school C's
    assert len({p.code_digest for p in invited}) == 3
    assert all(p.consent == Consent.PENDING for p in invited)  # under 14: consent needed whatever the mode
    requests = Notification.objects.filter(kind="screening_consent_request")
    assert {n.guardian for n in requests} == {world.guardian_x, world.guardian_y, world.student_w.guardians.get()}
    # Opening twice invites nobody twice.
    with pytest.raises(services.Refused):
        services.campaign_open(campaign=campaign, by=world.users["official_a"])


def _refusal(code: str) -> str:
    with translation.override("zh-hans"):  # as the page shows it
        return escape(str(REFUSALS[code]))


def test_a_student_completes_the_form_with_a_code_and_never_sees_a_score(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    response = client.post(reverse("screening:take"), {"code": participation.code.lower().replace("-", " ")})
    assert response["Location"] == reverse("screening:question")
    page = client.get(reverse("screening:question")).content.decode()
    assert "做事时提不起劲或没有兴趣" in page  # progress, not a score: "question 1 of 13"
    assert re.search(r'id="count">\D*1\D+13\D*</p>', page)
    with django_capture_on_commit_callbacks(execute=True):
        done = _answer_all(client, PHQ_CALM + ASQ_NO)  # the ASQ's question 5 is not asked after four "no"
    assert done["Location"] == reverse("screening:question")
    final = client.get(reverse("screening:question"))
    assert final["Location"] == reverse("screening:done")
    html = client.get(reverse("screening:done")).content.decode()
    assert "12356" in html and "total" not in html.lower()
    participation.refresh_from_db()
    assert participation.completed_at is not None
    assert list(Response.objects.filter(participation=participation).values_list("status", flat=True)) == [
        ResponseStatus.SCORED, ResponseStatus.SCORED
    ]  # fmt: skip
    assert participation.suggested_tier == 0 and not Case.objects.filter(student=world.student_x, source="screening")
    # The code is used up.
    again = client.post(reverse("screening:take"), {"code": participation.code})
    assert _refusal("completed") in again.content.decode()


def test_the_form_resumes_where_the_student_stopped(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    client.post(reverse("screening:take"), {"code": participation.code})
    _answer_all(client, [1, 2, 0])
    client.cookies.clear()  # another day, another PC
    client.post(reverse("screening:take"), {"code": participation.code})
    page = client.get(reverse("screening:question")).content.decode()
    assert "感觉疲倦或没有活力" in page  # item 4
    assert Response.objects.get(participation=participation).answers == {"1": 1, "2": 2, "3": 0}


def test_a_refusal_blocks_taking_part_and_a_pending_consent_waits(world, campaign, client, login):
    refused = participation_of(campaign, world.student_x)
    consent(refused, granted=False)
    page = client.post(reverse("screening:take"), {"code": refused.code}).content.decode()
    assert _refusal("refused") in page
    waiting = participation_of(campaign, world.student_w)
    page = client.post(reverse("screening:take"), {"code": waiting.code}).content.decode()
    assert _refusal("no_consent") in page
    assert not Response.objects.exists()
    # The class's code sheet shows no code for the refused student.
    staff = login(world.users["counselor_a"])
    sheet = staff.get(reverse("screening:codes", args=[campaign.pk, world.class_a1.pk])).content.decode()
    assert refused.code not in sheet and world.student_x.name in sheet


def test_wrong_codes_are_throttled(world, campaign, client, settings):
    settings.SCREENING_CODE_TRIES = 3
    for _ in range(3):
        client.post(reverse("screening:take"), {"code": "AAAA-AAAA"})
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    page = client.post(reverse("screening:take"), {"code": participation.code})
    assert page.status_code == 200 and _refusal("too_many") in page.content.decode()


def test_a_critical_answer_reaches_the_counselor_before_the_form_is_finished(
    world, campaign, client, django_capture_on_commit_callbacks
):
    participation = participation_of(campaign, world.student_y)
    consent(participation)
    client.post(reverse("screening:take"), {"code": participation.code})
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [0, 0, 0, 0, 0, 0, 0, 0, 2])  # PHQ-9 item 9: "more than half the days"
    case = Case.objects.get(student=world.student_y)
    assert case.suggested_tier == 2 and case.evidence[-1]["screening"][0]["instrument"] == "phq9"
    [alert] = InboxMessage.objects.filter(user=world.users["counselor_b"])
    assert "Xiao Y" in alert.subject
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, [1, 0, 0, 0, 1])  # ASQ: yes to 1, and yes to "right now"
    case.refresh_from_db()
    assert case.suggested_tier == 3  # raised, in the same open case
    assert Case.objects.filter(student=world.student_y).count() == 1


def test_answers_off_the_scale_are_refused_and_change_nothing(world, campaign, client):
    participation = participation_of(campaign, world.student_x)
    consent(participation)
    client.post(reverse("screening:take"), {"code": participation.code})
    answer(client, reverse("screening:question"), "7")
    answer(client, reverse("screening:question"), "x")
    answer(client, reverse("screening:question"), "²")  # a digit to Python's isdigit, not a number
    assert not Response.objects.filter(participation=participation).exclude(answers={}).exists()


def test_batteries_follow_the_grade(world, campaign):
    assert [i.code for i in services.battery_for(participation_of(campaign, world.student_x))] == ["phq9", "asq"]


def test_class_teachers_of_lagging_classes_are_reminded_once_a_day(
    world, campaign, login, django_capture_on_commit_callbacks
):
    for student in (world.student_x, world.student_w):
        consent(participation_of(campaign, student))
    client = login(world.users["counselor_a"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("screening:remind", args=[campaign.pk]))
        client.post(reverse("screening:remind", args=[campaign.pk]))  # the same day: nothing more
    [reminder] = InboxMessage.objects.filter(user=world.users["teacher_a"])
    assert "0" in reminder.subject and world.student_x.name not in reminder.subject + reminder.body
    assert services.remind_lagging_all() == 0  # already reminded today


def test_progress_per_class_for_staff_and_per_school_for_officials(world, campaign, login, django_assert_num_queries):
    consent(participation_of(campaign, world.student_x))
    consent(participation_of(campaign, world.student_y), granted=False)
    from screening import selectors

    with django_assert_num_queries(3):  # the roles (memberships, parent check), then one grouped count
        rows = selectors.progress(campaign, world.users["official_a"])
    assert [(r.label, r.invited, r.consented, r.refused, r.flagged) for r in rows] == [
        ("School A", 2, 1, 0, None), ("School B", 1, 0, 1, None)
    ]  # fmt: skip
    staff_rows = selectors.progress(campaign, world.users["counselor_a"])
    assert sum(r.invited for r in staff_rows) == 2 and all(r.flagged == 0 for r in staff_rows)
    page = login(world.users["official_b"]).get(reverse("screening:campaign", args=[campaign.pk]))
    assert page.status_code == 404  # another district's campaign


def test_an_official_sets_the_policy_and_may_only_lower_a_cut_off(world, login):
    from screening.models import ScreeningPolicy

    client = login(world.users["official_a"])
    data = {"consent_mode": "opt_out", "guardian_on_critical": "on", "cutoff_scared": "23"}
    assert client.post(reverse("screening:policy"), data).status_code == 302
    policy = ScreeningPolicy.objects.get(district=world.district_a)
    assert (policy.consent_mode, policy.guardian_on_critical, policy.positive_at) == ("opt_out", True, {"scared": 23})
    page = client.post(reverse("screening:policy"), {**data, "cutoff_phq9": "12"})  # above the published 10
    assert page.status_code == 200 and ScreeningPolicy.objects.get().positive_at == {"scared": 23}
    unlisted = client.post(reverse("screening:policy"), {**data, "cutoff_scared": "24"}).content.decode()
    assert "请选择经过验证的分界值：23, 25。" in unlisted  # SCARED's norms are 23 (Chinese) and 25 (published)
    assert ScreeningPolicy.objects.get().positive_at == {"scared": 23}


def test_over_14s_take_part_unless_refused_where_guardians_may_opt_out(world):
    import datetime as dt

    from screening.models import ScreeningPolicy

    ScreeningPolicy.objects.create(district=world.district_a, consent_mode="opt_out")
    world.student_w.birth_date = dt.date(2010, 1, 1)  # 16
    world.student_w.save()
    campaign = world.campaign_a
    assert participation_of(campaign, world.student_w).consent == Consent.NOT_NEEDED
    assert participation_of(campaign, world.student_x).consent == Consent.PENDING  # 13: PIPL art. 31


def test_the_psychological_file_shows_scores_over_the_years_to_counselors_only(
    world, campaign, login, django_capture_on_commit_callbacks
):
    import copy
    import datetime as dt

    from portal.models import SchoolYear

    participation = participation_of(campaign, world.student_x)
    consent(participation)
    phq = services.battery_for(participation)[0]
    with django_capture_on_commit_callbacks(execute=True):
        for item in range(1, 10):
            services.answer_save(participation=participation, instrument=phq, item=item, value=1 if item < 9 else 0)
    # Last year's campaign, with a lower total.
    year = SchoolYear.objects.create(district=world.district_a, name="2025-2026", start=dt.date(2025, 9, 1),
                                     end=dt.date(2026, 7, 1))  # fmt: skip
    old = copy.copy(campaign)
    old.pk, old.name, old.school_year, old.opens_on, old.closes_on = (
        None,
        "2025 普查",
        year,
        dt.date(2025, 9, 1),
        dt.date(2025, 9, 20),
    )
    old.save()
    past = Participation.objects.create(campaign=old, student=world.student_x, code="X", code_digest="x" * 64,
                                        consent="granted")  # fmt: skip
    Response.objects.create(
        participation=past, instrument=phq, answers={}, status="scored", total=3, band="minimal", suggested_tier=0,
        scored_at=timezone.now(), valid=True, positive=False, critical=False,
    )  # fmt: skip
    html = (
        login(world.users["counselor_a"])
        .get(reverse("screening:student_file", args=[world.student_x.pk]))
        .content.decode()
    )
    assert "2025 普查" in html and "(+5)" in html  # 8 now, 3 a year ago
    for persona in ("teacher_a", "parent_x", "official_a", "counselor_b"):
        assert (
            login(world.users[persona]).get(reverse("screening:student_file", args=[world.student_x.pk])).status_code
            == 404
        )
