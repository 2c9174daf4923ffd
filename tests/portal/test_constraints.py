"""Invariants the database itself protects, whatever code path writes."""

import pytest
from django.db import IntegrityError, transaction

from portal.models import Membership, Student
from portal.models.staff import Role
from tests import factories


def _refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_student_number_is_unique_within_a_school_only(world):
    _refused(lambda: factories.StudentFactory(classroom=world.class_a2, student_number=world.student_x.student_number))
    other = factories.StudentFactory(classroom=world.student_y.classroom, student_number=world.student_x.student_number)
    assert Student.objects.filter(student_number=world.student_x.student_number).count() == 2
    assert other.school == world.school_b


def test_a_student_has_at_most_one_primary_guardian(world):
    _refused(lambda: factories.StudentGuardianFactory(student=world.student_x, is_primary=True))
    factories.StudentGuardianFactory(student=world.student_x, is_primary=False)
    assert world.student_x.guardian_links.count() == 2


def test_guardian_mobile_is_unique_within_a_school(world):
    taken = world.guardian_x.mobile
    _refused(lambda: factories.GuardianFactory(school=world.school_a, mobile=taken))
    factories.GuardianFactory(school=world.school_b, mobile=taken)


def test_email_channel_needs_an_email_address(world):
    _refused(lambda: factories.GuardianFactory(school=world.school_a, channel="email", email=""))


def test_class_grade_is_1_to_12(world):
    _refused(lambda: factories.ClassroomFactory(school=world.school_a, grade=13))
    _refused(lambda: factories.ClassroomFactory(school=world.school_a, grade=0))


def test_official_memberships_belong_to_a_district_and_school_roles_to_a_school(world):
    user = factories.UserFactory()
    _refused(lambda: Membership.objects.create(user=user, role=Role.OFFICIAL, school=world.school_a))
    _refused(lambda: Membership.objects.create(user=user, role=Role.COUNSELOR, district=world.district_a))
    _refused(
        lambda: Membership.objects.create(user=user, role=Role.TEACHER, school=world.school_a, employment="full_time")
    )
    Membership.objects.create(user=user, role=Role.TEACHER, school=world.school_a)
    _refused(lambda: Membership.objects.create(user=user, role=Role.TEACHER, school=world.school_a))


def test_term_ends_after_it_starts(world):
    import datetime as dt

    from portal.models import SchoolYear, Term

    year = SchoolYear.objects.create(district=world.district_a, name="2026-2027", start=dt.date(2026, 9, 1),
                                     end=dt.date(2027, 7, 1))  # fmt: skip
    _refused(lambda: Term.objects.create(school_year=year, number=1, start=dt.date(2026, 9, 1),
                                         end=dt.date(2026, 8, 1), teaching_weeks=20))  # fmt: skip
    _refused(lambda: Term.objects.create(school_year=year, number=1, start=dt.date(2026, 9, 1),
                                         end=dt.date(2027, 1, 20), teaching_weeks=0))  # fmt: skip
