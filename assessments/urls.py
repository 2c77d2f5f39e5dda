from django.urls import include, path

from . import views

app_name = "assessments"
urlpatterns = [
    path("assessments/", views.AssessmentListView.as_view(), name="list"),
    path("assessments/new/", views.AssessmentCreateView.as_view(), name="create"),
    path("assessments/<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("assessments/<int:pk>/edit/", views.AssessmentUpdateView.as_view(), name="edit"),
    path("assessments/<int:pk>/<str:action>/", views.AssessmentActionView.as_view(), name="action"),
    # Excel import (assessments/import_urls.py)
    path("", include("assessments.import_urls")),
]
