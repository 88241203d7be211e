"""Template filters of the registry: masked identifiers."""

from django import template

from betang.core.masking import mask_nik

register = template.Library()


@register.filter
def masked(value: str) -> str:
    return mask_nik(value or "")
