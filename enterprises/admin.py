from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from .models import Centre, CentreAPIKey, Enterprise, Sector


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


@admin.register(CentreAPIKey)
class CentreAPIKeyAdmin(APIKeyModelAdmin):
    """Administrators create, revoke and expire centres' API keys; a new key is shown only once."""

    list_display = [*APIKeyModelAdmin.list_display, "centre"]
    list_filter = [*APIKeyModelAdmin.list_filter, "centre"]
    list_select_related = ("centre",)
    raw_id_fields = ("centre",)
