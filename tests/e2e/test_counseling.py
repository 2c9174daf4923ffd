"""Through a real browser on a phone-sized screen: a parent books a counselor; a student writes to the
confide mailbox and later reads the reply."""

from django.utils import timezone

from counseling import services
from counseling.models import Booking, MailboxMessage
from tests.e2e.test_shell import _sign_in


def test_a_parent_books_a_slot_on_a_phone_and_sees_it_listed(world, phone):
    slot = world.slot_a
    _sign_in(phone, "parent_x")
    phone.goto("/counseling/my/")
    phone.click("text=为Xiao X预约")
    phone.click(f"button[name=day][value='{timezone.localdate(slot.starts_at).isoformat()}']")
    phone.click(f"button[name=slot][value='{slot.pk}']")
    phone.click("main form[method=post] button")  # the confirm step
    assert "预约成功" in phone.locator(".messages").inner_text()
    phone.goto("/counseling/my/")
    listed = phone.locator("ul.bookings").inner_text()
    assert timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M") in listed and "Xiao X" in listed
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert Booking.objects.get(student=world.student_x).channel == "parent"


def test_a_student_writes_to_the_mailbox_and_reads_the_reply(world, phone):
    phone.goto(f"/counseling/mailbox/write/{world.district_a.code}/{world.school_a.code}/")
    phone.fill("textarea[name=body]", "最近压力很大，晚上睡不着。")
    phone.click("main button[type=submit]")
    code = phone.locator("#reply-code").inner_text()
    message = MailboxMessage.objects.get()
    services.mailbox_reply(
        message=message, reply="谢谢你告诉我们。周三中午来心理室聊聊好吗？", by=world.users["counselor_a"]
    )
    phone.goto("/counseling/mailbox/reply/")
    phone.fill("input[name=code]", code)
    phone.click("main button[type=submit]")
    assert "周三中午来心理室" in phone.locator("#reply").inner_text()
