"""Pages of counseling: the school's week, setup and records (staff); booking (parents, students with a
code); the confide mailbox (anonymous students); calendar files and feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from counseling import calendar, offers, selectors, services
from counseling.forms import (
    BookForm,
    BreakGlassForm,
    ClosureForm,
    CodeForm,
    GroupForm,
    IdentifyForm,
    MailboxForm,
    OpeningForm,
    PeriodForm,
    RecordForm,
    ReplyForm,
    RiskWordsForm,
    RoomForm,
    SettingsForm,
    StaffBookForm,
)
from counseling.models import (
    Booking,
    BookingCode,
    Closure,
    MailboxMessage,
    Opening,
    Period,
    RiskWords,
    Room,
    SessionRecord,
    Slot,
)
from portal import access, audit
from portal.models import Classroom, Role, School, Student, StudentGuardian, User
from portal.security import client_ip, code_tries_exhausted, code_try_failed
from portal.selectors import school_staff
from portal.views import AuthedRequest

REFUSALS = {
    "taken": gettext_lazy("Just taken by someone else. Here are the next free times:"),
    "gone": gettext_lazy("This time is no longer available. Here are the next free times:"),
    "already": gettext_lazy("This student already has a place at this time."),
    "not_here": gettext_lazy("This time is at another school."),
    "started": gettext_lazy("This session has already started."),
    "cutoff": gettext_lazy("It is too close to the session to change it online. Please call the school."),
    "not_active": gettext_lazy("This booking has already been cancelled or moved."),
    "not_started": gettext_lazy("A session can be marked only once it has started."),
    "unknown_code": gettext_lazy("This code is not known. Check it and try again."),
    "too_many": gettext_lazy("Too many tries. Please wait a few minutes."),
    "room_taken": gettext_lazy("The room is already in use at that time."),
    "reason": gettext_lazy("Give a reason of at least ten characters."),
    "not_author": gettext_lazy("Only the author can share their notes."),
    "closed": gettext_lazy("This message is closed."),
    "flood": gettext_lazy("Many messages have come from here just now. Please try again in a while."),
    "recorded": gettext_lazy("This session has a record already."),
    "by_school": gettext_lazy("The school made this booking. To change it, please call the school."),
}
STUDENT_SESSION = "counseling_student"
STUDENT_SESSION_MINUTES = 20  # a shared or family computer: the code's session ends soon after the last click


def _code_student(request: HttpRequest) -> Student | None:
    """The student who typed their booking code in this browser, while the session is fresh."""
    held = request.session.get(STUDENT_SESSION)
    if not isinstance(held, dict) or request.user.is_authenticated:
        return None
    if timezone.now().timestamp() - held.get("at", 0) > STUDENT_SESSION_MINUTES * 60:
        request.session.pop(STUDENT_SESSION, None)
        return None
    held["at"] = timezone.now().timestamp()
    request.session[STUDENT_SESSION] = held
    return Student.objects.filter(pk=held.get("pk") or 0, status="active").select_related("school").first()


def _school(request: AuthedRequest) -> School:
    school = selectors.staff_school(request.user)
    if school is None:
        raise Http404
    return school


def _counselors(school: School) -> QuerySet[User]:
    return school_staff(school.pk, Role.COUNSELOR, Role.LEADER).order_by("last_name", "username")


# --- staff: the week, setup ----------------------------------------------------------------------------------


@login_required
@never_cache
@require_safe
def schedule(request: AuthedRequest) -> HttpResponse:
    school = _school(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
        monday = day - dt.timedelta(days=day.weekday())
        _edges = (monday - dt.timedelta(days=7), monday + dt.timedelta(days=14))  # the page's links either way
    except (ValueError, OverflowError):  # not a date, or the ends of time: this week, or the next one with times
        day = selectors.first_day_with_slots(school, timezone.localdate()) or timezone.localdate()
        monday = day - dt.timedelta(days=day.weekday())
    slots = selectors.week_schedule(school, monday)
    shown = [b.pk for s in slots for b in s.shown]  # type: ignore[attr-defined]
    audit.record_read(Booking, shown, detail={"via": "schedule"})
    return render(request, "counseling/schedule.html", {
        "school": school, "slots": slots, "monday": monday, "prev": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7), "group_form": GroupForm(school=school),
        "mailbox": selectors.mailbox_counts(request.user),
        "feed": calendar.feed_of(request.user),
    })  # fmt: skip


@login_required
@never_cache
@require_POST
def feed_link(request: AuthedRequest) -> HttpResponse:
    """The counselor's calendar feed link: a new one (the old one stops working), shown once; or none."""
    _school(request)  # a school's staff only; anyone else: not found
    if request.POST.get("action") == "revoke":
        if calendar.feed_revoke(user=request.user):
            messages.success(request, _("Your calendar feed link no longer works."))
        return redirect("counseling:schedule")
    path = calendar.feed_issue(user=request.user)
    return render(request, "counseling/feed_link.html", {
        "feed_url": request.build_absolute_uri(path), "feed": calendar.feed_of(request.user),
    })  # fmt: skip


