"""Words for the ledger's codes in templates (pages and messages): 严重（二级）, never a bare 2."""

from django import template

from crisis.models import Source, Tier

register = template.Library()


@register.filter
def tier_words(value: object) -> str:
    """A tier number as its words, in the active language; anything else as it is."""
    try:
        return str(Tier(int(value)).label)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


@register.filter
def source_words(value: object) -> str:
    """Where a case came from, in words."""
    try:
        return str(Source(str(value)).label)
    except ValueError:
        return str(value)


@register.filter
def flag_words(value: object) -> str:
    """An answer-validity flag of a screening result, in words."""
    from screening.models import ReviewFlag

    try:
        return str(ReviewFlag(str(value)).label)
    except ValueError:
        return str(value)
