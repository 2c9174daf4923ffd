"""portal.labels: every code has words (issue 20, item 3), and the pages that showed codes now show them: the
access log as sentences about people by name, the on-call picker by full name."""

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from crisis.forms import DutyShiftForm
from crisis.models import Responder, Tier
from portal import labels
from portal.models import Role
from screening.definitions import DIRECTORY, load_file
from screening.models import ReviewFlag

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")


def _words(text: str) -> bool:
    return bool(text.strip()) and not CODE.search(text)


def _band_names() -> set[str]:
    return {band.name for path in DIRECTORY.glob("*.toml") for band in load_file(path).bands}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_code_has_words(language):
    with translation.override(language):
        assert _band_names() <= labels.BANDS.keys()  # a new band in a definition needs its words here
        for code in [*labels.BANDS]:
            assert _words(labels.band(code)), code
        for code in ("negative", "non_acute_positive", "acute_positive"):
            assert _words(labels.outcome(code)), code
        for flag in ReviewFlag:
            assert _words(labels.flag(flag.value)), flag
        for tier in Tier:
            assert labels.tier(tier.value) == str(tier.label)
            assert labels.tier(str(tier.value)) == str(tier.label)
        for role in [*Role.values, *labels.OTHER_ROLES]:
            assert _words(labels.role(role)), role
        for verb in labels.VERBS:
            event = SimpleNamespace(action=f"sessionrecord.{verb}", object_type="counseling.sessionrecord",
                                    object_id="1", detail={}, role="counselor", who="王芳")  # fmt: skip
            assert _words(labels.audit_event(event)), verb


@translation.override("en")
def test_codes_no_list_knows_still_read_as_words():
    assert labels.band("extreme") == "Other result"
    assert labels.tier(None) == "No tier suggested"
    assert labels.tier(9) == "Unknown tier"
    assert labels.role("counselor,leader,astronaut") == "Counselor · School leader · Other role"
    event = SimpleNamespace(action="gizmo.frobnicate", object_type="nowhere.gizmo", object_id="1", detail={},
                            role="system")  # fmt: skip
    assert labels.audit_event(event) == "The system (a scheduled task) recorded an action on the record."


def test_instruments_by_name_never_by_code():
    phq9 = load_file(DIRECTORY / "phq9.toml")
    with translation.override("en"):
        assert labels.instrument(phq9) == "Patient Health Questionnaire (PHQ-9)"
        assert labels.instrument(phq9, version=True) == "Patient Health Questionnaire (PHQ-9) (2.0.0)"
    with translation.override("zh-hans"):
        assert labels.instrument(phq9) == "患者健康问卷（PHQ-9）"


def test_people_by_full_name_never_username(db):
    from tests.factories import UserFactory

    wang = UserFactory(username="wang_f", first_name="芳", last_name="王")
    nameless = UserFactory(username="no_name")
    ban = UserFactory(username="zhi_ban", first_name="Zhi", last_name="Ban")
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert labels.person(wang) == "王芳"
            assert labels.person(ban) == "Zhi Ban"
    assert labels.people([wang.pk, ban.pk, None]) == {wang.pk: "王芳", ban.pk: "Zhi Ban"}
    assert "no_name" not in labels.person(nameless)


def test_the_access_log_reads_as_sentences_about_people(world, login):
    counselor, leader = world.users["counselor_a"], world.users["leader_a"]
    counselor.first_name, counselor.last_name = "Fang", "Wang"
    counselor.save()
    leader.language = "en"
    leader.save()
    login(counselor).get(reverse("screening:student_file", args=[world.student_x.pk]))
    page = login(leader).get(reverse("student_access_log", args=[world.student_x.pk])).content.decode()
    assert "Fang Wang opened the student&#x27;s record." in page or "Fang Wang opened the student's record." in page
    assert "Counselor" in page
    for code in ("student.view", "counselor_a", ">counselor<"):
        assert code not in page


def test_the_on_call_picker_names_people(world):
    from crisis.services import responder_add
    from tests.factories import UserFactory

    user = UserFactory(username="expert_zhou", first_name="医生", last_name="周", phone="13800000000")
    responder_add(district=world.district_a, user=user, kind="expert")
    form = DutyShiftForm(pool=Responder.objects.filter(membership__user=user))
    (choice,) = [label for value, label in form.fields["responder"].choices if value]
    assert "expert_zhou" not in choice
    assert choice.startswith("周医生 · 13800000000")
