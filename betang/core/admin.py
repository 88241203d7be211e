"""The audit trail in the admin: readable, never editable."""

from django.contrib import admin

from betang.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor", "event", "object_type", "object_id", "region_code")
    list_filter = ("event",)
    search_fields = ("event", "object_id", "region_code", "actor__username")
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
