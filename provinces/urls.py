from django.urls import path

from . import views

app_name = "provinces"
urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="list"),
    path("units/<int:generation>/<str:code>/", views.unit_detail, name="detail"),
    path("units/<int:generation>/<str:code>/cp/", views.UnitCPView.as_view(), name="cp_unit"),
    path(
        "units/<int:generation>/<str:code>/cp/focal-points/new/",
        views.FocalPointCreateView.as_view(),
        name="focal_point_create",
    ),
    path(
        "units/<int:generation>/<str:code>/cp/plans/new/", views.PlanCreateView.as_view(), name="plan_create"
    ),
    path("focal-points/<int:pk>/edit/", views.FocalPointUpdateView.as_view(), name="focal_point_edit"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.PlanUpdateView.as_view(), name="plan_edit"),
    path("plans/<int:pk>/file/", views.PlanFileView.as_view(), name="plan_file"),
    path("cp/", views.NationalCPView.as_view(), name="cp_national"),
]
