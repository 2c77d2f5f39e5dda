from django.contrib import admin

from .models import AnnualReport, ReportField, ReportForm, ReportingPeriod, ReportTransition


class ReportFieldInline(admin.TabularInline):
    model = ReportField
    extra = 0


@admin.register(ReportForm)
class ReportFormAdmin(admin.ModelAdmin):
    list_display = ["version", "name", "created_at"]
    inlines = [ReportFieldInline]

    def has_change_permission(self, request, obj=None):
        # a form in use by a report is fixed: the ministry creates a new version instead
        if obj is not None and AnnualReport.objects.filter(form=obj).exists():
            return False
        return super().has_change_permission(request, obj)


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["year", "deadline", "form"]


class TransitionInline(admin.TabularInline):
    model = ReportTransition
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AnnualReport)
class AnnualReportAdmin(admin.ModelAdmin):
    """Read-only: reports change only through the workflow (pages and services)."""

    list_display = ["unit", "period", "status", "first_submitted_at", "approved_at"]
    list_filter = ["period", "status"]
    list_select_related = ["unit", "period"]
    inlines = [TransitionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
