"""Through a real Chromium on a phone, as in cal.com or Calendly: a parent picks a day, then a time, confirms what,
when, where and with whom, and lands on a done page; cancelling asks once. A time their child already holds is
never offered, and a booking the school made for the child is listed."""

import datetime as dt

from django.utils import timezone

from counseling import services
from counseling.models import Booking, Slot
from tests.e2e.test_shell import _sign_in

PHONE_WIDTH = 390
TAP_TARGET_PX = 44  # UX.md: tap targets of at least 44 px on a phone


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    heights = page.eval_on_selector_all("main button", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= TAP_TARGET_PX, heights


def test_a_parent_books_and_cancels_on_a_phone(world, phone, shot):
    slot = world.slot_a  # tomorrow 10:00
    counselor = world.users["counselor_a"]
    counselor.first_name, counselor.last_name = "王芳", ""
    counselor.save()
    Slot.objects.create(school=world.school_a, room=slot.room, counselor=counselor,
                        starts_at=slot.starts_at + dt.timedelta(hours=4),
                        ends_at=slot.ends_at + dt.timedelta(hours=4))  # fmt: skip
    # The school booked Xiao X in person the day after: listed for the parent, and that time never offered.
    held_slot = Slot.objects.create(school=world.school_a, room=slot.room, counselor=counselor,
                                    starts_at=slot.starts_at + dt.timedelta(days=1),
                                    ends_at=slot.ends_at + dt.timedelta(days=1))  # fmt: skip
    by_school = services.booking_create(slot=held_slot, student=world.student_x, channel="in_person",
                                        made_by=counselor)  # fmt: skip
    held_day = timezone.localdate(held_slot.starts_at).isoformat()
    day = timezone.localdate(slot.starts_at).isoformat()

    _sign_in(phone, "parent_x")
    phone.goto("/counseling/my/")
    assert "Xiao X" in phone.locator(f"#booking-{by_school.pk}").inner_text()
    _fits_a_phone(phone)

    # Step one: a day. The day whose only time Xiao X already holds is not offered.
    phone.click(f"main form[action='/counseling/my/{world.student_x.pk}/book/'] button")
    assert phone.locator(f"button[name=day][value='{day}']").count() == 1
    assert phone.locator(f"button[name=day][value='{held_day}']").count() == 0
    _fits_a_phone(phone)

    # Step two: that day's times (two, not a flat list of the fortnight).
    phone.click(f"button[name=day][value='{day}']")
    assert phone.locator("button[name=slot]").count() == 2
    assert phone.locator(f"button[name=slot][value='{held_slot.pk}']").count() == 0
    _fits_a_phone(phone)
    shot(phone, "parent-booking-1-time")

    # Step three: what, when, where and with whom; nothing is booked until the button says so.
    phone.click(f"button[name=slot][value='{slot.pk}']")
    facts = phone.locator("dl.facts").inner_text()
    assert all(fact in facts for fact in ("10:00", "School A", "1号咨询室", "王芳", "Xiao X")), facts
    assert not Booking.objects.filter(slot=slot).exists()
    phone.select_option("select[name=reason]", "study")
    _fits_a_phone(phone)
    shot(phone, "parent-booking-2-confirm")
    phone.click("main form[method=post] button")

    # Done: the booking's own page, with what happens next.
    booking = Booking.objects.get(slot=slot, student=world.student_x)
    assert (booking.status, booking.channel, booking.reason) == ("booked", "parent", "study")
    assert phone.url.endswith(f"/counseling/my/bookings/{booking.pk}/")
    assert "预约成功" in phone.locator(".messages").inner_text()
    _fits_a_phone(phone)
    shot(phone, "parent-booking-3-done")

    # Move, as booking: a day, that day's times, a confirm step with the new time; nothing moves before it.
    phone.click(f"main form[action='/counseling/bookings/{booking.pk}/move/'] button")
    phone.click(f"button[name=day][value='{day}']")
    assert phone.locator(f"button[name=slot][value='{slot.pk}']").count() == 0  # the time it holds
    _fits_a_phone(phone)
    phone.click("button[name=slot]")
    assert "14:00" in phone.locator("dl.facts").inner_text()
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    phone.click("main form[method=post] button")
    assert "预约已改期" in phone.locator(".messages").inner_text()
    booking = Booking.objects.get(student=world.student_x, channel="parent", status="booked")
    assert timezone.localtime(booking.slot.starts_at).hour == 14
    phone.goto(f"/counseling/my/bookings/{booking.pk}/")

    # Cancel asks once: the first tap only asks.
    phone.click(f"main form[action='/counseling/bookings/{booking.pk}/cancel/'] button")
    assert "14:00" in phone.locator("dl.facts").inner_text()
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    _fits_a_phone(phone)
    phone.click("main form[method=post] button")
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert "预约已取消" in phone.locator(".messages").inner_text()
    assert phone.locator(f"#booking-{booking.pk}").count() == 1  # listed under "earlier", as cancelled
    assert Booking.objects.get(pk=by_school.pk).status == "booked"  # the school's booking untouched


def test_a_parent_confirms_the_school_s_request_from_the_home_page(world, phone, shot):
    from crisis.models import GuardianNotice

    for persona, name in (("parent_x", "李红"), ("counselor_a", "王芳")):
        world.users[persona].first_name = name
        world.users[persona].phone = "0571-88880000" if persona == "counselor_a" else ""
        world.users[persona].save()
    notice = GuardianNotice.objects.create(case=world.case_x, guardian=world.guardian_x, tier=2,
                                           expires_at=timezone.now() + dt.timedelta(days=1))  # fmt: skip
    _sign_in(phone, "parent_x")
    phone.goto("/")
    waiting = phone.locator("section[aria-labelledby=worklist-notices]")
    assert "Xiao X" in waiting.inner_text() and "二级" not in waiting.inner_text()  # no clinical detail
    assert "王芳" in waiting.inner_text() and waiting.locator("a[href='tel:0571-88880000']").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    shot(phone, "parent-home-notice")
    waiting.locator("a.btn").click()
    phone.click("main form[method=post] button")
    notice.refresh_from_db()
    assert notice.acknowledged_via == "link"
    phone.goto("/")
    assert phone.locator("section[aria-labelledby=worklist-notices]").count() == 0
