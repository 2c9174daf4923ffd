"""The school's printable poster: the way into the confide mailbox and the student booking page, scannable."""

import re

from django.conf import settings
from django.urls import reverse


def test_the_poster_links_and_encodes_the_school_s_own_mailbox(world, login):
    html = login(world.users["counselor_a"]).get(reverse("counseling:poster")).content.decode()
    write = settings.SITE_URL.rstrip("/") + world.mailbox_a_path
    assert write in html and f"<title>{write}</title>" in html  # the address and its QR code
    assert world.school_a.name in html and settings.HELP_HOTLINE in html
    assert len(re.findall(r'<svg[^>]*class="segno"', html)) == 2
    other = login(world.users["counselor_b"]).get(reverse("counseling:poster")).content.decode()
    assert write not in other and world.school_b.code in other


def test_the_poster_is_one_click_from_the_counselor_s_home(world, login):
    html = login(world.users["counselor_a"]).get(reverse("home")).content.decode()
    assert f'href="{reverse("counseling:poster")}"' in html and f'href="{reverse("dashboards:dashboard")}"' in html


def test_a_letter_reaches_only_the_school_of_its_district(world, client):
    """School codes are unique within a district only: another district's school with school A's code never gets
    school A's letters, and an address with the code alone asks which school is meant."""
    from counseling.models import MailboxMessage
    from tests import factories

    twin = factories.SchoolFactory(district=world.school_c.district, name="Twin School", code=world.school_a.code)
    client.post(reverse("counseling:mailbox_write", args=[twin.district.code, twin.code]), {"body": "给双胞胎学校"})
    client.post(world.mailbox_a_path,
                {"body": "给 A 校"})  # fmt: skip
    assert MailboxMessage.objects.get(school=twin).body == "给双胞胎学校"
    assert MailboxMessage.objects.get(school=world.school_a).body == "给 A 校"
    choose = client.get(reverse("counseling:mailbox_write_by_code", args=[world.school_a.code])).content.decode()
    assert "Twin School" in choose and "School A" in choose
    assert reverse("counseling:mailbox_write", args=[twin.district.code, twin.code]) in choose
    only = client.get(reverse("counseling:mailbox_write_by_code", args=[world.school_b.code]))
    assert only["Location"] == reverse("counseling:mailbox_write", args=[world.district_a.code, world.school_b.code])
