"""Refused requests cannot flood the audit log (issue 24, item 5.3): at most one event per person (or address) and
route in a minute of the clock, the refusals in between counted and folded into the next event. The minutes are
the clock's (time_machine moves them), so the test holds on Redis as on the in-process cache."""

import datetime as dt

import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent


def _refusals():
    return list(AuditEvent.objects.filter(action="request.refused").order_by("id"))


def test_a_flood_of_refusals_writes_one_event_a_minute_with_the_count_folded_in(world, login):
    client = login(world.users["counselor_b"])
    url = reverse("student_detail", args=[world.student_x.pk])
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)  # a minute of the clock
    with time_machine.travel(start, tick=False):
        for _ in range(50):
            assert client.get(url).status_code == 404
    [first] = _refusals()
    assert first.detail == {"status": 404, "method": "GET", "route": "student_detail", "ids": [world.student_x.pk]}
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert client.get(url).status_code == 404
    assert len(_refusals()) == 1  # still the same minute: counted only
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert client.get(url).status_code == 404
        assert client.get(url).status_code == 404
    first, second = _refusals()
    assert second.detail["earlier_refusals"] == 50  # 49 in the first burst, one at 59 s
    with time_machine.travel(start + dt.timedelta(seconds=125), tick=False):
        assert client.get(url).status_code == 404
    assert _refusals()[-1].detail["earlier_refusals"] == 1  # the one at 61 s, after the second event


def test_each_person_and_each_route_has_its_own_minute(world, login):
    student_x = reverse("student_detail", args=[world.student_x.pk])
    record = reverse("counseling:record", args=[world.record_x.pk])
    with time_machine.travel(timezone.now(), tick=False):
        counselor_b = login(world.users["counselor_b"])
        for url in (student_x, student_x, record, record):
            assert counselor_b.get(url).status_code == 404
        teacher = login(world.users["teacher_a"])
        assert teacher.get(record).status_code == 404
    events = [(e.actor_username, e.detail["route"]) for e in _refusals()]
    assert events == [("counselor_b", "student_detail"), ("counselor_b", "counseling:record"),
                      ("teacher_a", "counseling:record")]  # fmt: skip


def test_signed_out_refusals_are_counted_per_address(world, client):
    url = reverse("case-list")
    with time_machine.travel(timezone.now(), tick=False):
        for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
            assert client.get(url, REMOTE_ADDR=address).status_code in (401, 403)
    assert len(_refusals()) == 2


def test_with_the_cache_down_every_refusal_is_written(world, login, monkeypatch):
    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "add", down)
    client = login(world.users["counselor_b"])
    for _ in range(3):
        assert client.get(reverse("student_detail", args=[world.student_x.pk])).status_code == 404
    assert len(_refusals()) == 3
