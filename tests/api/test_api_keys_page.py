import pytest
from rest_framework.test import APIClient

from enterprises.models import CentreAPIKey
from tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


def test_a_centre_user_creates_a_key_sees_it_once_and_revokes_it(client_for, centre):
    client = client_for("centre")
    response = client.post("/api-keys/", {"name": "Phần mềm đánh giá"}, follow=True)
    assert response.redirect_chain == [("/api-keys/", 302)]
    secret = response.context["new_key"]
    assert secret and secret in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert api.get("/api/v1/assessments/").status_code == 200
    page = client.get("/api-keys/")
    assert secret not in page.content.decode()  # never shown again
    key = CentreAPIKey.objects.get(centre=centre)
    assert client.post("/api-keys/", {"revoke": key.pk}).status_code == 302
    assert api.get("/api/v1/assessments/").status_code in (401, 403)


def test_a_centre_cannot_see_or_revoke_another_centres_key(client_for):
    other, _secret = CentreAPIKey.objects.create_key(name="other", centre=CentreFactory())
    client = client_for("centre")
    assert other.prefix not in client.get("/api-keys/").content.decode()
    assert client.post("/api-keys/", {"revoke": other.pk}).status_code == 404
    other.refresh_from_db()
    assert not other.revoked


@pytest.mark.parametrize("role, status", [(None, 302), ("province", 403), ("ministry", 403), ("admin", 403)])
def test_only_centre_users_have_the_keys_page(client_for, role, status):
    assert client_for(role).get("/api-keys/").status_code == status


def test_reloading_the_page_after_creating_a_key_creates_no_other_key(client_for, centre):
    """Post/redirect/get: the browser's reload repeats the GET that showed the secret, not the POST."""
    client = client_for("centre")
    created = client.post("/api-keys/", {"name": "Phần mềm đánh giá"})
    assert created.status_code == 302 and created["Location"] == "/api-keys/"
    assert client.head("/api-keys/").status_code == 200  # a HEAD request does not take the secret
    shown = client.get("/api-keys/")
    secret = shown.context["new_key"]
    assert secret and secret in shown.content.decode()
    # Never kept by a browser or a proxy: the back button after logging out cannot show it again.
    assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    reloaded = client.get("/api-keys/")
    assert reloaded.context["new_key"] is None and secret not in reloaded.content.decode()
    assert CentreAPIKey.objects.filter(centre=centre).count() == 1
