"""Each role against each page: allowed (200), not theirs (404), not allowed (403) or log in (302)."""

import pytest

from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

ROLES = [None, "province", "centre", "ministry", "admin"]
OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# page: expected status for anonymous, province officer (Đà Nẵng), centre user, ministry, admin
MATRIX = {
    "/": (OK, OK, OK, OK, OK),
    "/units/": (OK, OK, OK, OK, OK),
    "/units/63/80/": (OK, OK, OK, OK, OK),
    "/centres/": (OK, OK, OK, OK, OK),
    "/centres/{centre}/": (OK, OK, OK, OK, OK),
    "/enterprises/": (LOGIN, OK, OK, OK, OK),
    "/enterprises/new/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/enterprises/lookup/?tax_code={own_tax_code}": (LOGIN, OK, OK, OK, OK),
    "/enterprises/{own}/": (LOGIN, OK, NOT_FOUND, OK, OK),
    "/enterprises/{own}/edit/": (LOGIN, OK, NOT_FOUND, OK, OK),
    "/enterprises/{other}/": (LOGIN, NOT_FOUND, NOT_FOUND, OK, OK),
    "/enterprises/{other}/edit/": (LOGIN, NOT_FOUND, NOT_FOUND, OK, OK),
    "/accounts/password/": (LOGIN, OK, OK, OK, OK),
    "/admin/": (LOGIN, LOGIN, LOGIN, LOGIN, OK),
}


@pytest.fixture
def objects(danang, hanoi, centre):
    own = EnterpriseFactory(unit=danang)
    other = EnterpriseFactory(unit=hanoi)
    return {"own": own.pk, "other": other.pk, "own_tax_code": own.tax_code, "centre": centre.pk}


@pytest.mark.parametrize("path", sorted(MATRIX))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_role_matrix(client_for, objects, path, role_index, role):
    response = client_for(role).get(path.format(**objects))
    expected = MATRIX[path][role_index]
    assert response.status_code == expected, f"{role} on {path}"
    if expected == LOGIN:
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["province", "ministry", "admin"])
def test_list_shows_only_what_the_role_may_see(client_for, objects, role):
    rows = client_for(role).get("/enterprises/").context["page"].rows
    ids = {e.pk for e in rows}
    if role == "province":
        assert ids == {objects["own"]}
    else:
        assert ids == {objects["own"], objects["other"]}


def test_centre_user_sees_no_enterprise_list_but_can_look_up_by_tax_code(client_for, objects):
    client = client_for("centre")
    assert client.get("/enterprises/").context["page"].rows == []
    result = client.get("/enterprises/lookup/", {"tax_code": objects["own_tax_code"]}).context["result"]
    assert result.pk == objects["own"]


def test_lookup_reports_an_invalid_tax_code(client_for, objects):
    response = client_for("centre").get("/enterprises/lookup/", {"tax_code": "0100233480"})
    assert response.context["result"] is None and response.context["error"]


@pytest.mark.parametrize("role", ["province", "centre", "ministry"])
def test_non_administrators_cannot_use_the_admin(client_for, objects, role):
    assert client_for(role).get("/admin/enterprises/enterprise/").status_code == 302


def test_navigation_shows_each_role_what_it_can_do(client_for, objects):
    province = client_for("province").get("/").content.decode()
    centre = client_for("centre").get("/").content.decode()
    admin = client_for("admin").get("/").content.decode()
    assert 'href="/enterprises/"' in province and 'href="/admin/"' not in province
    assert 'href="/assessments/"' in centre and 'href="/enterprises/lookup/"' in centre
    assert 'href="/admin/"' in admin
