"""The API router (/api/v1/) and the conventions every list shares."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import routers

from common.guide import api_guide


def build_router() -> routers.DefaultRouter:
    from assessments.api import (
        AssessmentViewSet,
        ConversionFactorViewSet,
        DeletionViewSet,
        GridEmissionFactorViewSet,
    )
    from enterprises.api import CentreViewSet, EnterpriseViewSet, SectorViewSet
    from indicators.api import IndicatorValueViewSet, IndicatorViewSet
    from provinces.api import UnitViewSet
    from webhooks.api import WebhookEndpointViewSet

    router = routers.DefaultRouter()
    router.register("units", UnitViewSet, basename="unit")
    router.register("sectors", SectorViewSet, basename="sector")
    router.register("centres", CentreViewSet, basename="centre")
    router.register("enterprises", EnterpriseViewSet, basename="enterprise")
    router.register("assessments", AssessmentViewSet, basename="assessment")
    router.register("deletions", DeletionViewSet, basename="deletion")
    router.register("conversion-factors", ConversionFactorViewSet, basename="conversion-factor")
    router.register("grid-emission-factors", GridEmissionFactorViewSet, basename="grid-emission-factor")
    router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("indicator-values", IndicatorValueViewSet, basename="indicator-value")
    return router


def sandbox_urls() -> list:
    from assessments.api import SandboxView, SimulateReviewView

    return [
        path("sandbox/", SandboxView.as_view(), name="sandbox"),
        path(
            "sandbox/assessments/<int:pk>/simulate-review/",
            SimulateReviewView.as_view(),
            name="sandbox-simulate-review",
        ),
    ]


urlpatterns = [
    path("api/v1/", include(([*sandbox_urls(), *build_router().urls], "api"), namespace="api")),
    path("api/guide/", api_guide, name="api_guide"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
