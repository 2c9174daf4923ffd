"""Calendar files: an .ics per booking, and a counselor's private feed behind a signed URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from counseling.models import Booking
from portal import access
from portal.models import User

_FEED_SALT = "counseling.feed"


def feed_path(user: User) -> str:
    # Signed with the user's password hash: a new password (or a deactivated account) revokes old feed URLs.
    token = signing.Signer(salt=_FEED_SALT).sign(f"{user.pk}.{user.password[-12:]}")
    return reverse("counseling:feed", args=[token])


def user_for_feed(token: str) -> User | None:
    try:
        value = signing.Signer(salt=_FEED_SALT).unsign(token)
        pk, tail = value.split(".", 1)
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (signing.BadSignature, ValueError):
        return None
    if user is None or user.password[-12:] != tail or not access.is_school_staff(user):
        return None
    return user


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
