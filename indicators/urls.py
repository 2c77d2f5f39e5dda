from django.urls import path

from . import public_views, views

app_name = "indicators"
urlpatterns = [
    path("dashboard/", views.national_dashboard, name="dashboard"),
    path("dashboard/data.json", views.dashboard_data, name="dashboard_data"),
    path("dashboard/export/<slug:chart>.xlsx", views.chart_export, name="chart_export"),
    path("dashboard/workbook/", views.national_workbook, name="workbook"),
    path("dashboard/region/<slug:key>/", views.region_dashboard, name="region_dashboard"),
    path("dashboard/region/<slug:key>/export.xlsx", views.region_export, name="region_export"),
    path("dashboard/unit/", views.unit_dashboard_home, name="unit_dashboard_home"),
    path("dashboard/unit/<int:generation>/<str:code>/", views.unit_dashboard, name="unit_dashboard"),
    path(
        "dashboard/unit/<int:generation>/<str:code>/data.json",
        views.unit_dashboard_data,
        name="unit_dashboard_data",
    ),
    path("dashboard/unit/<int:generation>/<str:code>/export.xlsx", views.unit_export, name="unit_export"),
    # Open data (no log-in); /du-lieu-mo/ is the Vietnamese address of the same pages.
    path("open-data/", public_views.open_data, name="open_data"),
    path("du-lieu-mo/", public_views.open_data, name="open_data_vi"),
    path("open-data/indicators/<slug:code>/", public_views.indicator_page, name="public_indicator"),
    path("open-data/data.csv", public_views.download_csv, name="public_csv"),
    path("open-data/data.xlsx", public_views.download_xlsx, name="public_xlsx"),
    path("open-data/guidelines/", public_views.guidelines, name="public_guidelines"),
]
