"""URLs of the Excel templates and the assessment upload (in the "assessments" namespace)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("assessments/import/template.xlsx", import_views.import_template, name="import_template"),
    path("assessments/import/", import_views.import_upload, name="import_upload"),
    path("assessments/import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path(
        "enterprises/import/template.xlsx",
        import_views.enterprise_import_template,
        name="enterprise_import_template",
    ),
]
