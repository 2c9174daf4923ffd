"""DRF permissions. The default denies; views opt in to what they need."""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """Default for every API view that forgot to say who may use it."""

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return False
