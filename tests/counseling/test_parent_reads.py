"""A parent's booking reads its child and slot with one prepared statement each (B3): they must answer
exactly as the ORM selectors they stand for (parent_children, bookable)."""

import datetime as dt

from django.utils import timezone

from counseling import selectors, services
from counseling.models import Room, SchoolCounselingSettings, Slot
from portal.models import Guardian, Student
from tests import factories


def test_a_parents_child_is_found_exactly_when_parent_children_lists_it(world):
    left = factories.StudentFactory(classroom=world.class_a1, status="left")  # parent X's, no longer at school
    link = factories.StudentGuardianFactory(student=left)
    link.guardian.user = world.users["parent_x"]
    link.guardian.save()
    shared = factories.StudentGuardianFactory(student=world.student_w, is_primary=False)  # parent Y guards W too
    shared.guardian.user = world.users["parent_y"]
    shared.guardian.save()
    students = list(Student.objects.all())
    for name, user in world.users.items():
        if user is None:
            continue
        listed = set(selectors.parent_children(user).values_list("pk", flat=True))
        for student in students:
            found = selectors.parent_child(user, student.pk)
            assert (found is not None) == (student.pk in listed), (name, student.name)
            if found is not None:
                assert found.name == student.name and found.school.name == student.school.name
        assert selectors.parent_child(user, 2**63) is None and selectors.parent_child(user, 0) is None
    assert {s.name for s in students if selectors.parent_child(world.users["parent_y"], s.pk)} == {"Xiao Y", "Xiao W"}


def test_a_slot_is_bookable_exactly_when_the_booking_window_says_so(world):
    now = timezone.now()
    room = Room.objects.create(school=world.school_a, name="2号咨询室", area_m2=20)
    room_b = Room.objects.create(school=world.school_b, name="B", area_m2=20)

    def slot(days: float, *, cancelled: bool = False, school=world.school_a, where=room) -> Slot:
        starts = now + dt.timedelta(days=days)
        return Slot.objects.create(school=school, room=where, counselor=world.users["counselor_a"], starts_at=starts,
                                   ends_at=starts + dt.timedelta(minutes=45), cancelled=cancelled)  # fmt: skip

    slots = [slot(1), slot(13.9), slot(14.1), slot(-0.1), slot(2, cancelled=True), slot(1, school=world.school_b,
             where=room_b)]  # fmt: skip

    def agree() -> list[bool]:
        answers = []
        for s in slots:
            for school in (world.school_a, world.school_b):
                expected = services.bookable(school.pk).filter(pk=s.pk).first()
                found = services.bookable_slot(school.pk, s.pk)
                assert (found is None) == (expected is None), (s.starts_at - now, school.name)
                if found is not None:
                    assert (found.room.name, found.school.name) == (s.room.name, school.name)
                answers.append(found is not None)
        assert services.bookable_slot(world.school_a.pk, 2**63) is None
        return answers

    assert sum(agree()) == 3  # by default 14 days ahead: 1 and 13.9 days at A, 1 day at B
    SchoolCounselingSettings.objects.create(school=world.school_a, book_ahead_days=7)
    assert sum(agree()) == 2  # 13.9 days is beyond A's own window now

    # A parent's booking reads child, contact and slot at once: each as the reads above and the ORM give them.
    booked = 0
    for name, user in world.users.items():
        if user is None:
            continue
        for student in Student.objects.all():
            for s in slots:
                found = selectors.parent_booking(user, student.pk, s.pk)
                child = selectors.parent_child(user, student.pk)
                assert (found is None) == (child is None), (name, student.name)
                if found is None:
                    continue
                contact = Guardian.objects.filter(user=user, student_links__student=student).order_by("pk").first()
                expected = services.bookable_slot(student.school_id, s.pk)
                assert found.child.pk == student.pk and found.contact.pk == contact.pk, (name, student.name)
                assert (found.slot.pk if found.slot else None) == (expected.pk if expected else None), (name, s.pk)
                if found.slot is not None:
                    assert (found.slot.room.name, found.slot.school.name) == (s.room.name, student.school.name)
                    booked += 1
    assert booked == 2  # parent X's child at A: the 1-day slot; parent Y's child at B: B's slot
