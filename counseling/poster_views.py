"""The poster a school prints for its corridors: how a student writes to the counselors (知心信箱) without an account,
how they book a talk with their booking code, and the help line, each with its address and a QR code to scan."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from counseling import selectors
from portal.views import AuthedRequest


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, title=url)


@login_required
@require_safe
def poster(request: AuthedRequest) -> HttpResponse:
    school = selectors.staff_school(request.user)  # a leader's or counselor's own school, nobody else's
    if school is None:
        raise Http404  # as access.require: a page the user has no part in does not exist
    site = settings.SITE_URL.rstrip("/")
    write = site + selectors.mailbox_path(school)
    book = site + reverse("counseling:student_start")
    return render(request, "counseling/poster.html", {
        "school": school, "write": write, "write_qr": _qr(write), "book": book, "book_qr": _qr(book),
        "hotline": settings.HELP_HOTLINE,
    })  # fmt: skip
