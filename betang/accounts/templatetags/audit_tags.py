"""Filters for the audit trail page: events, objects and changes in words (accounts.audit_display)."""

from django import template

from betang.accounts import audit_display

register = template.Library()
register.filter("event_label", audit_display.event_label)
register.filter("object_label", audit_display.object_label)
register.filter("change_lines", audit_display.change_lines)
