"""The school's printable poster: the way into the confide mailbox and the student booking page, scannable."""

import re

from django.conf import settings
from django.urls import reverse


def test_the_poster_links_and_encodes_the_school_s_own_mailbox(world, login):
    html = login(world.users["counselor_a"]).get(reverse("counseling:poster")).content.decode()
    write = settings.SITE_URL.rstrip("/") + reverse("counseling:mailbox_write", args=[world.school_a.code])
    assert write in html and f"<title>{write}</title>" in html  # the address and its QR code
    assert world.school_a.name in html and settings.HELP_HOTLINE in html
    assert len(re.findall(r'<svg[^>]*class="segno"', html)) == 2
    other = login(world.users["counselor_b"]).get(reverse("counseling:poster")).content.decode()
    assert write not in other and world.school_b.code in other


def test_the_poster_is_one_click_from_the_counselor_s_home(world, login):
    html = login(world.users["counselor_a"]).get(reverse("home")).content.decode()
    assert f'href="{reverse("counseling:poster")}"' in html and f'href="{reverse("dashboards:dashboard")}"' in html
