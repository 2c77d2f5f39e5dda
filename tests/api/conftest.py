import pytest
from rest_framework.test import APIClient

from enterprises.models import CentreAPIKey
from tests.assessments.conftest import make_assessment  # noqa: F401  (shared fixture)


@pytest.fixture
def key_for(db):
    def make(centre, **kwargs):
        _, key = CentreAPIKey.objects.create_key(name=f"{centre.name} key", centre=centre, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client

    return make
