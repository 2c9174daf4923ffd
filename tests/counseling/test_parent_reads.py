"""A parent's booking reads its child, contact and slot in one prepared statement: it must answer exactly
as the ORM reads it stands for (parent_children, parent_contact, bookable)."""

import datetime as dt

from django.utils import timezone

from counseling import selectors, services
from counseling.models import Room, SchoolCounselingSettings, Slot
from portal.models import Student
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
    any_slot = 1  # the child is found (or not) whatever the slot
    for name, user in world.users.items():
        if user is None:
            continue
        listed = set(selectors.parent_children(user).values_list("pk", flat=True))
        for student in students:
            found = selectors.parent_booking(user, student.pk, any_slot)
            assert (found is not None) == (student.pk in listed), (name, student.name)
            if found is not None:
                assert found.child.name == student.name and found.child.school.name == student.school.name
                assert found.contact == selectors.parent_contact(user, student), (name, student.name)
                assert selectors.parent_booking(user, student.pk, 2**63).slot is None  # no such slot: "gone"
        assert selectors.parent_booking(user, 2**63, any_slot) is None
        assert selectors.parent_booking(user, 0, any_slot) is None
    parent_y = world.users["parent_y"]
    assert {s.name for s in students if selectors.parent_booking(parent_y, s.pk, any_slot)} == {"Xiao Y", "Xiao W"}


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

    def bookable_for_parents() -> int:
        """Every persona, child and slot: the slot found is the one bookable() has for the child's school."""
        booked = 0
        for name, user in world.users.items():
            if user is None:
                continue
            for student in Student.objects.all():
                for s in slots:
                    found = selectors.parent_booking(user, student.pk, s.pk)
                    if found is None:
                        continue
                    expected = services.bookable(student.school_id).filter(pk=s.pk).first()
                    assert (found.slot.pk if found.slot else None) == (expected.pk if expected else None), (name, s.pk)
                    if found.slot is not None:
                        assert (found.slot.room.name, found.slot.school.name) == (s.room.name, student.school.name)
                        booked += 1
        return booked

    assert bookable_for_parents() == 3  # by default 14 days ahead: parent X's child at A 1 and 13.9 days, Y's at B 1
    SchoolCounselingSettings.objects.create(school=world.school_a, book_ahead_days=7)
    assert bookable_for_parents() == 2  # 13.9 days is beyond A's own window now
