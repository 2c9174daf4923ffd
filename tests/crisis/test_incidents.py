"""What reaches the district: tier-3 cases and reported incidents, with names; nothing else."""

from django.urls import reverse

from crisis import selectors, services
from crisis.models import Incident


def _names(client) -> str:
    return client.get(reverse("crisis:incidents")).content.decode()


def test_an_official_sees_a_case_only_once_it_is_reported(world, login, django_capture_on_commit_callbacks):
    official = login(world.users["official_a"])
    assert "Xiao X" not in _names(official)  # tier 2, not reported
    with django_capture_on_commit_callbacks(execute=True):
        services.case_confirm_tier(case=world.case_x, tier=3, by=world.users["counselor_a"])
    assert "Xiao X" in _names(official)
    assert "Xiao X" not in _names(login(world.users["official_b"]))  # another district
    assert "Xiao X" not in _names(login(world.users["counselor_b"]))  # another school
    # Confirming tier 3 again reports nothing more.
    services.case_confirm_tier(case=world.case_x, tier=3, by=world.users["counselor_a"])
    assert Incident.objects.filter(case=world.case_x).count() == 1
    # The official still cannot open the case itself (follow-up notes stay at school).
    assert login(world.users["official_a"]).get(reverse("crisis:case", args=[world.case_x.pk])).status_code == 404


def test_a_school_reports_an_incident_with_what_happened(world, login):
    client = login(world.users["leader_a"])
    report = {
        "what_happened": "课间在楼顶被发现",
        "actions_taken": "已陪同并联系家长",
        "outside_help": "市心理援助热线",
    }
    client.post(reverse("crisis:case_incident", args=[world.case_x.pk]), report)
    html = _names(login(world.users["official_a"]))
    assert "Xiao X" in html and "课间在楼顶被发现" in html and "市心理援助热线" in html
    assert [i.kind for i in selectors.incidents_for(world.users["official_a"])] == ["incident"]


def test_teachers_and_parents_see_no_incident(world, login):
    services.incident_report(case=world.case_x, by=world.users["leader_a"], what_happened="x", actions_taken="y",
                             outside_help="")  # fmt: skip
    for persona in ("teacher_a", "parent_x"):
        assert not selectors.incidents_for(world.users[persona]).exists()
