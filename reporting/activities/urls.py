from django.urls import path

from . import views

app_name = "activities"


def _kind_urls(prefix: str, kind: views.Kind) -> list:
    slug = kind.slug
    return [
        path(f"{prefix}/", views.ActivityListView.as_view(kind=kind), name=f"{slug}_list"),
        path(f"{prefix}/new/", views.ActivityCreateView.as_view(kind=kind), name=f"{slug}_create"),
        path(f"{prefix}/<int:pk>/edit/", views.ActivityUpdateView.as_view(kind=kind), name=f"{slug}_edit"),
        path(
            f"{prefix}/<int:pk>/delete/", views.ActivityDeleteView.as_view(kind=kind), name=f"{slug}_delete"
        ),
    ]


urlpatterns = [
    *_kind_urls("activities/events", views.EVENTS),
    *_kind_urls("activities/communication", views.PRODUCTS),
    *_kind_urls("activities/distributions", views.DISTRIBUTIONS),
    path("activities/import/<str:what>/", views.ImportView.as_view(), name="import"),
    path(
        "activities/import/<str:what>/template.xlsx",
        views.ImportTemplateView.as_view(),
        name="import_template",
    ),
    path(
        "activities/demonstration-models/", views.DemonstrationListView.as_view(), name="demonstration_list"
    ),
    path(
        "activities/demonstration-models/<int:pk>/",
        views.DemonstrationDesignateView.as_view(),
        name="demonstration_designate",
    ),
    path("guidelines/", views.GuidelineListView.as_view(), name="guideline_list"),
    path("guidelines/new/", views.GuidelineFormView.as_view(), name="guideline_create"),
    path("guidelines/<int:pk>/edit/", views.GuidelineFormView.as_view(), name="guideline_edit"),
    path("guidelines/<int:pk>/file/", views.GuidelineFileView.as_view(), name="guideline_file"),
]
