"""The access matrix, generated from the URL configuration: every route, for every role, with the ids
of another province's and another centre's objects in the path, in the list filters and in a POST.

A route is allowed (200), refused (403 or 404), redirected to the log-in page (anonymous), or not
there for that method (405); it never fails (500) and never shows a foreign object's data. A POST never
changes a foreign object. A new route fails this test until it is added to ``OBJECT_FOR`` below (or
to ``SKIPPED`` with the reason), so nobody adds a page without deciding who may open it.
"""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from assessments import services as assessment_services
from enterprises.models import CentreAPIKey
from tests.factories import CentreFactory, EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

MARK = "ZZFOREIGN"  # every foreign object carries it in a text field shown on its pages

# Routes not covered here, with the reason.
SKIPPED = {
    "admin/": "the Django admin: administrators only, its own permission checks",
    "i18n/setlang/": "sets a cookie, no data",
    "accounts/logout/": "ends the test's own session",
    "health/": "no data (database and Redis status)",
}


def _routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    for route in walk(get_resolver().url_patterns):
        if any(route.startswith(s) for s in SKIPPED):
            continue
        if "format" in route:  # DRF's format-suffix twins of the same views
            continue
        yield route


@pytest.fixture
def world(db, users, danang, hanoi, centre):
    """Objects of Hà Nội and of another centre (foreign to the Đà Nẵng officer and to the centre user)."""
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
    from jobs.models import Job

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


# The foreign object that a route's id stands for, by the route's beginning (longest first).
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
PUBLIC_OBJECTS = {"guideline"}


def _object_key(route):
    for prefix in sorted(OBJECT_FOR, key=len, reverse=True):
        if route.startswith(prefix):
            return prefix, OBJECT_FOR[prefix]
    return None, None


def _concrete(route, world):
    """The route with its parameters filled with foreign objects' values, or None if unmapped."""
    prefix, key = _object_key(route)
    obj = world.get(key) if key else None
    url = route
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


def _text_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an Excel file: its shared strings and inline strings
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                return " ".join(
                    book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


def _client(role, users):
    client = Client()
    if role in ("province", "centre", "ministry", "admin"):
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
    return client


def _snapshot(world):
    """What a POST must not change: every foreign object's stored row."""
    from django.forms.models import model_to_dict

    snap = {}
    for key, obj in world.items():
        if hasattr(obj, "_meta") and key not in ("hanoi", "other_centre"):
            fresh = type(obj).objects.filter(pk=obj.pk).first()
            snap[key] = model_to_dict(fresh) if fresh else None
    return snap


@pytest.mark.parametrize("role", ["province", "centre", "centre_key", "anonymous"])
def test_no_role_reaches_another_provinces_or_centres_data(role, users, world):
    client = _client(role, users)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {world['own_key']}"} if role == "centre_key" else {}
    filters = (
        f"?unit={world['hanoi'].pk}&centre={world['other_centre'].pk}&enterprise={world['enterprise'].pk}"
        "&q=C%C3%B4ng&year=2026"
    )
    unmapped, leaks, errors = [], [], []
    before = _snapshot(world)
    for route in _routes():
        url = _concrete(route, world)
        prefix, key = _object_key(route)
        if url is None or (prefix is None and "<" in route):
            unmapped.append(route)
            continue
        for target in (url, url + filters):
            response = client.get(target, **headers)
            if response.status_code >= 500:
                errors.append((target, response.status_code))
                continue
            assert response.status_code in (200, 301, 302, 400, 401, 403, 404, 405), (
                target,
                response.status_code,
            )
            if response.status_code == 200 and key not in PUBLIC_OBJECTS and MARK in _text_of(response):
                leaks.append(target)
        response = client.post(url, {"reason": "x", "value_cp_staff": "9", "title": "changed"}, **headers)
        if response.status_code >= 500:
            errors.append(("POST " + url, response.status_code))
    assert unmapped == [], "routes without an entry in OBJECT_FOR"
    assert errors == []
    assert leaks == [], f"foreign data shown to {role}: {leaks}"
    assert _snapshot(world) == before, "a POST changed a foreign object"


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_the_ministry_opens_every_route_without_a_server_error(role, users, world):
    client = _client(role, users)
    errors, shown = [], set()
    for route in _routes():
        url = _concrete(route, world)
        if url is None:
            continue
        response = client.get(url)
        if response.status_code >= 500:
            errors.append((url, response.status_code))
        elif response.status_code == 200 and MARK in _text_of(response):
            shown.add(_object_key(route)[1])
    assert errors == []
    # the control: the marker is found where the ministry may see it, so its absence above means something
    assert {"assessment", "report", "event", "focal", "plan"} <= shown
