"""Django admin for users and tokens, for trained staff; role and scope changes are audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from betang.accounts.models import ApiToken, User
from betang.core import clock
from betang.core.audit import audit_record, diff

_AUDITED = ("username", "role", "scope_region_code", "is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "scope_region_code", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "scope_region_code")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Betang"), {"fields": ("role", "scope_region_code")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Betang"), {"fields": ("role", "scope_region_code")}))

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            before = dict(User.objects.filter(pk=obj.pk).values(*_AUDITED).first() or {})
        super().save_model(request, obj, form, change)
        after = {field: getattr(obj, field) for field in _AUDITED}
        audit_record(
            actor=request.user,
            event="accounts.user.updated" if change else "accounts.user.created",
            occurred_at=clock.now(),
            obj=obj,
            region_code=obj.scope_region_code,
            changes=diff(before, after),
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "prefix")

    def has_add_permission(self, request):
        return False  # tokens are issued with `betang token create`, which shows the secret once
