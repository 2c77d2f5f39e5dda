"""URLs of the list exports: ``reverse("exports:list", args=["enterprises"])`` with the list's filters
as the query string."""

from django.urls import path

from . import export_views

app_name = "exports"
urlpatterns = [
    path("export/<slug:list_name>/", export_views.export_list, name="list"),
]
