"""Figures typed into the annual report are read in the page's language: Vietnamese groups thousands
with dots (500.000 is half a million), English with commas (1,500 is fifteen hundred); what the edit
form shows is read back as the same number in either language."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from reporting.models import ReportField, ReportValue
from reporting.reports import services
from reporting.reports.views import ReportValuesForm

from .report_fixtures import *  # noqa: F403
from .report_fixtures import TYPED_OK


def _number(text, language):
    field = ReportField(code="x", type=ReportField.Type.DECIMAL)
    with translation.override(language):
        return services.parse_value(field, text)[0]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("150.000.000", "vi", "150000000"),
        ("500.000", "vi", "500000"),  # was read as 500
        ("1.234.567,5", "vi", "1234567.5"),
        ("2,5", "vi", "2.5"),
        ("2.5", "vi", "2.5"),
        ("1,500", "en", "1500"),  # was read as 1.5
        ("150,000,000", "en", "150000000"),  # was refused as not a number
        ("1,234,567.5", "en", "1234567.5"),  # was read as 1.2345675
        ("1.125", "en", "1.125"),
        ("12 500 000", "en", "12500000"),
        ("-500.000", "vi", "-500000"),
        ("180000000", "vi", "180000000"),
        ("180000000", "en", "180000000"),
    ],
)
def test_typed_numbers_follow_the_language(text, language, expected):
    assert _number(text, language) == Decimal(expected)


def test_numbers_sent_as_numbers_are_not_reinterpreted():
    field = ReportField(code="x", type=ReportField.Type.DECIMAL)
    with translation.override("vi"):
        assert services.parse_value(field, 1.125)[0] == Decimal("1.125")
        assert services.parse_value(field, Decimal("500.000"))[0] == Decimal("500")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("stored", ["1.125", "0.5", "150000000", "2500.75"])
def test_what_the_form_shows_reads_back_as_the_same_number(stored, language):
    field = ReportField(code="x", type=ReportField.Type.DECIMAL)
    value = ReportValue(field=field, number=Decimal(stored))
    with translation.override(language):
        shown = ReportValuesForm._initial(value)
        assert services.parse_value(field, shown)[0] == Decimal(stored)


def test_an_english_page_saves_a_grouped_budget(client_for, users, report):
    client = client_for("province")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {"version": report.version}
    for code, entry in TYPED_OK.items():
        data[f"value_{code}"] = entry["value"]
    data["value_local_budget_vnd"] = "1,500,000"
    response = client.post(f"/reports/{report.pk}/edit/", data)
    assert response.status_code == 302
    value = report.values.get(field__code="local_budget_vnd")
    assert value.number == Decimal("1500000")
    # and the edit page shows it back unchanged in Vietnamese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    page = client.get(f"/reports/{report.pk}/edit/").content.decode()
    assert 'value="1500000"' in page
