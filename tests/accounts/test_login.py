import pytest
from django.db import IntegrityError

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_logout(client, users):
    response = client.post("/accounts/login/", {"username": "officer.danang", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/enterprises/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/enterprises/").status_code == 302


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "officer.danang", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "officer.danang", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/enterprises/").status_code == 302


def test_password_change(client, users):
    client.force_login(users["ministry"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Mật-khẩu-mới-2026",
            "new_password2": "Mật-khẩu-mới-2026",
        },
    )
    assert response.status_code == 302
    users["ministry"].refresh_from_db()
    assert users["ministry"].check_password("Mật-khẩu-mới-2026")


@pytest.mark.parametrize(
    "role, binding",
    [("province", {}), ("centre", {}), ("ministry", {"unit": "48"}), ("province", {"centre": True})],
)
def test_a_role_must_be_bound_to_exactly_what_it_needs(danang, centre, role, binding):
    kwargs = {"username": "x", "role": role}
    if binding.get("unit"):
        kwargs["unit"] = danang
    if binding.get("centre"):
        kwargs["centre"] = centre
        kwargs["unit"] = danang
    with pytest.raises(IntegrityError):
        User.objects.create(**kwargs)


def test_createsuperuser_makes_an_administrator():
    user = User.objects.create_superuser("root", "root@example.vn", "x")
    assert user.role == User.Role.ADMIN and user.is_ministry


def test_full_name_is_in_vietnamese_order():
    user = User(first_name="Hà", last_name="Nguyễn Thị Thu")
    assert user.get_full_name() == "Nguyễn Thị Thu Hà"
