"""System checks for settings whose mistakes would only show at the worst moment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

PUBLIC_DEMO_KEY = "Qi2jnVmMCJa1UgoknIGlwtTwHSydCUplXQltTTZItr8="
DELIVERY_TIME_LIMIT = 60  # portal.tasks.delivery_send


@register(Tags.security)
def encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    from cryptography.fernet import Fernet

    errors = []
    for position, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(Error(f"FIELD_ENCRYPTION_KEYS entry {position} is not a Fernet key.", id="portal.E001"))
    if not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(Error("FIELD_ENCRYPTION_KEYS is empty.", id="portal.E001"))
    if settings.PRODUCTION and PUBLIC_DEMO_KEY in settings.FIELD_ENCRYPTION_KEYS:
        errors.append(Error("FIELD_ENCRYPTION_KEYS holds the public demo key.", id="portal.E002"))
    return errors


@register()
def outbox_timing(app_configs: Any, **kwargs: Any) -> list[Error]:
    # A claim must outlive the task that holds it, or a slow send would be sent twice.
    if settings.OUTBOX_STALE_SENDING_SECONDS <= DELIVERY_TIME_LIMIT:
        return [
            Error(
                f"OUTBOX_STALE_SENDING_SECONDS must exceed the delivery task's {DELIVERY_TIME_LIMIT} s time limit.",
                id="portal.E003",
            )
        ]
    return []
