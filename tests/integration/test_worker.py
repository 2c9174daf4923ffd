"""The real path: page -> service -> PostgreSQL -> Redis -> worker -> PostgreSQL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import RosterImport, Student
from portal.models.roster import ImportStatus
from tests import factories
from tests.integration.conftest import wait_for
from tests.portal.rosters import GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.integration


def test_a_class_list_applied_on_the_page_is_written_by_the_bulk_worker(celery_worker, login):
    school = factories.SchoolFactory()
    counselor = factories.UserFactory()
    factories.MembershipFactory(user=counselor, role="counselor", school=school)
    client = login(counselor)
    upload = SimpleUploadedFile("list.csv", csv_bytes(GOOD_ROWS))
    client.post(reverse("roster_import_new"), {"school": school.pk, "file": upload})
    roster_import = RosterImport.objects.get(school=school)
    assert roster_import.status == ImportStatus.PREVIEWED

    client.post(reverse("roster_import_detail", args=[roster_import.pk]))

    def applied():
        roster_import.refresh_from_db()
        return roster_import.status == ImportStatus.APPLIED

    wait_for(applied)
    assert Student.objects.filter(school=school).count() == 3


def test_healthz_sees_a_live_worker_on_both_queues(celery_worker, client):
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["database"] == {"ok": True, "detail": "select 1"}
    assert body["checks"]["workers"]["ok"] is True, body
    assert set(body["checks"]["workers"]["detail"]["queues"]) >= {"alerts", "bulk"}
    assert body["status"] == "ok"
