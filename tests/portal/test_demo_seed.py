"""The demo district loads through the real importer, twice without duplicates, and its logins work."""

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

    # Each login works and lands on the home page of its role.
    for username, heading in [("official", "全市概况"), ("counselor-a", "本校"), ("teacher", "我的班级"),
                              ("parent", "我的孩子")]:  # fmt: skip
        client.logout()
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True)
        assert f"<h1>{heading}</h1>" in response.content.decode(), username
    # The demo parent sees exactly one child, who sits in the demo teacher's class.
    child = Student.objects.visible_to(User.objects.get(username="parent")).get()
    assert child.classroom.class_teacher.username == "teacher"
