"""Every URL pattern and API route of the portal, for the tests that walk them all: the access
matrix (tests/security/test_access_matrix.py), the hostile-input walk (test_hostile_input.py) and
the cache-header walk (test_cache_headers.py).

``routes()`` reads the URL configuration itself, so a new page or API route is walked by all three
as soon as it exists. Each ``Route`` knows its name, its pattern, whether it is an API route (under
``/api/``, answering errors in the API's JSON format), the HTTP methods its view answers, and how to
fill its path parameters with the ids of real objects (``world``: one object of each kind, of Hà Nội
and of another centre). A route whose id stands for a kind of object not listed in ``OBJECT_FOR``
cannot be filled, and the access matrix fails until someone decides who may open it.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.urls import URLPattern, URLResolver, get_resolver

MARK = "ZZFOREIGN"  # every object of the world carries it in a text field shown on its pages

# Routes not walked, with the reason.
SKIPPED = {
    "admin/": "the Django admin: administrators only, its own permission checks",
    "i18n/setlang/": "sets a cookie, no data",
    "accounts/logout/": "ends the test's own session",
    "health/": "no data (database and Redis status)",
}

# The kind of object that a route's id stands for, by the route's beginning (longest first); None
# for routes whose id is not an object of the world (public reference data, aggregated figures).
OBJECT_FOR = {
    "api/v1/sandbox/assessments/": "assessment",
    "api/v1/^units/": None,  # public reference data
    "api/v1/^sectors/": None,
    "api/v1/^centres/": None,
    "api/v1/^conversion-factors/": None,
    "api/v1/^grid-emission-factors/": None,
    "api/v1/^enterprises/": "enterprise",
    "api/v1/^assessments/": "assessment",
    "api/v1/^deletions/": "assessment",
    "api/v1/^webhooks/": "endpoint",
    "focal-points/": "focal",
    "plans/": "plan",
    "enterprises/": "enterprise",
    "centres/": None,  # centres are public
    "assessments/import/": "job",
    "assessments/": "assessment",
    "jobs/": "job",
    "activities/events/": "event",
    "activities/communication/": "product",
    "activities/distributions/": "distribution",
    "activities/demonstration-models/": "assessment",
    "activities/import/": None,
    "guidelines/": "guideline",  # the national library: every signed-in user reads it
    "reports/": "report",
    "webhooks/": "endpoint",
    "units/": "focal",  # a unit's pages; its CP page shows the focal point and plans
    "api/v1/^indicators/": None,  # the catalogue: public indicators for everyone
    "api/v1/^indicator-values/": None,  # aggregated figures, scoped by role in the selector
    "indicators/runs/": None,  # rollup runs: ministry only
    "dashboard/": None,  # aggregated figures; another unit's dashboard is refused
    "open-data/": None,  # public by design
    "du-lieu-mo/": None,
    "export/": "assessment",  # list exports take the list's filters
}

# The roles a walk goes through; an API key only on API routes.
ROLES = ("anonymous", "province", "centre", "ministry", "centre_key")
WRITE_METHODS = ("post", "put", "patch")


@dataclass(frozen=True)
class Route:
    pattern: str  # the joined pattern, e.g. "api/v1/^assessments/(?P<pk>[^/.]+)/$"
    name: str  # namespaced, e.g. "api:assessment-detail"
    callback: object = field(repr=False, compare=False)

    @property
    def is_api(self) -> bool:
        """Under /api/: every error answered in the API's JSON format."""
        return self.pattern.startswith("api/")

    @property
    def is_drf(self) -> bool:
        """A REST framework view: it parses the bodies of writes."""
        from rest_framework.views import APIView

        return isinstance(self.view_class, type) and issubclass(self.view_class, APIView)

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @cached_property
    def methods(self) -> frozenset[str]:
        """The HTTP methods (lower case) the view answers; a function view: GET and POST."""
        actions = getattr(self.callback, "actions", None)
        if actions:
            return frozenset(actions)
        cls = self.view_class
        if cls is not None:
            return frozenset(m for m in cls.http_method_names if m != "options" and hasattr(cls, m))
        return frozenset({"get", "post"})

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(m for m in WRITE_METHODS if m in self.methods)

    @property
    def paginated(self) -> bool:
        """An API list read with cursor pagination (``cursor``, ``page_size``)."""
        actions = getattr(self.callback, "actions", None) or {}
        action = actions.get("get")
        # An @action may set its own pagination (the tax-code look-up has none).
        initkwargs = getattr(self.callback, "initkwargs", None) or {}
        pagination = initkwargs.get("pagination_class", getattr(self.view_class, "pagination_class", None))
        return action not in (None, "retrieve") and pagination is not None

    @property
    def object_prefix(self) -> str | None:
        for prefix in sorted(OBJECT_FOR, key=len, reverse=True):
            if self.pattern.startswith(prefix):
                return prefix
        return None

    @property
    def object_key(self) -> str | None:
        """The kind of object (a key of ``world``) the route's id stands for."""
        prefix = self.object_prefix
        return OBJECT_FOR[prefix] if prefix else None

    @property
    def mapped(self) -> bool:
        """Someone decided what the route's parameters stand for (or it has none)."""
        return self.object_prefix is not None or not ("<" in self.pattern or "(?P" in self.pattern)

    def url(self, world) -> str | None:
        """The route's path with its parameters filled with the world's objects, or None."""
        key = self.object_key
        obj = world.get(key) if key else None
        url = self.pattern
        replacements = {
            r"\(\?P<pk>\[\^/\.\]\+\)": str(obj.pk) if obj else "1",
            r"<int:pk>": str(obj.pk) if obj else "1",
            r"<int:generation>": "34",
            r"<str:code>": world["hanoi"].code,
            r"<int:year>": "2026",
            r"<slug:list_name>": "assessments",
            r"<str:what>": "events",
            r"\(\?P<code>\[\^/\.\]\+\)": "events",
            r"<slug:code>": "events",
            r"<slug:chart>": "trend",
            r"<slug:key>": "1",
            r"<str:action>": "accept" if key == "assessment" else "approve",
        }
        for pattern, value in replacements.items():
            url = re.sub(pattern, value, url)
        url = url.replace("^", "").replace("$", "")
        if "<" in url or "(?P" in url:
            return None
        return "/" + url


