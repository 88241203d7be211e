"""Filters for aid pages: goods categories by their names, never their codes."""

from django import template

from betang.aid.contracts import GoodsCategory

register = template.Library()


@register.filter
def category_names(codes) -> str:
    """`["BERAS", "MINYAK_GORENG"]` → "beras, minyak goreng" in the page's language."""
    labels = dict(GoodsCategory.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes or ())
