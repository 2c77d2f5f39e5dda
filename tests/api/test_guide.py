import pytest

pytestmark = pytest.mark.django_db


def test_the_guide_for_centres_is_served_with_anchors_for_its_sections(client):
    response = client.get("/api/guide/")
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ("the-sandbox", "webhooks", "idempotency-post", "errors", "mirroring-your-data-sync"):
        assert f'id="{anchor}"' in html
    assert "X-SXSH-Signature" in html and "hmac.compare_digest" in html
    assert 'href="/api/docs/"' in html


def test_the_keys_page_links_the_guide_and_the_webhooks(client_for):
    html = client_for("centre").get("/api-keys/").content.decode()
    assert 'href="/api/guide/#sandbox"' not in html  # the section's anchor is the-sandbox
    assert 'href="/api/guide/#the-sandbox"' in html and 'href="/webhooks/"' in html
