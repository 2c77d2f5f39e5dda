from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Where the activities import keeps a checked file between the preview and the confirmation
# (reporting/activities/views.py). Only the signed token in the user's page points at it.
ACTIVITIES_PREVIEWS = "imports/activities"


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Provincial reporting")

    def ready(self):
        from jobs.registry import register_upload_folder

        # No row refers to a preview's file: once older than SXSH_UPLOADS_KEPT_FOR it goes.
        register_upload_folder(ACTIVITIES_PREVIEWS)
