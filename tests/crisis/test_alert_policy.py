"""One alert policy for every source (crisis.alerts.case_raised): the school's counselors and leaders hear of a
tier 2-3 concern whatever raised it, in words, and again for each new critical answer on an open case."""

from django.urls import reverse
from django.utils import timezone, translation

from counseling import services as counseling
from crisis.models import Case
from portal.models import InboxMessage, Notification
from screening import services as screening
from screening.models import Response
from tests.screening.conftest import consent, participation_of
from tests.screening.test_submission_api import PHQ_CALM, _post


def _alerts(user, kind):
    return Notification.objects.filter(user=user, kind=kind)


def test_a_session_record_that_raises_tier_2_alerts_the_school_in_words(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = counseling.session_record_create(
            student=world.student_w, author=world.users["counselor_a"], held_on=timezone.localdate(),
            attendance="attended", session_type="individual", summary="……", raise_tier=2,
        )  # fmt: skip
    case = Case.objects.get(student=world.student_w)
    assert (case.source, case.suggested_tier) == ("session", 2)
    assert case.evidence[-1]["session_record"] == record.pk
    for name in ("counselor_a", "leader_a"):
        [message] = InboxMessage.objects.filter(user=world.users[name], delivery__notification__kind="case_risk_alert")
        assert "Xiao W" in message.subject
        with translation.override("zh-hans"):
            assert "严重（二级）" in message.body and "辅导" in message.body
    assert not _alerts(world.users["counselor_b"], "case_risk_alert").exists()  # another school's


def test_a_tier_1_concern_alerts_nobody(world):
    counseling.session_record_create(
        student=world.student_w, author=world.users["counselor_a"], held_on=timezone.localdate(),
        attendance="attended", session_type="individual", summary="……", raise_tier=1,
    )  # fmt: skip
    assert not Notification.objects.filter(kind__in=["case_risk_alert", "screening_risk_alert"]).exists()


def test_a_mailbox_writer_identified_at_tier_3_alerts_the_school(world):
    message = counseling.mailbox_post(school=world.school_a, body="不想活了").message
    counseling.mailbox_identify(message=message, student=world.student_w, by=world.users["counselor_a"], tier=3)
    assert _alerts(world.users["leader_a"], "case_risk_alert").get().context["source"] == "mailbox"


def test_each_new_critical_answer_on_an_open_case_alerts_again_once(world, client, django_capture_on_commit_callbacks):
    """Y already has a pending case at school B. A critical PHQ-9 answer, then a positive ASQ (both tier 2), each
    reach the case's evidence and alert school B's counselor once; triaging the first answer again alerts nobody."""
    counselor = world.users["counselor_b"]
    participation = participation_of(world.campaign_a, world.student_y)
    consent(participation)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, answers={**PHQ_CALM, "9": 2}).status_code == 201
    assert _alerts(counselor, "screening_risk_alert").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, "asq", {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}).status_code == 201
    assert _alerts(counselor, "screening_risk_alert").count() == 2
    case = Case.objects.get(pk=world.case_y.pk)
    assert case.suggested_tier == 2  # the same tier: the alert is for the new answer, not a new tier
    instruments = [e["instrument"] for raised in case.evidence for e in raised.get("screening", [])]
    assert instruments.count("phq9") >= 1 and instruments.count("asq") >= 1
    phq9 = Response.objects.get(participation=participation, instrument__code="phq9")
    with django_capture_on_commit_callbacks(execute=True):
        screening.triage_urgent(phq9.pk)
        screening._triage({participation.pk}, {phq9.pk})
    assert _alerts(counselor, "screening_risk_alert").count() == 2


def test_validity_flags_stand_beside_the_suggested_tier_on_the_case_and_the_list(
    world, client, login, django_capture_on_commit_callbacks
):
    """All 2s in ten seconds: the case says so in words next to its suggested tier; the alert still went out."""
    participation = participation_of(world.campaign_a, world.student_w)
    consent(participation)
    hurried = {str(n): 2 for n in range(1, 10)}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, participation.code, answers=hurried).status_code == 201
    case = Case.objects.get(student=world.student_w)
    assert "identical_answers" in case.review_flags
    assert _alerts(world.users["counselor_a"], "screening_risk_alert").exists()  # never suppressed
    counselor = login(world.users["counselor_a"])
    for page in (reverse("crisis:ledger"), reverse("crisis:case", args=[case.pk])):
        text = counselor.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "所有题目选择了同一答案" in text and "identical_answers" not in text, page
