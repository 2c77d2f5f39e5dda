from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="list"),
    path("enterprises/new/", views.EnterpriseCreateView.as_view(), name="create"),
    path("enterprises/lookup/", views.EnterpriseLookupView.as_view(), name="lookup"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseUpdateView.as_view(), name="edit"),
    path("centres/", views.CentreListView.as_view(), name="centre_list"),
    path("api-keys/", views.ApiKeyView.as_view(), name="api_keys"),
    path("centres/<int:pk>/", views.CentreDetailView.as_view(), name="centre_detail"),
]
