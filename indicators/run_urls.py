from django.urls import path

from . import run_views

app_name = "indicators_runs"
urlpatterns = [
    path("indicators/runs/", run_views.run_list, name="list"),
    path("indicators/runs/run-now/", run_views.run_now, name="run_now"),
    path("indicators/runs/<int:pk>/", run_views.run_progress, name="progress"),
]
