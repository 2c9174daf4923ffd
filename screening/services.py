"""Writes of screening."""

from __future__ import annotations

from django.db import transaction

from screening.definitions import shipped
from screening.models import Instrument


class DefinitionChanged(Exception):
    """A definition file changed without a new version: responses given with the old text would be misread."""


def instruments_load() -> list[Instrument]:
    """Load the repository's definitions; new versions are added, existing ones must be unchanged."""
    created = []
    with transaction.atomic():
        for code, definition in shipped().items():
            existing = Instrument.objects.filter(code=code, version=definition.version).first()
            if existing is None:
                created.append(
                    Instrument.objects.create(code=code, version=definition.version, definition=definition.raw)
                )
            elif existing.definition != definition.raw:
                raise DefinitionChanged(f"{code} {definition.version}: bump the version to change a definition")
    return created
