from django.contrib import admin

from .models import Centre, Enterprise, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "section", "name_vi", "name_en")
    search_fields = ("code", "name_vi", "name_en")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("tax_code", "name", "unit", "sector", "size")
    list_filter = ("size", "sector")
    list_select_related = ("unit", "sector")
    search_fields = ("tax_code", "name")
    raw_id_fields = ("unit", "sector")
    show_full_result_count = False


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "level", "unit", "is_active")
    list_filter = ("kind", "level", "is_active")
    list_select_related = ("unit",)
    search_fields = ("name",)
