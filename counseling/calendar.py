"""Calendar files: an .ics per booking, and a counselor's private feed behind a random, revocable link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from counseling.models import Booking, FeedToken
from portal import access, audit
from portal.models import User

# A calendar app fetches the feed for as long as it is subscribed: a link left in an old phone stops by itself.
FEED_DAYS = 365


def _digest(token: str) -> str:
    # 256 random bits: a plain hash is enough, nothing to guess, and the table holds no working link.
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> FeedToken | None:
    """The counselor's feed link as stored (its dates, never the link itself)."""
    return FeedToken.objects.filter(user=user).first()


def feed_issue(*, user: User) -> str:
    """A new feed link for the counselor, valid FEED_DAYS; the one they had stops working. The path is shown
    once: only its digest is kept."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with audit.atomic():
        feed, created = FeedToken.objects.update_or_create(
            user=user,
            defaults={"digest": _digest(token), "issued_at": now, "expires_at": now + dt.timedelta(days=FEED_DAYS)},
        )
        audit.append(audit.entries_for(FeedToken, [feed.pk], verb="issue", detail={"replaced": not created},
                                       subjects=[(feed.pk, None, None)]))  # fmt: skip
    return reverse("counseling:feed", args=[token])


def feed_revoke(*, user: User, reason: str = "asked") -> bool:
    """The counselor's feed link stops working. False if they had none."""
    with audit.atomic():
        pks = list(FeedToken.objects.filter(user=user).values_list("pk", flat=True))
        if not pks:
            return False
        FeedToken.objects.filter(pk__in=pks).delete()
        audit.append(audit.entries_for(FeedToken, pks, verb="revoke", detail={"reason": reason},
                                       subjects=[(pk, None, None) for pk in pks]))  # fmt: skip
    return True


def user_for_feed(token: str) -> User | None:
    """The counselor a feed link belongs to, while it is live and they are still staff at a school."""
    feed = FeedToken.objects.select_related("user").filter(digest=_digest(token), expires_at__gt=timezone.now()).first()
    if feed is None or not feed.user.is_active or not access.is_school_staff(feed.user):
        return None
    return feed.user


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _revoke_feed_on_password_change(sender: Any, instance: User, **kwargs: Any) -> None:
    """A new password ends the account's feed link too, as it ends sessions and API tokens (a pre_save:
    portal.security clears the mark after saving)."""
    if instance.pk and getattr(instance, "_password_changed", False):
        feed_revoke(user=instance, reason="password")


def feed_bookings(user: User) -> list[Booking]:
    """The counselor's upcoming sessions at their schools (the next 60 days)."""
    now = timezone.now()
    return list(
        Booking.objects.filter(
            slot__school_id__in=access.roles_of(user).staff_school_ids, slot__counselor=user, status="booked",
            slot__starts_at__gt=now - dt.timedelta(days=1), slot__starts_at__lt=now + dt.timedelta(days=60),
        ).select_related("slot__room", "slot__school")
    )  # fmt: skip


def ics_response(bookings: Iterable[Booking], *, filename: str) -> HttpResponse:
    cal = Calendar()
    cal.add("prodid", "-//School Psychological Services Portal//counseling//")
    cal.add("version", "2.0")
    for booking in bookings:
        slot = booking.slot
        event = Event()
        event.add("uid", f"booking-{booking.pk}@{settings.SITE_URL.split('//')[-1] or 'portal'}")
        # No student's name in a calendar: calendars are synced to phones and shared more than people think.
        event.add("summary", slot.topic or _("Counseling session"))
        event.add("location", f"{slot.school.name} · {slot.room.name}")
        event.add("dtstart", slot.starts_at)
        event.add("dtend", slot.ends_at)
        event.add("dtstamp", timezone.now())
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
