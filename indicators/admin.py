from django.contrib import admin

from .models import Indicator, IndicatorTarget, RollupRun, SurveyValue


class TargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_vi",
        "group",
        "method",
        "metric",
        "denominator_metric",
        "headline",
        "public",
    ]
    list_filter = ["group", "method", "headline", "public"]
    search_fields = ["code", "name_vi", "name_en"]
    inlines = [TargetInline]


@admin.register(SurveyValue)
class SurveyValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "value", "source", "entered_by", "entered_at"]
    list_filter = ["indicator"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    list_display = ["id", "trigger", "status", "created_at", "finished_at", "rows_written", "units_included"]
    list_filter = ["status", "trigger"]
    readonly_fields = [f.name for f in RollupRun._meta.fields]

    def has_add_permission(self, request):
        return False
