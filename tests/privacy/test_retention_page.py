"""The district's retention page: its officials see the periods in force and set them within bounds; a period out
of bounds is refused next to its field, in the reader's language, and changes nothing."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.models import AuditEvent
from privacy import retention
from privacy.models import RetentionPolicy

DEFAULTS = {"screening_months": 12, "case_months": 36, "session_months": 36, "mailbox_months": 12, "audit_months": 60}


def _reading(user, language: str):  # type: ignore[no-untyped-def]
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_an_official_sees_the_periods_in_force_and_the_law_they_follow(world, login):
    page = login(world.users["official_a"]).get(reverse("privacy:retention")).content.decode()
    for field, months in DEFAULTS.items():
        assert f'name="{field}"' in page and f'value="{months}"' in page
    assert "个人信息保护法" in page or "Personal Information Protection Law" in page


def test_an_official_lengthens_a_period_and_the_change_is_audited(world, login):
    client = login(world.users["official_a"])
    response = client.post(reverse("privacy:retention"), {**DEFAULTS, "case_months": 60, "audit_months": 72})
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get(district=world.district_a)
    assert (policy.case_months, policy.audit_months) == (60, 72)
    event = AuditEvent.objects.get(action="retentionpolicy.update")
    assert event.detail["from"]["case_months"] == 36 and event.detail["to"]["case_months"] == 60
    assert event.actor_username == "official_a"
    assert not RetentionPolicy.objects.filter(district=world.district_b).exists()  # the other district's own


def test_a_period_out_of_bounds_is_refused_next_to_its_field_and_changes_nothing(world, login):
    client = login(_reading(world.users["official_a"], "zh-hans"))
    response = client.post(reverse("privacy:retention"), {**DEFAULTS, "case_months": 12, "mailbox_months": "x"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["case_months"] == ["请在 36 至 120 个月之间选择。"]
    assert form.errors["mailbox_months"]  # not a number: Django's own words, translated
    assert not RetentionPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="retentionpolicy.update").exists()


def test_an_audit_period_no_longer_than_the_records_is_refused(world, login):
    client = login(_reading(world.users["official_a"], "en"))
    response = client.post(reverse("privacy:retention"), {**DEFAULTS, "case_months": 72, "audit_months": 72})
    assert response.context["form"].errors["audit_months"] == [
        "Keep the audit log longer than the records it describes: more than 72 months."
    ]
    assert not RetentionPolicy.objects.exists()


def test_the_audit_log_keeps_the_longest_period_any_district_sets(world):
    assert retention.audit_months_in_force() == 60
    retention.policy_set(
        district=world.district_a, by=world.users["official_a"], periods={**DEFAULTS, "audit_months": 96}
    )
    assert retention.audit_months_in_force() == 96
    retention.policy_set(
        district=world.district_b, by=world.users["official_b"], periods={**DEFAULTS, "audit_months": 48}
    )
    assert retention.audit_months_in_force() == 96


def test_the_service_and_the_database_refuse_periods_out_of_bounds(world):
    with pytest.raises(retention.PolicyRefused) as refused:
        retention.policy_set(district=world.district_a, by=world.users["official_a"],
                             periods={**DEFAULTS, "screening_months": 600})  # fmt: skip
    assert set(refused.value.problems) == {"screening_months"}
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(district=world.district_a, mailbox_months=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(district=world.district_a, case_months=72, audit_months=60)


def test_officials_find_the_page_in_their_menu(world, login):
    page = login(world.users["official_a"]).get(reverse("home"), follow=True).content.decode()
    assert reverse("privacy:retention") in page
    assert reverse("privacy:retention") not in login(world.users["counselor_a"]).get(reverse("home")).content.decode()
