"""Counseling's part of the home pages (portal.home): a counselor's appointments today, in order; a parent's
children's bookings coming up (offers.parent_bookings: the children's own code bookings never among them)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from counseling import offers
from counseling.models import ACTIVE, Booking, Slot
from portal import access
from portal.access import AnyUser
from portal.home import Section


def today(user: AnyUser) -> Section | None:
    if not user.is_authenticated:
        return None
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    held = Prefetch("bookings", Booking.objects.filter(status__in=ACTIVE).select_related("student"), to_attr="held")
    slots = list(
        Slot.objects.filter(counselor=user, cancelled=False, starts_at__gte=start)
        .filter(starts_at__lt=start + dt.timedelta(days=1))
        .select_related("room")
        .prefetch_related(held)
        .order_by("starts_at")
    )
    if not slots:
        return None
    booked = [slot for slot in slots if slot.held]  # type: ignore[attr-defined]
    context = {"slots": booked, "open_count": len(slots) - len(booked)}
    return Section("counseling/_home_today.html", order=20, context=context)


def parent_upcoming(user: AnyUser) -> Section | None:
    if not access.roles_of(user).is_parent:
        return None
    upcoming, _earlier = offers.parent_bookings(user)
    return Section("counseling/_home_parent.html", order=10, context={"upcoming": upcoming[:5]})
