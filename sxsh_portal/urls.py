from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from health_check.views import HealthCheckView

_health_checks = ["health_check.checks.Database"]
if settings.REDIS_URL:
    from redis.asyncio import Redis as RedisClient

    _health_checks.append(
        (
            "health_check.contrib.redis.Redis",
            {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)},
        )
    )


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on their own; the icon is a static file (its hashed name in
    production, hence resolved per request, not at import)."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", HealthCheckView.as_view(checks=_health_checks), name="health"),
    path("", include("sxsh_portal.api")),
    path("", include("accounts.urls")),
    path("", include("provinces.urls")),
    path("", include("enterprises.urls")),
    path("", include("assessments.urls")),
    path("", include("jobs.urls")),
    path("", include("jobs.export_urls")),
    path("", include("reporting.activities.urls")),
    path("", include("reporting.reports.urls")),
    path("", include("webhooks.urls")),
    path("", include("indicators.run_urls")),
    path("", include("indicators.urls")),
]

handler404 = "common.api.not_found"
