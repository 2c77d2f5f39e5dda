from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "role", "unit", "centre", "is_active")
    list_filter = ("role", "is_active", "unit")
    list_select_related = ("unit", "centre")
    fieldsets = UserAdmin.fieldsets + (
        (_("Role and scope"), {"fields": ("role", "unit", "centre", "phone")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Role and scope"), {"fields": ("role", "unit", "centre")}),)
    autocomplete_fields = ("centre",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            from provinces.models import AdministrativeUnit

            kwargs["queryset"] = AdministrativeUnit.objects.current()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.site_header = _("SXSH Portal administration")
admin.site.site_title = _("SXSH Portal")
admin.site.index_title = _("Users, centres and reference data")
