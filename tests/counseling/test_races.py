"""No slot is ever booked beyond its capacity, whatever the concurrency (real parallel connections)."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from counseling import services
from counseling.models import Booking, Room, Slot
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _slots(school, counselor, n, *, kind="individual", capacity=1):
    start = timezone.now() + dt.timedelta(days=1)
    room = Room.objects.create(school=school, name=f"R{kind}{n}-{Room.objects.count()}", area_m2=20)
    return [
        Slot.objects.create(
            school=school,
            room=room,
            counselor=counselor,
            kind=kind,
            capacity=capacity,
            topic="t" if kind == "group" else "",
            starts_at=start + dt.timedelta(hours=i),
            ends_at=start + dt.timedelta(hours=i, minutes=45),
        )  # fmt: skip
        for i in range(n)
    ]


# PostgreSQL allows 100 connections here: 60 at once, each request on its own connection, and the rest
# queued behind them, like a web server's worker pool.
WORKERS = 60


def _race(calls):
    """Run the calls in parallel, each on its own connection; count bookings, clean refusals and errors."""
    go = threading.Event()
    outcome = {"booked": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def run(call):
        try:
            go.wait()
            call()
            with lock:
                outcome["booked"] += 1
        except services.Refused:
            with lock:
                outcome["refused"] += 1
        except BaseException as exc:  # noqa: BLE001 - any other error is a failure of the test
            with lock:
                outcome["errors"].append(repr(exc))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=min(WORKERS, len(calls))) as pool:
        futures = [pool.submit(run, call) for call in calls]
        go.set()
        for future in futures:
            future.result()
    return outcome


def test_200_parallel_requests_for_50_slots_book_exactly_50():
    school = factories.SchoolFactory()
    counselor = factories.UserFactory()
    slots = _slots(school, counselor, 50)
    students = [factories.StudentFactory(classroom=factories.ClassroomFactory(school=school)) for _ in range(4)]
    students = factories.StudentFactory.create_batch(200, classroom=students[0].classroom)
    calls = [
        (
            lambda slot=slots[i % 50], student=student: services.booking_create(
                slot=slot, student=student, channel="parent"
            )
        )  # fmt: skip
        for i, student in enumerate(students)
    ]
    outcome = _race(calls)
    assert outcome["errors"] == []
    assert (outcome["booked"], outcome["refused"]) == (50, 150)
    assert Booking.objects.filter(status="booked").count() == 50
    assert all(s.booked == 1 for s in Slot.objects.filter(pk__in=[s.pk for s in slots]))


def test_a_group_sessions_capacity_holds_and_the_rest_wait_in_order():
    school = factories.SchoolFactory()
    [group] = _slots(school, factories.UserFactory(), 1, kind="group", capacity=8)
    students = factories.StudentFactory.create_batch(40, classroom=factories.ClassroomFactory(school=school))
    outcome = _race([lambda s=s: services.booking_create(slot=group, student=s, channel="student") for s in students])
    assert outcome["errors"] == [] and outcome["booked"] == 40  # everyone has a place or a place in the queue
    group.refresh_from_db()
    assert group.booked == 8
    assert Booking.objects.filter(slot=group, status="booked").count() == 8
    assert Booking.objects.filter(slot=group, status="waiting").count() == 32
    # A seat frees: the first on the waiting list moves up.
    first_waiting = Booking.objects.filter(slot=group, status="waiting").order_by("created_at", "pk").first()
    services.booking_cancel(booking=Booking.objects.filter(slot=group, status="booked").first(), by=None)
    first_waiting.refresh_from_db()
    assert first_waiting.status == "booked" and Slot.objects.get(pk=group.pk).booked == 8


def test_cancel_then_rebook_races_never_overbook():
    school = factories.SchoolFactory()
    [slot] = _slots(school, factories.UserFactory(), 1)
    classroom = factories.ClassroomFactory(school=school)
    holder = factories.StudentFactory(classroom=classroom)
    booking = services.booking_create(slot=slot, student=holder, channel="parent")
    others = factories.StudentFactory.create_batch(30, classroom=classroom)
    calls = [lambda: services.booking_cancel(booking=booking, by=None)]
    calls += [lambda s=s: services.booking_create(slot=slot, student=s, channel="parent") for s in others]
    outcome = _race(calls)
    assert outcome["errors"] == []
    slot.refresh_from_db()
    assert slot.booked == Booking.objects.filter(slot=slot, status="booked").count() <= 1
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_the_database_refuses_an_overbooking_even_without_the_service():
    from django.db import IntegrityError

    [slot] = _slots(factories.SchoolFactory(), factories.UserFactory(), 1)
    with pytest.raises(IntegrityError):
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_parents_racing_through_the_page_get_booked_or_the_next_free_times_never_a_500():
    from django.test import Client
    from django.urls import reverse

    school = factories.SchoolFactory()
    slots = _slots(school, factories.UserFactory(), 10)
    classroom = factories.ClassroomFactory(school=school)
    parents = []
    for _ in range(60):
        link = factories.StudentGuardianFactory(student__classroom=classroom)
        link.guardian.user = factories.UserFactory()
        link.guardian.save()
        parents.append((link.guardian.user, link.student))
    statuses: list[tuple[int, str]] = []
    lock = threading.Lock()

    def book(parent, child, slot):
        client = Client()
        client.force_login(parent)
        response = client.post(reverse("counseling:parent_book_confirm", args=[child.pk]), {"slot": slot.pk})
        with lock:
            statuses.append((response.status_code, response.get("Location", "").split("?")[0]))

    calls = [lambda p=p, c=c, i=i: book(p, c, slots[i % 10]) for i, (p, c) in enumerate(parents)]
    outcome = _race(calls)
    assert outcome["errors"] == [] and {status for status, _ in statuses} == {302}
    assert sum("/my/bookings/" in where for _, where in statuses) == 10  # booked: the booking's done page
    assert sum("/book/" in where for _, where in statuses) == 50  # just taken: the page again, next free times
    assert Booking.objects.filter(status="booked").count() == 10


def test_a_cancellation_racing_a_new_waiter_never_leaves_a_free_seat_and_a_queue():
    school = factories.SchoolFactory()
    classroom = factories.ClassroomFactory(school=school)
    for round_ in range(15):
        [group] = _slots(school, factories.UserFactory(), 1, kind="group", capacity=1)
        holder = services.booking_create(slot=group, student=factories.StudentFactory(classroom=classroom),
                                         channel="phone")  # fmt: skip
        newcomer = factories.StudentFactory(classroom=classroom)
        outcome = _race([
            lambda holder=holder: services.booking_cancel(booking=holder, by=None),
            lambda group=group, newcomer=newcomer: services.booking_create(slot=group, student=newcomer,
                                                                             channel="phone"),
        ])  # fmt: skip
        assert outcome["errors"] == [], round_
        group.refresh_from_db()
        booked = Booking.objects.filter(slot=group, status="booked").count()
        waiting = Booking.objects.filter(slot=group, status="waiting").count()
        assert (group.booked, booked, waiting) == (1, 1, 0), round_  # the newcomer has the seat, whoever ran first
