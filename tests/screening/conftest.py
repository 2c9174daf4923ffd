import pytest

from screening import services
from screening.models import Participation


@pytest.fixture
def campaign(world):
    """An open campaign for schools A and B: PHQ-9 then ASQ for grades 7-12 (all World students are in 7)."""
    return world.campaign_a


def participation_of(campaign, student) -> Participation:
    return Participation.objects.get(campaign=campaign, student=student)


def consent(participation, granted=True) -> None:
    services.consent_answer(token=services.consent_token(participation), granted=granted)


def answer(client, url: str, value):
    """Answer the question on screen, as the browser does: the form names the question it shows."""
    import re

    page = client.get(url).content.decode()
    key = re.search(r'name="item" value="([^"]+)"', page).group(1)
    return client.post(url, {"item": key, "value": value})
