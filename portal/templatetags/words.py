"""Template filters over portal.labels: `{% load words %}`, then `{{ response.band|band_words }}`."""

from __future__ import annotations

from typing import Any

from django import template

from portal import labels

register = template.Library()

register.filter("band_words", labels.band)
register.filter("outcome_words", labels.outcome)
register.filter("flag_words", labels.flag)
register.filter("tier_words", labels.tier)
register.filter("role_words", labels.role)
register.filter("person", labels.person)
register.filter("audit_words", labels.audit_event)


@register.filter
def instrument_name(obj: Any) -> str:
    """An instrument by its name: "患者健康问卷（PHQ-9）"."""
    return labels.instrument(obj)


@register.filter
def instrument_version(obj: Any) -> str:
    """An instrument by its name and version: "患者健康问卷（PHQ-9） (2.0.0)"."""
    return labels.instrument(obj, version=True)
