from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.EndpointListView.as_view(), name="list"),
    path("webhooks/<int:pk>/", views.EndpointDetailView.as_view(), name="detail"),
]
