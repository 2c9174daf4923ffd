"""The demo district loads through the real importer, twice without duplicates, and its logins work."""

import re

from django.core.management import call_command
from django.urls import reverse

from portal.demo import DEMO_PASSWORD
from portal.models import Classroom, Guardian, Membership, Student, StudentGuardian, User


def _counts():
    return tuple(m.objects.count() for m in (User, Membership, Classroom, Student, Guardian, StudentGuardian))


def test_seed_runs_twice_without_errors_or_duplicates(db, client, capsys, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    first = _counts()
    printed = capsys.readouterr().out
    for username in ("official", "leader", "counselor-a", "counselor-b", "teacher", "parent"):
        assert username in printed
    call_command("seed_demo")
    assert _counts() == first
    assert first[3] == 576  # students across the four demo schools

    # Each login works and lands on the home page of its role; staff pass the second factor with the
    # demo device's code, which the verify page shows outside production.
    for username, heading in [("official", "全市概况"), ("counselor-a", "本校"), ("teacher", "我的班级"),
                              ("parent", "我的孩子")]:  # fmt: skip
        client.logout()
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True)
        html = response.content.decode()
        if username != "parent":
            code = re.search(r'id="demo-code">[^<]*?(\d{6})', html).group(1)
            response = client.post(response.request["PATH_INFO"], {"code": code, "next": "/"}, follow=True)
            html = response.content.decode()
        assert f"<h1>{heading}</h1>" in html, username
    # The demo ledger: two students on the high-risk list, one referral waiting, after two runs.
    from crisis import selectors
    from crisis.models import Case, FollowUp

    counselor = User.objects.get(username="counselor-a")
    assert [row.case.confirmed_tier for row in selectors.high_risk_list(counselor)] == [3, 2]
    assert selectors.pending_list(counselor).count() == 1
    assert (Case.objects.count(), FollowUp.objects.count()) == (3, 2)
    # The demo parent sees exactly one child, who sits in the demo teacher's class.
    child = Student.objects.visible_to(User.objects.get(username="parent")).get()
    assert child.classroom.class_teacher.username == "teacher"
    # The demo campaign: open at school A, the teacher's class consented, five forms done; the README's code
    # opens a form, and the expert logs in to their assignment.
    from screening.demo import DEMO_CODE
    from screening.models import Campaign, Participation

    campaign = Campaign.objects.get()
    assert Participation.objects.filter(campaign=campaign, completed_at__isnull=False).count() == 5
    client.logout()
    assert client.post(reverse("screening:take"), {"code": DEMO_CODE})["Location"] == reverse("screening:question")
    assert "expert" in printed
    # Counseling: school A has a room open ten periods a week, slots ahead, and the README's booking code.
    from counseling import selectors as counseling
    from counseling.demo import DEMO_BOOKING_CODE
    from counseling.models import Slot
    from portal.models import School

    school_a = School.objects.get(counseling_rooms__isnull=False)
    assert counseling.school_standard(school_a).meets
    assert Slot.objects.filter(school=school_a).count() > 0
    client.logout()
    response = client.post(reverse("counseling:student_start"), {"code": DEMO_BOOKING_CODE})
    assert response["Location"] == reverse("counseling:student_book")
