"""Messages you can act on: the page a message is about is a button, one click from the inbox, and every page's
navigation counts what is unread (UX: Linear / GitHub notifications)."""

import re

from django.conf import settings
from django.urls import reverse

from portal import notifications
from portal.models import InboxMessage
from tests import factories


def _alert(world, django_capture_on_commit_callbacks, user=None):
    user = user or world.users["counselor_a"]
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notification_send(
            kind="case_risk_alert", user=user, via=["inbox"],
            context={"student": "Xiao X", "tier": 2, "source": "screening",
                     "case_path": reverse("crisis:case", args=[world.case_x.pk])},
        )  # fmt: skip
    return InboxMessage.objects.filter(user=user).latest("id")


def test_a_case_alert_opens_its_case_in_one_click(world, login, django_capture_on_commit_callbacks):
    message = _alert(world, django_capture_on_commit_callbacks)
    case_path = reverse("crisis:case", args=[world.case_x.pk])
    assert message.link == case_path and message.read_at is None
    client = login(world.users["counselor_a"])
    inbox = client.get(reverse("inbox")).content.decode()
    assert f'action="{reverse("inbox_open", args=[message.pk])}"' in inbox and "打开个案" in inbox
    opened = client.post(reverse("inbox_open", args=[message.pk]))
    assert opened.status_code == 302 and opened["Location"] == case_path
    message.refresh_from_db()
    assert message.read_at is not None  # opened from the list: read


def test_the_message_shows_its_links_as_buttons_never_as_addresses(world, login, django_capture_on_commit_callbacks):
    message = _alert(world, django_capture_on_commit_callbacks)
    assert settings.SITE_URL in message.body  # e-mail and SMS need the address
    page = login(world.users["counselor_a"]).get(reverse("inbox_message", args=[message.pk])).content.decode()
    case_path = reverse("crisis:case", args=[world.case_x.pk])
    assert re.search(rf'<a class="btn" href="{case_path}">打开个案</a>', page)
    assert settings.SITE_URL not in page and "严重（二级）" in page


def test_every_page_counts_unread_messages_and_reading_one_lowers_it(world, login, django_capture_on_commit_callbacks):
    before = InboxMessage.objects.filter(user=world.users["counselor_a"], read_at__isnull=True).count()
    first = _alert(world, django_capture_on_commit_callbacks)
    _alert(world, django_capture_on_commit_callbacks)
    client = login(world.users["counselor_a"])

    def badge(html):
        found = re.search(r'<span class="badge">(\d+)<span class="sr-only">', html)
        return int(found.group(1)) if found else 0

    assert badge(client.get(reverse("student_list")).content.decode()) == before + 2
    assert badge(client.get(reverse("inbox_message", args=[first.pk])).content.decode()) == before + 1  # now read
    assert badge(client.get(reverse("home")).content.decode()) == before + 1
    others = InboxMessage.objects.filter(user=world.users["counselor_b"], read_at__isnull=True).count()
    assert badge(login(world.users["counselor_b"]).get(reverse("home")).content.decode()) == others  # one's own


def test_a_message_text_is_escaped_and_a_link_elsewhere_stays_text(world, login):
    message = factories.InboxMessageFactory(
        user=world.users["counselor_a"],
        body=f"<script>alert(1)</script>\n\nhttps://evil.example/x {settings.SITE_URL}//evil.example/",
        link="//evil.example/",
    )
    client = login(world.users["counselor_a"])
    page = client.get(reverse("inbox_message", args=[message.pk])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'href="//evil.example' not in page and 'href="https://evil' not in page
    # A stored link that is not one of this site's pages opens the message instead.
    opened = client.post(reverse("inbox_open", args=[message.pk]))
    assert opened["Location"] == reverse("inbox_message", args=[message.pk])
