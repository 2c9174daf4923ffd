"""Parents' pages: every booking of their children, and booking as in the tools they know (cal.com, Calendly):
pick a day, then a time; confirm what, when, where and with whom; done, with what happens next."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from counseling import offers, selectors, services
from counseling.forms import BookForm
from counseling.views import REFUSALS
from portal import access
from portal.views import AuthedRequest


@login_required
@never_cache
@require_safe
def parent_home(request: AuthedRequest) -> HttpResponse:
    children = list(selectors.parent_children(request.user))
    access.require(bool(children))
    upcoming, earlier = offers.parent_bookings(request.user)
    return render(request, "counseling/parent_home.html", {
        "children": children, "bookings": upcoming, "earlier": earlier,
    })  # fmt: skip


@login_required
@never_cache
@require_safe
def parent_book(request: AuthedRequest, student_pk: int) -> HttpResponse:
    """Step one, the days with a free time; step two (?day=), that day's times. After a refused time
    (?instead_of=), the next free times instead."""
    child = access.get_or_404(selectors.parent_children(request.user), pk=student_pk)
    offered = offers.parent_offers(request.user, child)
    days = offers.days(offered)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    if day not in {d.date for d in days}:
        day = None  # not a day with free times (any more): the days again
    return render(request, "counseling/book.html", {
        "child": child, "days": days, "day": day, "times": offers.times_on(offered, day) if day else [],
        "alternatives": offers.alternatives(offered, request.GET.get("instead_of", "")),
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def parent_book_confirm(request: AuthedRequest, student_pk: int) -> HttpResponse:
    """Step three: what, when, where and with whom, and a button that books. A refusal goes back to the picker
    with the next free times (post/redirect/get: a reload books nothing)."""
    form = BookForm(request.POST or request.GET or None)
    picker = reverse("counseling:parent_book", args=[student_pk])
    if not form.is_valid():
        access.get_or_404(selectors.parent_children(request.user), pk=student_pk)  # "not yours" is a 404 here too
        return redirect(picker)
    wanted = form.cleaned_data["slot"]
    found = access.found(selectors.parent_booking(request.user, student_pk, wanted))
    try:
        if request.method == "POST":
            # Straight to the booking: it refuses a full or held time itself, and the parents racing for a popular
            # time need no query more than the one read (counseling.sql).
            if found.slot is None:
                raise services.Refused("gone")
            booking = services.booking_create(slot=found.slot, student=found.child, channel="parent",
                                              made_by=request.user, contact=found.contact,
                                              reason=form.cleaned_data["reason"])  # fmt: skip
            messages.success(request, _("Booked. A confirmation is on its way to you."))
            return redirect("counseling:parent_booking", pk=booking.pk)
        slot = offers.offered_slot(request.user, found.child, found.slot)
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
        return redirect(f"{picker}?{urlencode({'instead_of': wanted})}")
    return render(request, "counseling/confirm.html", {"child": found.child, "slot": slot, "form": form})


@login_required
@never_cache
@require_safe
def parent_booking(request: AuthedRequest, pk: int) -> HttpResponse:
    """One booking of the parent's child, whoever made it: the done page after booking, and the way to cancel."""
    booking = access.get_or_404(selectors.bookings_for(request.user, as_parent=True), pk=pk)
    refusal = offers.change_refusal(booking, request.user)
    return render(request, "counseling/booking.html", {
        "booking": booking, "refusal": REFUSALS[refusal] if refusal and refusal != "not_active" else None,
        "may_change": refusal is None, "hours": services.settings_for(booking.slot.school_id).change_cutoff_hours,
    })  # fmt: skip
