from django.contrib import admin

from . import services
from .models import Assessment, ConversionFactor, CPOption, GridEmissionFactor


class FactorAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Derived TOE and CO2e of every option follow the edited factor.
        services.refresh_option_derivations()


@admin.register(ConversionFactor)
class ConversionFactorAdmin(FactorAdmin):
    list_display = ("resource", "toe_per_unit", "co2e_tonnes_per_unit", "confirmed", "source")
    list_editable = ()


@admin.register(GridEmissionFactor)
class GridEmissionFactorAdmin(FactorAdmin):
    list_display = ("year", "tco2_per_mwh", "confirmed", "source")


class CPOptionInline(admin.TabularInline):
    model = CPOption
    extra = 0
    readonly_fields = ("energy_toe", "co2e_tonnes", "payback_years")


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "enterprise", "centre", "status", "start_date")
    list_filter = ("kind", "status", "funding_level")
    list_select_related = ("enterprise", "centre")
    raw_id_fields = ("enterprise", "centre", "submitted_by", "reviewed_by", "created_by")
    search_fields = ("enterprise__name", "enterprise__tax_code", "external_id")
    inlines = [CPOptionInline]
    show_full_result_count = False
