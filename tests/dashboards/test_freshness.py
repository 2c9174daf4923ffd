"""Figures the dashboard can be trusted with: computed as soon as a district is loaded (a roster import, the
demo), stamped with the time they were computed, and a summary that counts exactly what the rows show."""

import datetime as dt

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crisis.models import Drill
from dashboards import selectors, services
from dashboards.models import SchoolRollup
from portal import services as portal
from portal.models import SchoolYear, Student, Term
from tests import factories
from tests.portal.rosters import GOOD_ROWS, csv_bytes


def test_an_applied_roster_import_computes_its_districts_figures(world, django_capture_on_commit_callbacks):
    assert world.campaign_a.school_year  # district A's school year, which the figures are kept for
    assert not SchoolRollup.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        roster_import = portal.roster_import_create(
            school=world.school_b, uploaded_by=world.users["counselor_b"], filename="l.csv",
            content=csv_bytes(GOOD_ROWS),
        )  # fmt: skip
        portal.roster_import_apply(import_id=roster_import.pk)
    rollups = {r.school: r for r in SchoolRollup.objects.all()}
    assert set(rollups) == {world.school_a, world.school_b}  # the district's schools, not district B's
    assert rollups[world.school_b].students == Student.objects.filter(school=world.school_b, status="active").count()
    assert rollups[world.school_b].students >= 3  # the three students the file added are counted


def test_the_summary_counts_what_the_rows_show(world, login):
    """School A drilled this term, school B did not, and school N was added after the last refresh: its row shows
    neither ✓ nor ✗ (it has no figures yet), and the summary counts one school without a drill, not two or 0."""
    year = world.campaign_a.school_year
    Term.objects.create(school_year=year, number=1, start=year.start, end=year.end, teaching_weeks=20)
    Drill.objects.create(school=world.school_a, held_on=timezone.localdate(), scenario="疏散", participants=30,
                         recorded_by=world.users["counselor_a"])  # fmt: skip
    services.refresh(world.district_a)
    factories.SchoolFactory(district=world.district_a, name="School N", code="sn")
    official = world.users["official_a"]
    board = selectors.dashboard(official)
    drilled = {r.school.name: r.drilled for r in board.rows}
    assert drilled == {"School A": True, "School B": False, "School N": None}
    assert board.schools_without_drill == 1 and board.schools_without_figures == 1
    assert board.schools_below_room_standard == sum(r.room_standard is False for r in board.rows) == 2

    official.language = "en"
    official.save(update_fields=["language"])
    html = login(official).get(reverse("dashboards:dashboard")).content.decode()
    row_n = html[html.index(">School N</a>") :].split("</tr>")[0]
    assert "✗" not in row_n and "✓" not in row_n and row_n.count("<td>—</td>") >= 4
    assert html.count('<span aria-hidden="true">✗</span>') == 3  # B's drill; A's and B's room
    when = timezone.localtime(SchoolRollup.objects.get(school=world.school_a).refreshed_at)
    assert f"As of {when:%H:%M}</time>" in html
    assert "Schools without figures yet, counted from the next refresh: 1" in html
    assert login(official).get(reverse("api-dashboard")).json()["as_of"] == when.isoformat()


def test_before_any_refresh_the_page_says_so_instead_of_counting_zero(world, login):
    official = world.users["official_a"]
    official.language = "en"
    official.save(update_fields=["language"])
    html = login(official).get(reverse("dashboards:dashboard")).content.decode()
    assert "No figures yet" in html and "As of" not in html
    assert "without a drill this term" not in html and "✗" not in html


def test_the_stamp_gives_the_date_when_the_figures_are_not_from_today(world):
    assert world.campaign_a.school_year
    services.refresh(world.district_a)
    SchoolRollup.objects.update(refreshed_at=timezone.now() - dt.timedelta(days=1))
    board = selectors.dashboard(world.users["official_a"])
    yesterday = timezone.localtime(timezone.now() - dt.timedelta(days=1))
    assert board.as_of_label == f"{yesterday:%Y-%m-%d %H:%M}"


def test_by_default_the_page_shows_the_year_the_figures_are_kept_for(world):
    """Next year's calendar, entered early, has no figures: the page opens on the year under way."""
    year = world.campaign_a.school_year
    services.refresh(world.district_a)
    SchoolYear.objects.create(district=world.district_a, name="2027-2028", start=year.end + dt.timedelta(days=1),
                              end=year.end + dt.timedelta(days=360))  # fmt: skip
    board = selectors.dashboard(world.users["official_a"])
    assert board.year == year and board.as_of is not None and board.schools_without_figures == 0


def test_the_demo_district_has_its_figures_as_soon_as_it_is_loaded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    from portal.models import School, User

    assert SchoolRollup.objects.count() == School.objects.filter(district__code="demo").count() == 4
    board = selectors.dashboard(User.objects.get(username="official"))
    assert board.as_of is not None and board.schools_without_figures == 0
    assert board.schools_without_drill == sum(r.drilled is False for r in board.rows)
    # The demo campaign's five completed forms at school A reach the figures.
    a = next(r for r in board.rows if r.school.code == "school-a")
    assert a.completed.value == 5 and a.rollup and a.rollup.students == 288
