"""The API documentation renders offline and within the Content Security Policy."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("path", "selector"), [("/api/docs/", ".swagger-ui .info"), ("/api/redoc/", "h1")])
def test_api_docs_render_without_policy_violations(browser, live_server, path, selector):
    from tests.factories import ensure_reference_data

    from .conftest import watch_csp

    ensure_reference_data()
    context = browser.new_context()
    page = watch_csp(context.new_page())
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(selector, timeout=20_000)
    # ReDoc's bundle shows its maker's logo from cdn.redoc.ly in the menu; the policy blocks it (nothing
    # leaves the machine) and nothing else is refused.
    assert [v for v in page.csp_violations if "cdn.redoc.ly" not in v] == []
    outside = [url for url in requests if not url.startswith((live_server.url, "data:", "blob:"))]
    assert [url for url in outside if "cdn.redoc.ly" not in url] == []
