"""Regions in the admin: read-only, since `betang regions load` is the only writer of reference data."""

from django.contrib import admin

from betang.regions.models import District, Province, Regency, Village


class ReadOnlyRegionAdmin(admin.ModelAdmin):
    search_fields = ("code", "name")
    list_filter = ("is_active",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Province)
class ProvinceAdmin(ReadOnlyRegionAdmin):
    list_display = ("code", "name", "is_active")


@admin.register(Regency)
class RegencyAdmin(ReadOnlyRegionAdmin):
    list_display = ("code", "name", "kind", "province", "is_active")
    list_filter = ("is_active", "kind")


@admin.register(District)
class DistrictAdmin(ReadOnlyRegionAdmin):
    list_display = ("code", "name", "regency", "is_active")
    list_select_related = ("regency",)


@admin.register(Village)
class VillageAdmin(ReadOnlyRegionAdmin):
    list_display = ("code", "name", "kind", "district", "is_active")
    list_filter = ("is_active", "kind")
    list_select_related = ("district",)
