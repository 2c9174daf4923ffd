"""Through a real browser: a school is over capacity; the district's official sends an expert to its queue; the
expert finds the waiting cases under "My assignments", opens one and assesses it."""

from crisis import services
from crisis.models import Case, QueueAssignment, Status
from tests import factories
from tests.e2e.test_on_call import _sign_in_with_second_factor


def test_an_official_sends_an_expert_who_assesses_a_waiting_case(world, desktop):
    student = factories.StudentFactory(classroom=world.class_a2, name="等待 甲")
    case = services.case_raise(student=student, suggested_tier=3, source="screening")
    expert = world.responder(world.district_a, "expert_a")
    expert.membership.user.first_name, expert.membership.user.last_name = "专", "家"
    expert.membership.user.save()

    _sign_in_with_second_factor(desktop, world.users["official_a"])
    desktop.goto("/crisis/incidents/")
    desktop.click("text=支援超出评估能力的学校")
    assert "目前没有人员在支援学校的待评估个案" in desktop.locator("main").inner_text()
    desktop.select_option("#id_school", str(world.school_a.pk))
    desktop.fill("#id_days", "40")
    desktop.click("main button[type=submit]")
    assert not QueueAssignment.objects.exists()  # 40 days refused next to the field, nothing saved
    desktop.check(f"input[name=responders][value='{expert.pk}']")
    desktop.fill("#id_days", "2")
    desktop.click("main button[type=submit]")
    assert "School A" in desktop.locator("table").inner_text()
    assert QueueAssignment.objects.get().school == world.school_a

    desktop.context.clear_cookies()
    _sign_in_with_second_factor(desktop, expert.membership.user)
    desktop.goto("/crisis/assignments/")
    desktop.click("text=等待 甲")
    assert "我已接手" not in desktop.locator("main").inner_text()  # not paged after hours: nothing to take on
    desktop.select_option("#id_tier", "3")
    with desktop.expect_navigation():
        desktop.click("main button:has-text('确认等级')")
    assert "已保存" in desktop.locator("main").inner_text(), desktop.locator("main").inner_text()
    case.refresh_from_db()
    assert (case.status, case.confirmed_tier, case.confirmed_by) == (Status.OPEN, 3, expert.membership.user)
    assert Case.objects.filter(student__school=world.school_a, status=Status.PENDING).count() == 0
