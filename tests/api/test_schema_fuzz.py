"""Schemathesis against the portal's own OpenAPI schema, in process: no server error, every answer
(status, headers, body) as documented, every schema-violating request refused, and every request the
schema allows accepted, except where a business rule that no schema can state refuses it (listed
below, operation by operation, with the rule).

In the README's test command the draw is fixed (the "suite" Hypothesis profile, tests/conftest.py),
so a run never fails by chance. `make fuzz` draws anew with a printed seed and a larger budget
(SXSH_FUZZ_SEED, SXSH_FUZZ_EXAMPLES); a failure there is a bug: fix it and pin the case in
tests/api/test_schema_examples.py."""

import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sxsh_portal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

_WRITE_RULES = (
    "a tax code's check digit, dates not in the future, an enterprise unknown to the register, "
    "option numbers unique within the body: business rules the schema cannot state"
)
# Operations where a request the schema allows may still be refused, and why. Every other check
# stays on for them; every check stays on for every other operation.
BUSINESS_RULES = {
    ("POST", "/api/v1/assessments/"): _WRITE_RULES,
    ("POST", "/api/v1/assessments/batch/"): _WRITE_RULES,
    ("PUT", "/api/v1/assessments/{id}/"): _WRITE_RULES,
    ("PATCH", "/api/v1/assessments/{id}/"): _WRITE_RULES,
    ("POST", "/api/v1/assessments/{id}/submit/"): "only a draft is submitted (a state, not a shape)",
    ("GET", "/api/v1/enterprises/"): "the tax code's check digit (the look-up alias)",
    ("GET", "/api/v1/enterprises/lookup/"): "the tax code's check digit",
    ("POST", "/api/v1/webhooks/"): "the URL's host must resolve to a public address",
}


@pytest.fixture
def keep_connection():
    """Requests made in process must not close the test's database connection (Django's test
    client disconnects the same handlers)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db, centre):
    from enterprises.models import CentreAPIKey

    return CentreAPIKey.objects.create_key(name="fuzz", centre=centre)[1]


@schema.parametrize()
@hypothesis_settings(
    max_examples=int(os.environ.get("SXSH_FUZZ_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case, api_key, keep_connection):
    excluded = [positive_data_acceptance] if (case.method.upper(), case.path) in BUSINESS_RULES else []
    if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
        # A cursor is valid only as the API wrote it in `next`/`previous` (an opaque, signed-by-
        # content position), which no schema can state: a made-up one is rightly a 400. Positive
        # cases go without one; negative cases still send malformed ones.
        case.query.pop("cursor", None)
    case.call_and_validate(
        # A key of its own per request: one key reused with another body is rightly a 422.
        headers={"Authorization": f"Api-Key {api_key}", "Idempotency-Key": str(uuid.uuid4())},
        excluded_checks=excluded,
    )


def test_every_excluded_operation_exists():
    """An operation renamed or removed must leave the list, so that no exclusion outlives it."""
    operations = {
        (result.ok().method.upper(), result.ok().path)
        for result in schema.get_all_operations()
        if result.ok()
    }
    assert set(BUSINESS_RULES) <= operations, set(BUSINESS_RULES) - operations
