"""The student's psychological file (心理档案) in words: instruments by name, bands, outcomes, flags and tiers as
words, and the counseling session records beside the screenings, each with its counselor's name and a link
(issue 20, items 3 and 6). Private notes only for whom counseling's rule lets read them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling.services import private_notes_share
from portal.models import AuditEvent
from screening.models import Participation, Response, ResponseStatus
from screening.services import latest_instruments


@pytest.fixture
def named(world):
    """Staff with names, reading English (the words are the catalogue's msgids)."""
    for persona, (first, last) in {"counselor_a": ("Fang", "Wang"), "leader_a": ("Ming", "Li")}.items():
        user = world.users[persona]
        user.first_name, user.last_name, user.language = first, last, "en"
        user.save()
    return world


def _scored(world, code: str, **result) -> Response:
    instrument = latest_instruments()[code]
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_x)
    now = timezone.now()
    return Response.objects.create(
        participation=participation, instrument=instrument, status=ResponseStatus.SCORED, valid=True,
        submitted_at=now, scored_at=now, scored_with=instrument, **result,
    )  # fmt: skip


def _file(login, world, persona: str) -> str:
    response = login(world.users[persona]).get(reverse("screening:student_file", args=[world.student_x.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_results_read_as_words(named, login):
    _scored(named, "phq9", total=7, band="mild", positive=False, suggested_tier=1,
            review_flags=["too_fast", "identical_answers"])  # fmt: skip
    _scored(named, "asq", outcome="non_acute_positive", positive=True, critical=False, suggested_tier=2)
    page = _file(login, named, "counselor_a")
    for words in ("Patient Health Questionnaire (PHQ-9) (2.0.0)", "Ask Suicide-Screening Questions (ASQ) (1.1.0)",
                  "Mild", "Positive screen, not acute", "Answered faster than the questions can be read",
                  "Same answer to every question", "General (tier 1)", "Severe (tier 2)"):  # fmt: skip
        assert words in page
    for code in ("non_acute_positive", "too_fast", "identical_answers", ">mild<", "phq9 ", "<td>2</td>"):
        assert code not in page


def test_a_session_record_appears_with_its_counselor_and_a_link(named, login):
    record = named.record_x
    page = _file(login, named, "leader_a")
    assert timezone.localdate().isoformat() in page
    assert "Fang Wang" in page
    assert "counselor_a" not in page
    assert reverse("counseling:record", args=[record.pk]) in page
    assert "谈了学习压力" in page  # the shareable summary


def test_the_private_notes_show_only_to_whom_counselings_rule_allows(named, login):
    record = named.record_x
    assert "家中有变故" in _file(login, named, "counselor_a")  # the author
    leader_page = _file(login, named, "leader_a")
    assert "家中有变故" not in leader_page
    assert "The private notes are the author" in leader_page
    private_notes_share(record=record, with_user=named.users["leader_a"], by=named.users["counselor_a"])
    assert "家中有变故" in _file(login, named, "leader_a")


def test_showing_the_records_is_audited_with_whether_notes_were_shown(named, login):
    record = named.record_x
    _file(login, named, "leader_a")
    event = AuditEvent.objects.filter(action="sessionrecord.view", actor_id=named.users["leader_a"].pk).get()
    assert event.detail["via"] == "student_file"
    assert event.detail["private_notes_shown"] == []
    assert event.object_id == str(record.pk)


def test_a_student_without_records_says_so(named, login):
    assert "No session record yet." in _file(login, named, "counselor_a")


def test_the_campaign_names_its_instruments(named, login):
    response = login(named.users["official_a"]).get(reverse("screening:campaign", args=[named.campaign_a.pk]))
    page = response.content.decode()
    assert "Patient Health Questionnaire (PHQ-9)" in page or "患者健康问卷（PHQ-9）" in page
    assert ">phq9 " not in page and "psc17y →" not in page


def test_the_campaigns_list_names_its_instruments(named, login):
    named.campaign_a  # noqa: B018 (PSC-17-Y for grades 4-6, PHQ-9 and ASQ for 7-12)
    response = login(named.users["official_a"]).get(reverse("screening:campaigns"))
    page = response.content.decode()
    for name in ("患者健康问卷（PHQ-9）", "自杀风险筛查问题（ASQ）", "儿童症状检查表（PSC-17-Y），学生自评版"):
        assert name in page
    for code in ("phq9", "psc17y", "asq;"):
        assert code not in page
