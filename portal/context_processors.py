from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.second_factor import needs_second_factor


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu a user sees follows their roles; access.py still guards every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    if needs_second_factor(user) and not getattr(user, "is_verified", lambda: False)():
        return {"nav": []}  # nothing to offer until the second factor is done
    kind = access.home_kind(user)
    items = [(reverse("home"), _("Home"))]
    if kind in ("staff", "teacher"):
        items.append((reverse("student_list"), _("Students")))
    elif access.roles_of(user).is_parent:
        items.append((reverse("student_list"), _("My children")))
        items.append((reverse("counseling:parent_home"), _("Book a counselor")))
        items.append((reverse("training:parent_classes"), _("Parent classes")))
    if kind == "staff":
        items.append((reverse("counseling:schedule"), _("Counseling")))
        items.append((reverse("crisis:ledger"), _("Crisis register")))
        items.append((reverse("privacy:requests"), _("Copy requests")))
        items.append((reverse("roster_import_new"), _("Import class list")))
    if kind in ("staff", "teacher"):
        items.append((reverse("crisis:refer"), _("Refer a student")))
    items.append((reverse("inbox"), _("Inbox")))
    if kind in ("official", "staff"):  # a school's leaders and counselors see their own school's figures
        items.append((reverse("dashboards:dashboard"), _("Dashboard")))
    if kind == "official":
        items.append((reverse("crisis:incidents"), _("Incidents")))
        items.append((reverse("privacy:retention"), _("Data retention")))
    if access.roles_of(user).responder_district_ids:
        items.append((reverse("crisis:assignments"), _("My assignments")))
    if kind in ("staff", "official", "teacher"):
        items.append((reverse("training:home"), _("Training")))
    if kind in ("staff", "official"):
        items.append((reverse("screening:campaigns"), _("Screening")))
        items.append((reverse("crisis:preparedness"), _("Plans and drills")))
    if kind in ("staff", "official"):
        items.append((reverse("api-docs"), _("API")))
    current = request.path
    inbox, unread = reverse("inbox"), getattr(user, "unread_messages", 0)
    return {
        "nav": [
            {"url": url, "label": label, "current": url == current, "count": unread if url == inbox else 0}
            for url, label in items
        ]
    }
