from django.contrib import admin

from .models import AdministrativeUnit, FocalPoint, Plan, PlanTarget, Region


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


@admin.register(FocalPoint)
class FocalPointAdmin(admin.ModelAdmin):
    """Administrators enter history here too (e.g. focal points of the 63 units before 2025)."""

    list_display = ("person_name", "unit", "department", "since", "until")
    list_filter = ("unit__generation", "unit")
    list_select_related = ("unit",)
    search_fields = ("person_name", "department", "unit__name_vi", "unit__code")
    autocomplete_fields = ("unit",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    date_hierarchy = "since"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class PlanTargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 1


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("number", "unit", "kind", "period", "issued_on", "issuer")
    list_filter = ("period", "kind", "unit__generation")
    list_select_related = ("unit",)
    search_fields = ("number", "title", "issuer", "unit__name_vi", "unit__code")
    autocomplete_fields = ("unit",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [PlanTargetInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
