"""Through a real browser, a counselor's day: the home page is the worklist, the alert is one click from its case,
and the follow-up form comes up with today's date filled in; a teacher finds a student by typing part of a name."""

from django.utils import timezone

from crisis import services
from crisis.models import FollowUp, Referral
from tests.e2e.test_on_call import _sign_in_with_second_factor


def test_from_the_alert_to_the_case_to_a_follow_up(world, desktop, shot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # a critical screening answer from Xiao W
        case = services.case_raise(student=world.student_w, suggested_tier=3, source="screening", cause="response:9")
    counselor = world.users["counselor_a"]
    counselor.first_name, counselor.last_name = "芳", "王"
    counselor.save(update_fields=["first_name", "last_name"])

    _sign_in_with_second_factor(desktop, counselor)
    desktop.goto("/")
    nav = desktop.locator("header nav")
    assert nav.locator(".badge").count() == 1  # the unread count beside 站内信
    waiting = desktop.locator("section[aria-labelledby=worklist-waiting]").inner_text()
    assert "Xiao W" in waiting and "重大（三级）" in waiting  # the new case, on the worklist
    shot(desktop, "counselor-1-home")

    desktop.click("header nav >> text=站内信")
    desktop.locator("main form button", has_text="打开个案").first.click()
    desktop.wait_for_url(f"**/crisis/cases/{case.pk}/")
    today = timezone.localdate().isoformat()
    assert desktop.input_value("#id_date") == today  # the browser shows the pre-filled date (ISO), not an empty box
    desktop.fill("#id_summary", "电话联系家长，约定明天面谈。")
    desktop.click(f"form[action='/crisis/cases/{case.pk}/follow-up/'] button[type=submit]")
    desktop.wait_for_load_state()
    follow_up = FollowUp.objects.filter(case=case).latest("id")
    assert (follow_up.date.isoformat(), follow_up.summary) == (today, "电话联系家长，约定明天面谈。")
    shot(desktop, "counselor-2-case")


def test_a_teacher_finds_a_student_by_typing_part_of_the_name(world, desktop):
    _sign_in_with_second_factor(desktop, world.users["teacher_a"])
    desktop.goto("/crisis/refer/")
    desktop.fill("main input[type=search]", "iao X")
    shown = desktop.eval_on_selector_all("#id_student option", "os => os.filter(o => !o.hidden && o.value).length")
    assert shown == 1 and desktop.input_value("#id_student") == str(world.student_x.pk)  # chosen as typed
    desktop.fill("#id_concern", "上课时一直哭。")
    desktop.click("main button[type=submit]")
    desktop.wait_for_load_state()
    referral = Referral.objects.latest("id")
    assert referral.case.student == world.student_x and referral.concern == "上课时一直哭。"
