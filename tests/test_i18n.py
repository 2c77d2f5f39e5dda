import datetime
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from tests.factories import EnterpriseFactory

ROOT = Path(__file__).resolve().parent.parent


def test_vietnamese_translation_is_complete():
    po = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.django_db
def test_pages_speak_vietnamese_by_default_and_english_on_request(client):
    page = client.get("/").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Log in" in page


@pytest.mark.django_db
def test_unit_names_keep_their_diacritics_in_both_languages(client):
    assert "Thành phố Hồ Chí Minh" in client.get("/units/34/79/").content.decode()
    assert "Bà Rịa - Vũng Tàu" in client.get("/units/?generation=63").content.decode()


def test_numbers_and_dates_in_vietnamese_format(settings):
    template = Template("{{ n }} {{ d|date:'SHORT_DATE_FORMAT' }} {{ x|floatformat:'2g' }}")
    context = Context({"n": 1234567, "d": datetime.date(2025, 7, 1), "x": Decimal("12345.5")})
    with translation.override("vi"):
        assert template.render(context) == "1.234.567 01/07/2025 12.345,50"
    with translation.override("en"):
        assert template.render(context) == "1,234,567 01/07/2025 12,345.50"


@pytest.mark.django_db
def test_enterprise_page_shows_capacity_in_vietnamese_format(client_for, danang):
    enterprise = EnterpriseFactory(unit=danang, capacity=Decimal("12500.5"), capacity_unit="t/năm")
    page = client_for("province").get(enterprise.get_absolute_url()).content.decode()
    assert "12.500,50 t/năm" in page


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'lang="en"' in page
