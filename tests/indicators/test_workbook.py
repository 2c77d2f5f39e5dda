"""The national report workbook: a background job for the ministry whose file opens with openpyxl
and holds the dashboard's figures."""

from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import User
from indicators import selectors
from indicators.exports import _column_heading
from jobs.models import Job
from tests.factories import UserFactory
from tests.indicators.dashboard_factory import build_picture


@pytest.fixture
def picture(db):
    return build_picture()


@pytest.mark.parametrize(("role", "expected"), [("province", 403), ("centre", 403), (None, 302)])
def test_only_the_ministry_starts_the_workbook(picture, client_for, role, expected):
    response = client_for(role).post(reverse("indicators:workbook"), {"generation": 63})
    assert response.status_code == expected
    assert not Job.objects.exists()


def test_workbook_needs_a_post(picture, client_for):
    assert client_for("ministry").get(reverse("indicators:workbook")).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_workbook_job_writes_the_dashboard_figures(client_for, users):
    picture = build_picture()
    client = client_for("ministry")
    response = client.post(reverse("indicators:workbook"), {"generation": 63})
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.percent == 100 and job.output_name.endswith(".xlsx") and "-63-" in job.output_name
    # The job's page says what it writes, not only "export #n".
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<h1 class="h3">Báo cáo toàn quốc</h1>' in page, page[page.find("<h1") : page.find("</h1>") + 5]
    # Only its creator downloads it.
    assert client_for("admin").get(reverse("jobs:download", args=[job.pk])).status_code == 404
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    path = job.output_file.path
    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    assert names[-1] in ("Metadata", "Siêu dữ liệu") or len(names) >= 4
    assert any(n.startswith("Units") or "·" in n for n in names)

    ministry = users["ministry"]
    # The group sheet's 2017 national value equals the dashboard's.
    group_sheet = book.worksheets[0]
    rows = {(r[0], r[3]): r for r in group_sheet.iter_rows(min_row=2, values_only=True)}
    for indicator in (picture["quick"], picture["savings"], picture["internal"]):
        data = selectors.dashboard_data(ministry, indicator=indicator, generation=63, year=2017)
        assert Decimal(str(rows[(indicator.code, 2017)][4])) == Decimal(str(data["national"]["value"]))
    data = selectors.dashboard_data(
        ministry, indicator=picture["quick"], generation=63, year=2017, cumulative=True
    )
    assert Decimal(str(rows[("quick-assessments", 2017)][5])) == Decimal(str(data["national"]["value"]))

    # The units sheet holds every unit's value, equal to the map's tiles.
    unit_sheet = book.worksheets[1]
    header = next(unit_sheet.iter_rows(max_row=1, values_only=True))
    column = header.index(_column_heading(picture["quick"]))
    by_unit = {r[0]: r[column] for r in unit_sheet.iter_rows(min_row=2, values_only=True) if r[3] == 2017}
    data = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=63, year=2017)
    assert len(by_unit) == 63
    assert by_unit == {t["code"]: t["value"] for t in data["map"]["tiles"]}


def test_workbook_of_the_34_units(picture, users, tmp_path, settings):
    from indicators.exports import NATIONAL_WORKBOOK

    path = tmp_path / "book.xlsx"
    with open(path, "wb") as f:
        NATIONAL_WORKBOOK.write(f, user=users["ministry"], filters={"generation": 34})
    book = openpyxl.load_workbook(path, read_only=True)
    unit_sheet = book.worksheets[1]
    codes = {r[0] for r in unit_sheet.iter_rows(min_row=2, values_only=True)}
    assert len(codes) == 34


def test_workbook_is_not_allowed_for_a_province_officer():
    from indicators.exports import NATIONAL_WORKBOOK

    assert not NATIONAL_WORKBOOK.allowed(User(role=User.Role.PROVINCE))


@pytest.mark.django_db
def test_workbook_job_fails_for_a_user_who_lost_the_right(picture):
    """The job checks the right again when it runs (on commit, possibly much later)."""
    from indicators.exports import queue_national_workbook
    from jobs.tasks import run_export

    user = UserFactory(role=User.Role.MINISTRY)
    job = queue_national_workbook(by=user, generation=34)  # on commit: not run inside this test
    User.objects.filter(pk=user.pk).update(is_active=False)
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not job.output_file


def test_place_sheets_hold_every_published_value_in_its_column(picture, users, tmp_path):
    """The unit and region sheets are pivoted by the database: each row is one place and year in
    the order of the places (units by code, regions in their order), each indicator's value in its
    own column, and an empty cell where a place has no value that year."""
    from indicators.exports import NATIONAL_WORKBOOK
    from indicators.models import Indicator, IndicatorValue, Level
    from provinces.models import AdministrativeUnit, Region

    gone = IndicatorValue.objects.filter(
        run=picture["run"], indicator=picture["internal"], level=Level.UNIT, year=2016, generation=63
    ).order_by("unit__code")[:1]
    gone_unit = gone[0].unit.code
    IndicatorValue.objects.filter(pk__in=[v.pk for v in gone]).delete()
    path = tmp_path / "book.xlsx"
    with open(path, "wb") as f:
        NATIONAL_WORKBOOK.write(f, user=users["ministry"], filters={"generation": 63})
    book = openpyxl.load_workbook(path, read_only=True)
    codes_by_heading = {_column_heading(i): i.code for i in Indicator.objects.all()}
    published = IndicatorValue.objects.published().filter(generation=63, dimension="", cumulative=False)

    unit_sheet = book.worksheets[1]
    header, *rows = list(unit_sheet.iter_rows(values_only=True))
    codes = [codes_by_heading[h] for h in header[4:]]
    expected = {}
    for code, indicator_code, year, value in published.filter(level=Level.UNIT).values_list(
        "unit__code", "indicator__code", "year", "value"
    ):
        expected[(code, year, indicator_code)] = float(value)
    assert [(r[0], r[3]) for r in rows] == sorted({(code, year) for code, year, _i in expected})
    units = dict(AdministrativeUnit.objects.filter(generation=63).values_list("code", "short_name_vi"))
    for row in rows:
        assert row[1] == units[row[0]]
        for code, cell in zip(codes, row[4:], strict=True):
            assert cell == expected.get((row[0], row[3], code)), (row[0], row[3], code)
    assert (
        next(r for r in rows if r[0] == gone_unit and r[3] == 2016)[4 + codes.index("internal-share")] is None
    )

    region_sheet = book.worksheets[2]
    header, *rows = list(region_sheet.iter_rows(values_only=True))
    keys = [k for k in Region.objects.order_by("order", "key").values_list("key", flat=True)]
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=keys.index)
    for row in rows:
        for code, cell in zip([codes_by_heading[h] for h in header[3:]], row[3:], strict=True):
            value = published.filter(
                level=Level.REGION, region__key=row[0], year=row[2], indicator__code=code
            )
            assert cell == (float(value.get().value) if value.exists() else None)
