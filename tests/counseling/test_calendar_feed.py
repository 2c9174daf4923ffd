"""A counselor's calendar feed link (issue 24, finding 6): random, kept only as a digest, shown once, replaced or
stopped from the counseling page, ended by a new password, expiring after a year. Links of the old kind (the
user's id and the last 12 characters of their password hash, signed) no longer open anything."""

import datetime as dt
import hashlib

import time_machine
from django.core import signing
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from counseling.calendar import FEED_DAYS, feed_issue, feed_of
from counseling.models import FeedToken
from portal.models import AuditEvent


def _token(path: str) -> str:
    return path.split("/")[-2]


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_old_signed_links_carrying_the_password_hash_stop_working(world, client):
    counselor = world.users["counselor_a"]
    old = signing.Signer(salt="counseling.feed").sign(f"{counselor.pk}.{counselor.password[-12:]}")
    feed_issue(user=counselor)  # even with a live link of the new kind
    assert client.get(reverse("counseling:feed", args=[old])).status_code == 404


def test_the_link_is_random_and_only_its_digest_is_kept(world, client):
    counselor = world.users["counselor_a"]
    first, second = _token(feed_issue(user=counselor)), _token(feed_issue(user=counselor))
    assert first != second and len(first) >= 43  # 32 random bytes
    assert counselor.password[-12:] not in first and str(counselor.pk) != first.split(".")[0]
    stored = FeedToken.objects.get(user=counselor)
    assert stored.digest == hashlib.sha256(second.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM counseling_feedtoken t")
        assert second not in cursor.fetchone()[0]
    assert client.get(reverse("counseling:feed", args=[first])).status_code == 404  # replaced
    response = client.get(reverse("counseling:feed", args=[second]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")


def test_a_new_link_is_shown_once_and_the_old_one_stops(world, login):
    staff = login(world.users["counselor_a"])
    before = _token(feed_issue(user=world.users["counselor_a"]))
    page = staff.post(reverse("counseling:feed_link"), {"action": "new"})
    assert page.status_code == 200
    [url] = [word for word in page.content.decode().split() if "/counseling/feed/" in word]
    token = url.split("/feed/")[1].split("/")[0]
    assert token != before
    assert token not in staff.get(reverse("counseling:schedule")).content.decode()  # never shown again
    anyone = Client()
    assert anyone.get(reverse("counseling:feed", args=[before])).status_code == 404
    assert anyone.get(reverse("counseling:feed", args=[token])).status_code == 200
    [first, replaced] = _events("feedtoken.issue")
    assert (first.detail["replaced"], replaced.detail["replaced"]) == (False, True)
    assert replaced.actor_username == "counselor_a"


def test_stopping_the_link_ends_it_and_is_audited(world, login):
    counselor = world.users["counselor_a"]
    token = _token(feed_issue(user=counselor))
    staff = login(counselor)
    response = staff.post(reverse("counseling:feed_link"), {"action": "revoke"})
    assert response.status_code == 302 and response["Location"] == reverse("counseling:schedule")
    assert feed_of(counselor) is None
    assert Client().get(reverse("counseling:feed", args=[token])).status_code == 404
    [event] = _events("feedtoken.revoke")
    assert event.actor_username == "counselor_a" and event.detail["reason"] == "asked"


def test_the_link_expires_after_a_year(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = _token(feed_issue(user=world.users["counselor_a"]))
    url = reverse("counseling:feed", args=[token])
    with time_machine.travel(start + dt.timedelta(days=FEED_DAYS - 1), tick=False):
        assert Client().get(url).status_code == 200
    with time_machine.travel(start + dt.timedelta(days=FEED_DAYS, seconds=1), tick=False):
        assert Client().get(url).status_code == 404


def test_a_new_password_ends_the_link(world):
    counselor = world.users["counselor_a"]
    token = _token(feed_issue(user=counselor))
    counselor.set_password("another long passphrase 42")
    counselor.save()
    assert Client().get(reverse("counseling:feed", args=[token])).status_code == 404
    [event] = _events("feedtoken.revoke")
    assert event.detail["reason"] == "password"


def test_a_counselor_who_left_the_school_has_no_feed(world):
    counselor = world.users["counselor_a"]
    token = _token(feed_issue(user=counselor))
    counselor.memberships.all().delete()
    assert Client().get(reverse("counseling:feed", args=[token])).status_code == 404


def test_the_counseling_page_offers_a_link_and_then_its_dates(world, login):
    staff = login(world.users["counselor_a"])
    page = staff.get(reverse("counseling:schedule")).content.decode()
    assert 'value="new"' in page and 'value="revoke"' not in page
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, tzinfo=timezone.get_current_timezone()), tick=False):
        feed_issue(user=world.users["counselor_a"])
    page = staff.get(reverse("counseling:schedule")).content.decode()
    assert 'value="revoke"' in page and "2026-09-01" in page and "2027-09-01" in page