def routes() -> list[Route]:
    """Every route of the URL configuration but those in ``SKIPPED`` and DRF's format-suffix
    twins (``.json``) of the same views."""

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield Route(prefix + str(p.pattern), f"{namespace}{p.name or ''}", p.callback)

    return [
        route
        for route in walk(get_resolver().url_patterns)
        if not any(route.pattern.startswith(s) for s in SKIPPED) and "format" not in route.pattern
    ]


def build_world(*, users, hanoi, centre) -> dict:
    """One object of each kind a route's id stands for: of Hà Nội and of another centre (foreign to
    the Đà Nẵng officer and to the centre user of ``users``), each marked with ``MARK``; and
    ``own_key``, an API key of ``centre`` (the centre user's)."""
    from accounts.models import User
    from assessments import services as assessment_services
    from enterprises.models import CentreAPIKey
    from jobs.models import Job
    from provinces.models import FocalPoint, Plan
    from reporting.models import (
        CommunicationProduct,
        Event,
        Guideline,
        GuidelineDistribution,
        ReportField,
        ReportForm,
        ReportingPeriod,
    )
    from reporting.reports import services as report_services
    from reporting.reports.default_form import create_form
    from tests.factories import CentreFactory, EnterpriseFactory, UserFactory
    from webhooks.models import WebhookEndpoint

    other_centre = CentreFactory(name="Trung tâm Khuyến công Hà Nội")
    hanoi_officer = UserFactory(role=User.Role.PROVINCE, unit=hanoi)
    other_centre_user = UserFactory(role=User.Role.CENTRE, centre=other_centre)
    enterprise = EnterpriseFactory(unit=hanoi, name=f"Công ty {MARK}")
    assessment = assessment_services.record_assessment(
        by=other_centre_user,
        data={
            "kind": "quick",
            "enterprise": enterprise,
            "centre": other_centre,
            "funding_level": "central",
            "start_date": datetime.date(2026, 3, 1),
            "focus": MARK,
            "external_id": MARK,
        },
        baseline=[],
        waste_streams=[],
        options=[
            {
                "number": 1,
                "category": "housekeeping",
                "description": MARK,
                "status": "implemented",
                "implemented_on": datetime.date(2026, 5, 1),
                "investment_vnd": 1_000_000,
                "annual_savings_vnd": 2_000_000,
                "electricity_kwh": Decimal("1000"),
            }
        ],
    )
    assessment_services.submit_assessment(by=other_centre_user, assessment=assessment)
    event = Event.objects.create(
        unit=hanoi,
        kind="training",
        date=datetime.date(2026, 4, 1),
        title=MARK,
        place=MARK,
        organiser=MARK,
        participants_enterprise=10,
        participants_official=2,
        participants_other=1,
        enterprises_reached=5,
        funding_level="local",
    )
    product = CommunicationProduct.objects.create(
        unit=hanoi, kind="article", title=MARK, date=datetime.date(2026, 4, 1), count=1
    )
    guideline = Guideline.objects.create(title="Hướng dẫn chung", issuer="Bộ Công Thương", year=2020)
    distribution = GuidelineDistribution.objects.create(
        unit=hanoi, guideline=guideline, date=datetime.date(2026, 4, 2), copies=3, recipients=MARK
    )
    focal = FocalPoint.objects.create(
        unit=hanoi,
        person_name=MARK,
        position="Chuyên viên",
        department="Phòng KHCN",
        phone="0241234567",
        email="a@example.vn",
        since=datetime.date(2025, 7, 1),
    )
    plan = Plan.objects.create(
        unit=hanoi,
        kind="cp",
        number="1/KH-UBND",
        issued_on=datetime.date(2025, 8, 1),
        issuer="UBND",
        title=MARK,
        period="2021-2025",
    )
    form = create_form(ReportForm, ReportField)
    period = ReportingPeriod.objects.create(year=2026, deadline=datetime.date(2027, 1, 31), form=form)
    report = report_services.start_report(by=hanoi_officer, unit=hanoi, period=period)
    report.refresh_from_db()
    report_services.save_values(
        by=hanoi_officer, report=report, version=report.version, data={"difficulties": {"value": MARK}}
    )
    endpoint = WebhookEndpoint.objects.create(
        centre=other_centre, url=f"https://{MARK.lower()}.example.vn/hook", secret="s" * 40, description=MARK
    )
    job = Job.objects.create(kind=Job.Kind.choices[0][0], created_by=hanoi_officer, message=MARK)
    _key, own_key = CentreAPIKey.objects.create_key(name="own", centre=centre)
    return {
        "enterprise": enterprise,
        "assessment": assessment,
        "event": event,
        "product": product,
        "distribution": distribution,
        "guideline": guideline,
        "focal": focal,
        "plan": plan,
        "report": report,
        "endpoint": endpoint,
        "job": job,
        "hanoi": hanoi,
        "other_centre": other_centre,
        "own_key": own_key,
    }


