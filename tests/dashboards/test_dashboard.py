"""The district dashboard: figures hand-computed on a fixture district, suppression on the page, another
district's official sees nothing, and the page's query count pinned."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import selectors, services
from dashboards.models import SchoolRollup, ScreeningCell
from portal.models import AuditEvent
from screening.models import Participation
from tests import factories


@pytest.fixture
def screened(world):
    """School A: 22 grade-7 students invited (6 left-behind), 20 completed: 10 tier 0, 5 tier 1, 5 tier 2.
    School B: student Y, completed at tier 3."""
    for n in range(20):
        factories.StudentFactory(classroom=world.class_a2, left_behind=n < 6)
    campaign = world.campaign_a
    done = timezone.now()
    a = list(Participation.objects.filter(campaign=campaign, student__school=world.school_a).order_by("pk"))
    for i, p in enumerate(a[:20]):
        Participation.objects.filter(pk=p.pk).update(consent="granted", completed_at=done,
                                                     suggested_tier=0 if i < 10 else 1 if i < 15 else 2)  # fmt: skip
    Participation.objects.filter(campaign=campaign, student=world.student_y).update(
        consent="granted", completed_at=done, suggested_tier=3
    )
    services.refresh(world.district_a)
    return campaign


def test_figures_match_hand_computed_values(world, screened):
    rollup = SchoolRollup.objects.get(school=world.school_a)
    assert (rollup.students, rollup.open_severe, rollup.open_major) == (22, 1, 0)  # case X: confirmed tier 2, open
    assert (rollup.full_time, rollup.part_time) == (1, 0)
    cell = ScreeningCell.objects.get(school=world.school_a, grade=7, group="all")
    assert (cell.invited, cell.completed, cell.tier0, cell.tier1, cell.tier2, cell.tier3) == (22, 20, 10, 5, 5, 0)
    left = ScreeningCell.objects.get(school=world.school_a, grade=7, group="left_behind")
    assert left.invited == 6
    assert services.refresh(world.district_a) == 2  # idempotent: the same two schools, upserted
    assert SchoolRollup.objects.count() == 2


def test_small_cells_and_their_complements_never_show(world, screened, login):
    board = selectors.dashboard(world.users["official_a"], kind="nine_year")  # school A alone
    [row] = board.rows
    # 20 of 22 completed: the 2 who did not are fewer than 5, so "completed" goes with them (and coverage).
    assert (str(row.invited), str(row.completed), row.coverage) == ("22", "<5", "")
    # Tier 3 is 0 (<5), so its complement goes too; with one school, the district totals would repeat the
    # school's cells, so a total over a lone hidden cell is hidden as well.
    assert [str(t) for t in row.tiers] == ["<5", "5", "<5"]
    assert [str(t) for t in board.tier_totals] == ["<5", "5", "<5"]
    assert row.positive_percent is None
    assert str(row.overdue) == "<5" and row.ack_percent == ""  # too few to say anything of a family
    full = selectors.dashboard(world.users["official_a"])  # schools A and B
    # 21 of 23 completed district-wide: the 2 who did not would show, so the card hides "completed".
    assert (str(full.totals["invited"]), str(full.totals["completed"])) == ("23", "<5")
    assert str(full.acknowledged) == "<5" and str(full.notices) == "<5"
    b = next(r for r in full.rows if r.school == world.school_b)
    assert str(b.invited) == "<5" and all(str(t) == "<5" for t in b.tiers)
    html = login(world.users["official_a"]).get(reverse("dashboards:dashboard")).content.decode()
    assert "&lt;5" in html and world.student_y.name not in html and world.student_x.name not in html


def test_another_districts_official_sees_nothing_and_a_leader_sees_their_school(world, screened, login):
    board = selectors.dashboard(world.users["official_b"])
    assert [r.school for r in board.rows] == [world.school_c]
    assert (
        login(world.users["official_b"]).get(reverse("dashboards:school", args=[world.school_a.pk])).status_code == 404
    )
    leader = selectors.dashboard(world.users["leader_a"])
    assert [r.school for r in leader.rows] == [world.school_a]
    for persona in ("teacher_a", "parent_x"):
        assert login(world.users[persona]).get(reverse("dashboards:dashboard")).status_code == 404


def test_the_page_runs_a_constant_number_of_queries_and_is_audited(world, screened, login):
    client = login(world.users["official_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboards:dashboard")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for n in range(6):
        school = factories.SchoolFactory(district=world.district_a, name=f"Extra {n}", code=f"x{n}")
        factories.StudentFactory(classroom=factories.ClassroomFactory(school=school))
    services.refresh(world.district_a)
    assert queries() == few
    assert AuditEvent.objects.filter(action="dashboard.view").count() == 2


def test_the_workers_task_refreshes_every_district(world, screened):
    from dashboards import tasks

    SchoolRollup.objects.all().delete()
    assert tasks.refresh.delay().get() == 2  # schools A and B; district B has no school year yet


def test_the_api_gives_the_same_suppressed_figures(world, screened, login):
    body = login(world.users["official_a"]).get(reverse("api-dashboard"), {"kind": "nine_year"}).json()
    [school] = body["schools"]
    assert (school["name"], school["invited"], school["completed"], school["tiers"]) == (
        "School A", 22, "<5", ["<5", 5, "<5"]
    )  # fmt: skip
    assert body["tiers"] == ["<5", 5, "<5"]
    assert login(world.users["official_b"]).get(reverse("api-dashboard")).json()["schools"][0]["name"] == "School C"


def test_the_generator_makes_a_district_the_dashboard_reads(db, capsys):
    from django.core.management import call_command

    call_command("generate_district", "--schools", "8", "--students", "400", "--responses", "2000")
    out = capsys.readouterr().out
    assert "8 schools, 400 students, 2000 responses" in out
    from portal.models import District

    district = District.objects.get(name="Bench")
    assert SchoolRollup.objects.filter(school__district=district).count() == 8
    cells = ScreeningCell.objects.filter(school__district=district, group="all")
    assert sum(c.invited for c in cells) == 400 and sum(c.completed for c in cells) == 400


def test_the_api_answers_from_its_cache_until_the_next_refresh(world, screened, login, django_assert_max_num_queries):
    official = login(world.users["official_a"])
    first = official.get(reverse("api-dashboard")).json()
    # School A's results are withdrawn: the dashboard shows the rollups, so nothing changes until a refresh...
    Participation.objects.filter(campaign=screened, student__school=world.school_a).update(completed_at=None)
    with django_assert_max_num_queries(12):  # session, user, device, roles, visible schools, the audit event
        assert official.get(reverse("api-dashboard")).json() == first
    assert AuditEvent.objects.filter(action="dashboard.view").count() == 2  # every read audited, cached or not
    services.refresh(world.district_a)
    assert official.get(reverse("api-dashboard")).json()["tiers"] != first["tiers"]
    # Another district's official never gets the first district's cached answer, nor does a filter share it.
    assert login(world.users["official_b"]).get(reverse("api-dashboard")).json()["schools"][0]["name"] == "School C"
    unfiltered = official.get(reverse("api-dashboard")).json()
    assert official.get(reverse("api-dashboard"), {"kind": "nine_year"}).json()["schools"] != unfiltered["schools"]


def test_cases_awaiting_assessment_are_counted_by_tier_with_those_past_the_deadline(world, login):
    """Six cases at school A wait for their first assessment: five 重大 (two opened three hours ago, so past
    their hour), one 严重. The counts, the overdue and the oldest wait reach the rollup, the page and the API;
    school B's single case stays <5 and its age is not shown."""
    from crisis import services as crisis

    assert world.campaign_a.school_year  # district A's school year, which the rollups are kept for
    now = timezone.now()
    students = [factories.StudentFactory(classroom=world.class_a2) for _ in range(6)]
    with time_machine.travel(now - dt.timedelta(hours=3), tick=False):
        for student in students[:2]:
            crisis.case_raise(student=student, suggested_tier=3, source="screening")
    for student in students[2:5]:
        crisis.case_raise(student=student, suggested_tier=3, source="screening")
    crisis.case_raise(student=students[5], suggested_tier=2, source="teacher")
    lone = factories.StudentFactory(classroom=world.student_y.classroom)
    crisis.case_raise(student=lone, suggested_tier=3, source="screening")
    services.refresh(world.district_a)

    rollup = SchoolRollup.objects.get(school=world.school_a)
    assert (rollup.awaiting_general, rollup.awaiting_severe, rollup.awaiting_major, rollup.awaiting_overdue) == (
        0, 1, 5, 2
    )  # fmt: skip
    [a] = selectors.dashboard(world.users["official_a"], kind="nine_year").rows  # school A alone
    assert [str(c) for c in a.awaiting] == ["<5", "<5", "5"]
    assert a.awaiting_since is not None and (now - a.awaiting_since) >= dt.timedelta(hours=3)
    board = selectors.dashboard(world.users["official_a"])  # with school B's one case, A's 5 would give it away
    b = next(r for r in board.rows if r.school == world.school_b)
    assert [str(c) for c in b.awaiting] == ["<5", "<5", "<5"] and b.awaiting_since is None
    assert [str(c) for c in next(r for r in board.rows if r.school == world.school_a).awaiting] == ["<5"] * 3
    assert str(board.awaiting[2]) == "6" and str(board.awaiting_overdue) == "<5"
    assert board.awaiting_since == a.awaiting_since  # seven cases district-wide: enough to say how long
    client = login(world.users["official_a"])
    html = client.get(reverse("dashboards:dashboard"), {"kind": "nine_year"}).content.decode()
    assert "等待首次评估" in html and "重大（三级） 5" in html and "最久已等待 3" in html
    api = client.get(reverse("api-dashboard"), {"kind": "nine_year"}).json()
    [school_a] = api["schools"]
    assert (school_a["awaiting_major"], school_a["awaiting_severe"], school_a["awaiting_past_deadline"]) == (
        5, "<5", "<5"
    )  # fmt: skip