@login_required
@require_POST
def slots_generate(request: AuthedRequest) -> HttpResponse:
    school = _school(request)
    made = services.slots_generate(school=school, start=timezone.localdate(), days=28)
    messages.success(request, _("%(count)s new slots for the next four weeks.") % {"count": made})
    return redirect("counseling:schedule")


@login_required
@require_POST
def group_new(request: AuthedRequest) -> HttpResponse:
    school = _school(request)
    form = GroupForm(request.POST, school=school)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.group_session_create(
                school=school, room_id=data["room"].pk, counselor=request.user, starts_at=data["starts_at"],
                ends_at=data["starts_at"] + dt.timedelta(minutes=data["minutes"]), topic=data["topic"],
                capacity=data["capacity"],
            )  # fmt: skip
            messages.success(request, _("Saved."))
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("counseling:schedule")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: AuthedRequest) -> HttpResponse:
    """Rooms, the timetable's periods, the weekly opening template, closures and the school's rules."""
    school = _school(request)
    counselors = _counselors(school)
    which = request.POST.get("form")
    forms = {
        "room": RoomForm(request.POST if which == "room" else None, prefix="room"),
        "period": PeriodForm(request.POST if which == "period" else None, prefix="period"),
        "opening": OpeningForm(
            request.POST if which == "opening" else None, prefix="opening", school=school, counselors=counselors
        ),  # fmt: skip
        "closure": ClosureForm(request.POST if which == "closure" else None, prefix="closure", school=school),
        "settings": SettingsForm(
            request.POST if which == "settings" else None, prefix="settings", instance=services.settings_for(school.pk)
        ),  # fmt: skip
    }
    if request.method == "POST" and which in forms:
        form = forms[which]
        if form.is_valid():
            obj = form.save(commit=False)
            obj.school = school
            try:
                obj.full_clean()
                if which == "closure":
                    cancelled = services.closure_add(closure=obj)  # its slots close, their families are told
                    if cancelled:
                        messages.warning(request, _("%(count)s bookings were cancelled and the families told.")
                                         % {"count": cancelled})  # fmt: skip
                else:
                    obj.save()
            except ValidationError as exc:  # a unique or check constraint: show it on the form
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("counseling:setup")
    return render(request, "counseling/setup.html", {
        "school": school, "forms": forms, "standard": selectors.school_standard(school),
        "rooms": Room.objects.filter(school=school), "periods": Period.objects.filter(school=school),
        "openings": Opening.objects.filter(school=school).select_related("period", "room", "counselor"),
        "closures": Closure.objects.filter(school=school, date__gte=timezone.localdate()).select_related("period"),
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def slot(request: AuthedRequest, pk: int) -> HttpResponse:
    """One slot: who is booked and waiting; staff book for a student (by phone or in person)."""
    school = _school(request)
    item = access.get_or_404(Slot.objects.filter(school=school).select_related("room", "counselor"), pk=pk)
    students = (
        Student.objects.filter(school=school, status="active")
        .select_related("classroom")
        .order_by("classroom__grade", "classroom__name", "name")
    )
    form = StaffBookForm(request.POST or None, students=students)
    alternatives: list[Slot] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = None
        if data["notify_guardian"]:
            link = StudentGuardian.objects.filter(student=data["student"], is_primary=True).select_related("guardian")
            contact = link.first().guardian if link.exists() else None  # type: ignore[union-attr]
        try:
            services.booking_create(slot=item, student=data["student"], channel=data["channel"], made_by=request.user,
                                    contact=contact, reason=data["reason"])  # fmt: skip
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
            alternatives = refused.alternatives
        else:
            messages.success(request, _("Booked."))
            return redirect("counseling:slot", pk=pk)
    bookings = list(item.bookings.select_related("student__classroom", "made_by", "record").order_by("created_at"))
    audit.record_read(Booking, [b.pk for b in bookings], detail={"via": "slot"})
    return render(request, "counseling/slot.html", {
        "slot": item, "bookings": bookings, "form": form, "alternatives": alternatives,
        "started": item.starts_at <= timezone.now(),
    })  # fmt: skip


@login_required
@require_POST
def booking_mark(request: AuthedRequest, pk: int) -> HttpResponse:
    school = _school(request)
    booking = access.get_or_404(Booking.objects.filter(slot__school=school).select_related("slot"), pk=pk)
    status = request.POST.get("status", "")
    if status not in ("attended", "no_show"):
        messages.error(request, _("Choose attended or did not come."))
    else:
        try:
            services.booking_mark(booking=booking, status=status, by=request.user)
            messages.success(request, _("Saved."))
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
    return redirect("counseling:slot", pk=booking.slot_id)


# --- bookings: parents and staff alike ---------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def booking_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    """Cancel asks once: the booking and a button that cancels it (GET), then the cancellation (POST)."""
    booking = access.get_or_404(selectors.bookings_for(request.user, to_change=True), pk=pk)
    staff = booking.slot.school_id in access.roles_of(request.user).staff_school_ids
    if request.method == "GET":
        back = reverse("counseling:slot", args=[booking.slot_id]) if staff else reverse(
            "counseling:parent_booking", args=[booking.pk]
        )  # fmt: skip
        refusal = offers.change_refusal(booking, request.user)
        return render(request, "counseling/cancel.html", {
            "booking": booking, "back": back, "refusal": REFUSALS[refusal] if refusal else None,
        })  # fmt: skip
    try:
        services.booking_cancel(booking=booking, by=request.user)
        messages.success(request, _("The booking is cancelled."))
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
    if staff:
        return redirect("counseling:slot", pk=booking.slot_id)
    return redirect("counseling:parent_home")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def booking_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """As booking: a day (?day=), then a time (?slot=), then a confirm step showing the old and the new time;
    the POST moves."""
    changeable = selectors.bookings_for(request.user, to_change=True).filter(status__in=["booked", "waiting"])
    booking = access.get_or_404(changeable, pk=pk)
    offered = offers.move_offers(request.user, booking)
    form = BookForm(request.POST or request.GET or None)
    if form.is_valid():
        target = access.get_or_404(offered, pk=form.cleaned_data["slot"])
        if request.method == "GET":
            return render(request, "counseling/move_confirm.html", {"booking": booking, "slot": target})
        try:
            services.booking_move(booking=booking, to_slot=target, by=request.user)
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
        else:
            messages.success(request, _("The booking is moved."))
            if booking.slot.school_id in access.roles_of(request.user).staff_school_ids:
                return redirect("counseling:schedule")
            return redirect("counseling:parent_home")
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    days = offers.days(offered)
    if day not in {d.date for d in days}:
        day = None
    return render(request, "counseling/move.html", {
        "booking": booking, "days": days, "day": day, "times": offers.times_on(offered, day) if day else [],
    })  # fmt: skip


@require_safe
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """A booking as an .ics file: for whoever may see the booking (signed in), or the student of the session."""
    student = _code_student(request)
    if request.user.is_authenticated:
        qs = selectors.bookings_for(request.user)
    elif student is not None:
        qs = Booking.objects.filter(student=student, channel="student").select_related("slot__room", "slot__school")
    else:
        raise Http404
    booking = access.get_or_404(qs, pk=pk)
    return calendar.ics_response([booking], filename=f"booking-{booking.pk}.ics")


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A counselor's private calendar feed (its random link): their school's sessions, without students' names."""
    user = calendar.user_for_feed(token)
    if user is None:
        raise Http404
    return calendar.ics_response(calendar.feed_bookings(user), filename="counseling.ics")


# --- students, with their booking code ---------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def student_start(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if code_tries_exhausted(request, "booking-code", code=form.cleaned_data["code"]):
            form.add_error("code", REFUSALS["too_many"])
        else:
            try:
                student = services.student_for_code(form.cleaned_data["code"])
            except services.Refused as refused:
                code_try_failed(request, "booking-code", code=form.cleaned_data["code"])
                form.add_error("code", REFUSALS[refused.code])
            else:
                request.session.flush()  # a shared computer: nothing of the previous visitor carries over
                request.session[STUDENT_SESSION] = {"pk": student.pk, "at": timezone.now().timestamp()}
                return redirect("counseling:student_book")
    return render(request, "counseling/student_start.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def student_book(request: HttpRequest) -> HttpResponse:
    student = _code_student(request)
    if student is None:
        return redirect("counseling:student_start")
    if request.method == "POST" and "done" in request.POST:
        request.session.flush()
        return redirect("counseling:student_start")
    own = Booking.objects.filter(student=student, channel="student")  # never a place a parent or staff made
    free = services.free_slots(student.school_id, exclude_student=student, hide=own)
    form = BookForm(request.POST or None)
    alternatives: list[Slot] = []
    if request.method == "POST" and "cancel" in request.POST:
        raw = request.POST.get("cancel", "")
        booking = own.filter(pk=int(raw)).select_related("slot").first() if raw.isascii() and raw.isdecimal() else None
        if booking is not None:
            try:
                services.booking_cancel(booking=booking, by=None)
                messages.success(request, _("The booking is cancelled."))
            except services.Refused as refused:
                messages.error(request, REFUSALS[refused.code])
        return redirect("counseling:student_book")
    if request.method == "POST" and form.is_valid():
        target = services.bookable(student.school_id).filter(pk=form.cleaned_data["slot"]).first()
        try:
            if target is None:
                raise services.Refused("gone")
            services.booking_create(slot=target, student=student, channel="student",
                                    reason=form.cleaned_data["reason"])  # fmt: skip
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
            alternatives = refused.alternatives
        else:
            messages.success(request, _("Booked. See you then!"))
            return redirect("counseling:student_book")
    mine = (
        Booking.objects.filter(
            student=student, status__in=["booked", "waiting"], channel="student", slot__starts_at__gt=timezone.now()
        )  # fmt: skip
        .select_related("slot__room")
        .order_by("slot__starts_at")
    )
    return render(request, "counseling/student_book.html", {
        "student": student, "slots": free[:60], "form": form, "alternatives": alternatives, "mine": mine,
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def booking_codes(request: AuthedRequest, classroom_pk: int) -> HttpResponse:
    """A class's personal booking codes, printed and handed out by the school (each print is audited)."""
    school = _school(request)
    classroom = access.get_or_404(Classroom.objects.filter(school=school), pk=classroom_pk)
    students = list(Student.objects.filter(classroom=classroom, status="active").order_by("student_number"))
    if request.method == "POST":
        made = services.booking_codes_issue(students=students)
        messages.success(request, _("%(count)s codes issued.") % {"count": made})
        return redirect("counseling:booking_codes", classroom_pk=classroom_pk)
    codes = {c.student_id: c.code for c in BookingCode.objects.filter(student__in=students)}
    audit.record_read(Student, [s.pk for s in students if s.pk in codes], verb="print_booking_code")
    return render(request, "counseling/booking_codes.html", {
        "classroom": classroom, "rows": [(s, codes.get(s.pk)) for s in students],
    })  # fmt: skip


# --- session records ---------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_new(request: AuthedRequest, booking_pk: int) -> HttpResponse:
    school = _school(request)
    booking = access.get_or_404(
        Booking.objects.filter(slot__school=school).select_related("student", "slot", "record"), pk=booking_pk
    )
    if hasattr(booking, "record"):  # written already (a second tab, an old link): the record, not a second form
        return redirect("counseling:record", pk=booking.record.pk)
    form = RecordForm(
        request.POST or None, initial={"session_type": "group" if booking.slot.kind == "group" else "individual"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = services.session_record_create(student=booking.student, author=request.user, booking=booking,
                                                    **form.cleaned_data)  # fmt: skip
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
            return redirect("counseling:slot", pk=booking.slot_id)
        messages.success(request, _("Saved."))
        return redirect("counseling:record", pk=record.pk)
    return render(request, "counseling/record_new.html", {"booking": booking, "form": form})


def _record(request: AuthedRequest, pk: int) -> SessionRecord:
    staff = access.roles_of(request.user).staff_school_ids
    return access.get_or_404(
        SessionRecord.objects.filter(student__school_id__in=staff).select_related("student", "author"), pk=pk
    )


@login_required
@never_cache
@require_safe
def record(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _record(request, pk)
    own = access.may_read_notes(request.user, item)
    audit.record_view(item, private_notes_shown=own)
    colleagues = (
        _counselors(item.student.school).exclude(pk=request.user.pk) if item.author_id == request.user.pk else []
    )
    return render(request, "counseling/record.html", {
        "record": item, "notes": item.private_notes if own else None, "glass_form": BreakGlassForm(),
        "colleagues": colleagues,
    })  # fmt: skip


@login_required
@never_cache
@require_POST
def record_break_glass(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _record(request, pk)
    form = BreakGlassForm(request.POST)
    if not form.is_valid():
        messages.error(request, REFUSALS["reason"])
        return redirect("counseling:record", pk=pk)
    notes = services.private_notes_break_glass(record=item, by=request.user, reason=form.cleaned_data["reason"])
    return render(request, "counseling/record.html", {"record": item, "notes": notes, "break_glass": True})


@login_required
@require_POST
def record_share(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _record(request, pk)
    raw = request.POST.get("user", "")
    valid = raw.isascii() and raw.isdecimal()
    colleague = _counselors(item.student.school).filter(pk=int(raw)).first() if valid else None
    if colleague is None:
        messages.error(request, _("Choose a colleague at this school."))
        return redirect("counseling:record", pk=pk)
    try:
        services.private_notes_share(record=item, with_user=colleague, by=request.user)
        messages.success(request, _("Shared."))
    except services.Refused as refused:
        messages.error(request, REFUSALS[refused.code])
    return redirect("counseling:record", pk=pk)


# --- the confide mailbox -----------------------------------------------------------------------------------

MAILBOX_PER_HOUR = 5  # per address: enough for a student, too few to flood the counselors


@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_write(request: HttpRequest, district_code: str, school_code: str) -> HttpResponse:
    """A student writes to the school's counselors without an account or a name (知心信箱). The school is named
    by its district and its code: a code is unique only within a district, and a letter must never reach
    another district's school of the same code."""
    school = School.objects.filter(district__code=district_code, code=school_code).first()
    if school is None:
        raise Http404
    form = MailboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Flooding: a short-lived counter keyed by a hash of the address, in the cache only; nothing about the
        # sender is stored with the message.
        # The address is hashed with a random pepper that lives only in the cache and changes hourly: even
        # with the server's secrets, a counter cannot be tied back to an address afterwards.
        pepper = cache.get_or_set("mailbox:pepper", lambda: secrets.token_hex(16), timeout=60 * 60)
        digest = hmac.new(str(pepper).encode(), client_ip(request).encode(), hashlib.sha256).hexdigest()
        key = f"mailbox:{school.pk}:{digest}"
        cache.add(key, 0, timeout=60 * 60)
        if cache.incr(key) > MAILBOX_PER_HOUR:
            form.add_error(None, REFUSALS["flood"])
        else:
            posted = services.mailbox_post(school=school, body=form.cleaned_data["body"])
            return render(request, "counseling/mailbox_sent.html", {"school": school, "code": posted.reply_code,
                                                                     "hotline": settings.HELP_HOTLINE})  # fmt: skip
    return render(request, "counseling/mailbox_write.html", {"school": school, "form": form,
                                                             "hotline": settings.HELP_HOTLINE})  # fmt: skip


@require_safe
def mailbox_write_by_code(request: HttpRequest, school_code: str) -> HttpResponse:
    """An address with the school's code alone: to the school's mailbox when one school has that code, else the
    schools that share it, to choose from (their names are public); nothing is posted here."""
    schools = list(School.objects.filter(code=school_code).select_related("district").order_by("district__name"))
    if not schools:
        raise Http404
    if len(schools) == 1:
        return redirect(selectors.mailbox_path(schools[0]))
    choices = [(school, selectors.mailbox_path(school)) for school in schools]
    return render(request, "counseling/mailbox_choose.html", {"choices": choices})


@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_read(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    message = None
    if request.method == "POST" and form.is_valid():
        if code_tries_exhausted(request, "mailbox-code", code=form.cleaned_data["code"]):
            form.add_error("code", REFUSALS["too_many"])
        else:
            try:
                message = services.mailbox_for_code(form.cleaned_data["code"])
            except services.Refused as refused:
                code_try_failed(request, "mailbox-code", code=form.cleaned_data["code"])
                form.add_error("code", REFUSALS[refused.code])
    return render(request, "counseling/mailbox_read.html", {"form": form, "message": message})


@login_required
@never_cache
@require_safe
def mailbox(request: AuthedRequest) -> HttpResponse:
    access.require(access.is_school_staff(request.user))
    rows = list(selectors.mailbox_for(request.user)[:200])
    audit.record_read(MailboxMessage, [m.pk for m in rows], detail={"via": "list"})  # bodies shown
    return render(request, "counseling/mailbox.html", {"rows": rows})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_message(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access.get_or_404(selectors.mailbox_for(request.user), pk=pk)
    students = Student.objects.filter(school=item.school, status="active").order_by("classroom__grade", "name")
    reply_form = ReplyForm(request.POST if request.POST.get("action") == "reply" else None)
    identify_form = IdentifyForm(request.POST if request.POST.get("action") == "identify" else None, students=students)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reply" and reply_form.is_valid():
                services.mailbox_reply(message=item, reply=reply_form.cleaned_data["reply"], by=request.user)
            elif action == "close":
                services.mailbox_close(message=item, by=request.user)
            elif action == "identify" and identify_form.is_valid():
                services.mailbox_identify(message=item, by=request.user, **identify_form.cleaned_data)
            else:
                raise services.Refused("reason") if action not in ("reply", "identify") else ValueError
        except services.Refused as refused:
            messages.error(request, REFUSALS[refused.code])
        except ValueError:
            pass
        else:
            messages.success(request, _("Saved."))
            return redirect("counseling:mailbox_message", pk=pk)
    audit.record_view(item)
    return render(request, "counseling/mailbox_message.html", {
        "message": item, "reply_form": reply_form, "identify_form": identify_form,
    })  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def risk_words(request: AuthedRequest) -> HttpResponse:
    """The district's risk words for the mailbox: its officials keep the list."""
    district = access.official_district(request.user)
    instance = RiskWords.objects.filter(district=district).first() or RiskWords(
        district=district, words=services.DEFAULT_RISK_WORDS
    )
    form = RiskWordsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("counseling:risk_words")
    return render(request, "counseling/risk_words.html", {"form": form, "district": district})
