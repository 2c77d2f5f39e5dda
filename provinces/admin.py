from django.contrib import admin

from .models import AdministrativeUnit, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("key", "name_vi", "name_en", "order")


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("generation", "code", "name_vi", "name_en", "kind", "region", "successor")
    list_filter = ("generation", "kind", "region")
    list_select_related = ("region", "successor")
    search_fields = ("code", "name_vi", "name_en")
    # Reference data: the ministry may correct the region of a new unit; the rest comes from the
    # reference tables (load_reference_data).
    readonly_fields = ("generation", "code", "valid_from", "valid_to", "successor")
