from django.urls import path

from . import views

app_name = "provinces"
urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="list"),
    path("units/<int:generation>/<str:code>/", views.unit_detail, name="detail"),
]
