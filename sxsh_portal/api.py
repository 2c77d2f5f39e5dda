"""The API router (/api/v1/) and the conventions every list shares."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import routers


def build_router() -> routers.DefaultRouter:
    from assessments.api import (
        AssessmentViewSet,
        ConversionFactorViewSet,
        DeletionViewSet,
        GridEmissionFactorViewSet,
    )
    from enterprises.api import CentreViewSet, EnterpriseViewSet, SectorViewSet
    from provinces.api import UnitViewSet

    router = routers.DefaultRouter()
    router.register("units", UnitViewSet, basename="unit")
    router.register("sectors", SectorViewSet, basename="sector")
    router.register("centres", CentreViewSet, basename="centre")
    router.register("enterprises", EnterpriseViewSet, basename="enterprise")
    router.register("assessments", AssessmentViewSet, basename="assessment")
    router.register("deletions", DeletionViewSet, basename="deletion")
    router.register("conversion-factors", ConversionFactorViewSet, basename="conversion-factor")
    router.register("grid-emission-factors", GridEmissionFactorViewSet, basename="grid-emission-factor")
    return router


urlpatterns = [
    path("api/v1/", include((build_router().urls, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
