"""A tier-2 confirmation reaches the guardian through the alerts worker and a real SMTP server, and the
link in it is acknowledged once."""

import re

import pytest
from django.urls import reverse

from crisis import services
from crisis.models import GuardianNotice
from portal.models import Delivery
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_tier_2_confirmation_sends_one_guardian_message_through_smtp(processes, smtp_server, client):
    processes.worker(EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}", SITE_URL="http://testserver")
    link = factories.StudentGuardianFactory(guardian__channel="email", guardian__email="dad@example.com")
    counselor = factories.UserFactory(phone="0412-5550000")
    case = services.case_raise(student=link.student, suggested_tier=2, source="screening")
    services.case_confirm_tier(case=case, tier=2, by=counselor)
    wait_for(lambda: smtp_server.messages)
    wait_for(lambda: Delivery.objects.filter(status="sent").exists())
    [message] = smtp_server.messages
    assert message["To"] == "dad@example.com"
    body = message.get_payload(decode=True).decode()
    path = re.search(r"http://testserver(/crisis/ack/\S+/)", body).group(1)
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 410
    assert GuardianNotice.objects.get(case=case).acknowledged_via == "link"
    assert reverse("crisis:acknowledge", args=["x"]).startswith("/crisis/ack/")
