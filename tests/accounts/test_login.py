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


# Behind the reverse proxy (docs/DEPLOY.md): every request arrives from the proxy's address, and the
# proxy appends the address it received the request from to X-Forwarded-For.
PROXY = "172.18.0.1"


def log_in(password, forwarded, client=None):
    from django.test import Client

    return (client or Client()).post(
        "/accounts/login/",
        {"username": "officer.danang", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_the_proxy_failures_lock_out_one_client_not_everyone(users, settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("wrong", "203.0.113.7")
    assert log_in(PASSWORD, "203.0.113.7").status_code == 429
    assert log_in(PASSWORD, "198.51.100.20").status_code == 302  # same user name, another client


def test_a_client_cannot_choose_its_address_with_its_own_x_forwarded_for(users, settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in("wrong", f"10.0.0.{n}, 203.0.113.7")  # a new made-up entry each time, then the proxy's
    assert log_in(PASSWORD, "198.51.100.99, 203.0.113.7").status_code == 429
    assert log_in(PASSWORD, "203.0.113.7").status_code == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(users, settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 0
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("wrong", "203.0.113.7")
    assert log_in(PASSWORD, "198.51.100.20").status_code == 429  # one address: the proxy's
