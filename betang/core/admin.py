"""The audit trail in the admin: readable, never editable."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from betang.core.models import AuditEvent

# The admin speaks as Betang's, in the user's language (not "Django administration").
admin.site.site_header = _("Betang administration")
admin.site.site_title = _("Betang administration")
admin.site.index_title = _("Master data")


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
