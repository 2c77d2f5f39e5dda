from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.MyReportsView.as_view(), name="mine"),
    path("reports/start/<int:year>/", views.StartReportView.as_view(), name="start"),
    path("reports/status/", views.StatusTableView.as_view(), name="status"),
    path("reports/status/export.xlsx", views.StatusExportView.as_view(), name="status_export"),
    path("reports/years/", views.PeriodsView.as_view(), name="periods"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("reports/<int:pk>/edit/", views.ReportEditView.as_view(), name="edit"),
    path("reports/<int:pk>/submit/", views.ReportSubmitView.as_view(), name="submit"),
    path("reports/<int:pk>/export.xlsx", views.ReportExportView.as_view(), name="export"),
    path("reports/<int:pk>/print/", views.ReportPrintView.as_view(), name="print"),
    path("reports/<int:pk>/<str:action>/", views.ReportReviewView.as_view(), name="review"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("account/notifications/", views.PreferencesView.as_view(), name="preferences"),
]
