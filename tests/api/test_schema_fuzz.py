"""Schemathesis against the portal's own OpenAPI schema, in process: no server error, every answer
(status, headers, body) as documented, and every schema-violating request refused (id filters
refuse 0.5 and -1). Business rules may refuse schema-valid requests (a future date, a wrong check
digit), so the "schema-valid request accepted" check is left out."""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sxsh_portal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


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
@hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case, api_key, keep_connection):
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {api_key}", "Idempotency-Key": "fuzz"},
        excluded_checks=[positive_data_acceptance],
    )
