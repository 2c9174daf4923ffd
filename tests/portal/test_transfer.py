"""A student moves to another school of the district: their records, guardians and open case follow."""

from django.urls import reverse

from crisis.models import Case
from portal.models import AuditEvent, Classroom, Guardian, InboxMessage, Student, StudentGuardian
from tests import factories


def _transfer(client, student, classroom, number="T-001"):
    return client.post(
        reverse("student_transfer", args=[student.pk]),
        {"to_classroom": classroom.pk, "student_number": number},
        follow=True,
    )


def test_an_open_case_follows_the_student_to_the_new_school(world, login, django_capture_on_commit_callbacks):
    to_class = Classroom.objects.filter(school=world.school_b).get()
    with django_capture_on_commit_callbacks(execute=True):
        page = _transfer(login(world.users["counselor_a"]), world.student_x, to_class)
    assert page.status_code == 200
    student = Student.objects.get(pk=world.student_x.pk)
    assert (student.school, student.classroom, student.student_number) == (world.school_b, to_class, "T-001")
    case_url = reverse("crisis:case", args=[world.case_x.pk])
    # The old school (and the old class teacher) no longer see the child; the new school's counselor does.
    assert login(world.users["counselor_a"]).get(case_url).status_code == 404
    assert login(world.users["teacher_a"]).get(reverse("student_detail", args=[student.pk])).status_code == 404
    assert login(world.users["counselor_b"]).get(case_url).status_code == 200
    assert Case.objects.get(pk=world.case_x.pk).owner is None  # the new school assigns its own counselor
    [alert] = InboxMessage.objects.filter(user=world.users["counselor_b"])
    assert "Xiao X" in alert.subject and "School A" in alert.body
    # The guardian contact moved too, so guardian notices about the case still reach the family.
    guardian = StudentGuardian.objects.get(student=student).guardian
    assert guardian.school == world.school_b
    assert AuditEvent.objects.filter(action="student.transfer", student_id=student.pk).count() == 1


def test_a_guardian_shared_with_a_sibling_is_copied_and_one_known_at_the_new_school_reused(world, login):
    guardian = world.guardian_x
    StudentGuardian.objects.create(student=world.student_w, guardian=guardian)  # a sibling stays at school A
    to_class = Classroom.objects.filter(school=world.school_b).get()
    _transfer(login(world.users["counselor_a"]), world.student_x, to_class)
    guardian.refresh_from_db()
    assert guardian.school == world.school_a  # still the sibling's contact
    moved = StudentGuardian.objects.get(student=world.student_x).guardian
    assert moved.pk != guardian.pk and moved.school == world.school_b and moved.mobile == guardian.mobile

    # A second child of a family the new school already knows reuses that contact.
    student = factories.StudentFactory(classroom=world.class_a2, name="Xiao V")
    StudentGuardian.objects.create(student=student, guardian=guardian)
    _transfer(login(world.users["counselor_a"]), student, to_class, number="T-002")
    assert StudentGuardian.objects.get(student=student).guardian == moved
    assert Guardian.objects.filter(school=world.school_b, mobile=guardian.mobile).count() == 1


def test_a_taken_student_number_or_another_district_is_refused_and_nothing_moves(world, login):
    to_class = Classroom.objects.filter(school=world.school_b).get()
    client = login(world.users["counselor_a"])
    page = _transfer(client, world.student_x, to_class, number=world.student_y.student_number)
    assert "该学号在新学校已被使用。" in page.content.decode()
    other_district = Classroom.objects.filter(school=world.school_c).get()
    page = _transfer(client, world.student_x, other_district)
    assert page.status_code == 200 and "to_classroom" in page.context["form"].errors  # not offered at all
    assert Student.objects.get(pk=world.student_x.pk).school == world.school_a
    assert not AuditEvent.objects.filter(action="student.transfer").exists()