def client_as(role, users, world=None, *, raise_request_exception=True):
    """A test client acting as ``role`` (one of ``ROLES``, or "admin"), and the headers its requests
    carry (the API key's ``Authorization``). ``raise_request_exception=False``: a view's exception
    is answered 500, as in production, so that a walk can list every failure."""
    from django.test import Client

    client = Client(raise_request_exception=raise_request_exception)
    if role in ("province", "centre", "ministry", "admin"):
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {world['own_key']}"} if role == "centre_key" else {}
    return client, headers


def roles_for(route) -> tuple[str, ...]:
    """The roles a walk sends to ``route``: an API key only to API routes."""
    return ROLES if route.is_api else tuple(r for r in ROLES if r != "centre_key")


class Walk:
    """What a walk sent: the routes and the requests (the inputs), printed at its end (shown with
    ``pytest -rA``) and checked against a floor, so that a walk broken into walking nothing fails."""

    # The portal has about 120 routes (without the skipped ones and the format-suffix twins).
    MIN_ROUTES = 100

    def __init__(self, title: str):
        self.title = title
        self.routes: set[str] = set()
        self.requests = 0

    def sent(self, route: Route, count: int = 1) -> None:
        self.routes.add(route.pattern)
        self.requests += count

    def report(self, *, min_routes: int | None = None) -> str:
        floor = self.MIN_ROUTES if min_routes is None else min_routes
        line = f"{self.title}: {len(self.routes)} routes, {self.requests} requests"
        print(line)
        assert len(self.routes) >= floor, f"{line}: fewer than {floor} routes walked"
        return line
