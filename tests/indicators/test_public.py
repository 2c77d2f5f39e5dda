"""The open-data pages: anonymous, public indicators only, national and regional figures only."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.indicators.dashboard_factory import build_picture, old_unit_values

ROLES = ["province", "centre", "ministry", "admin", None]


@pytest.fixture
def picture(db):
    return build_picture()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path", ["/open-data/", "/du-lieu-mo/", "/open-data/guidelines/", "/open-data/indicators/savings/"]
)
def test_public_pages_open_for_everyone_and_show_the_same(picture, client_for, role, path):
    response = client_for(role).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "internal-share" not in html and "Chỉ tiêu internal-share" not in html


def test_open_data_index_shows_public_indicators_with_their_latest_national_value(picture, client_for):
    html = client_for(None).get(reverse("indicators:open_data")).content.decode()
    assert "Chỉ tiêu quick-assessments" in html and "Chỉ tiêu savings" in html
    # counts and sums cumulatively (as the headline tiles), to the latest ended year with figures
    total = 3 * sum(old_unit_values(2017).values())
    assert f'lũy kế đến năm 2017</td><td class="num">{total:,}'.replace(",", ".") in html


def test_open_data_publishes_only_the_years_that_have_ended(picture, client_for):
    """The year in progress (its reports are due next January) is on no public page or file."""
    from django.utils import timezone

    from indicators.models import IndicatorValue

    this_year = timezone.localdate().year
    published = IndicatorValue.objects.published()
    sample = published.filter(level="nation", indicator=picture["quick"]).first()
    sample.pk, sample.year = None, this_year
    sample.save()
    anonymous = client_for(None)
    index = anonymous.get(reverse("indicators:open_data")).content.decode()
    assert f">{this_year}<" not in index and f"năm {this_year}<" not in index
    page = anonymous.get(f"/open-data/indicators/{picture['quick'].code}/?generation={sample.generation}")
    assert f">{this_year}<" not in page.content.decode()
    text = b"".join(anonymous.get(reverse("indicators:public_csv")).streaming_content).decode("utf-8")
    assert f",{this_year}," not in text


@pytest.mark.parametrize("role", ROLES)
def test_non_public_indicator_page_is_a_404(picture, client_for, role):
    assert client_for(role).get("/open-data/indicators/internal-share/").status_code == 404


def test_indicator_page_shows_metadata_targets_and_regions(picture, client_for):
    picture["quick"].legal_basis = "Quyết định 1419/QĐ-TTg"
    picture["quick"].save()
    html = client_for(None).get("/open-data/indicators/quick-assessments/?generation=63").content.decode()
    assert "Quyết định 1419/QĐ-TTg" in html
    assert "2020" in html and "20.000" in html  # the target, in Vietnamese format
    assert "Đồng bằng sông Hồng" in html


def test_csv_download_has_only_public_national_and_regional_rows(picture, client_for):
    response = client_for(None).get(reverse("indicators:public_csv"), {"generation": 63})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    codes = {r[0] for r in body}
    assert codes == {"quick-assessments", "savings"}
    levels = {r[header.index("Cấp")] if "Cấp" in header else r[5] for r in body}
    assert "tỉnh / thành phố" not in levels and len(levels) == 2


def test_excel_download_opens_and_matches_the_csv(picture, client_for):
    response = client_for(None).get(reverse("indicators:public_xlsx"), {"generation": 34})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    csv_text = b"".join(
        client_for(None).get(reverse("indicators:public_csv"), {"generation": 34}).streaming_content
    )
    assert len(rows) == len(csv_text.decode().strip().splitlines()) - 1
    assert {r[0] for r in rows} == {"quick-assessments", "savings"}


def test_guideline_files_stay_behind_the_login(picture, client_for):
    from django.core.files.base import ContentFile

    from reporting.models import Guideline

    g = Guideline(title="Hướng dẫn SXSH ngành giấy", issuer="Bộ Công Thương", year=2012)
    g.file.save("g.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    html = client_for(None).get(reverse("indicators:public_guidelines")).content.decode()
    assert "Hướng dẫn SXSH ngành giấy" in html
    file_url = reverse("activities:guideline_file", args=[g.pk])
    assert f'href="{file_url}"' not in html
    assert client_for(None).get(file_url).status_code == 302


def test_the_public_guideline_list_names_the_sector(picture, client_for):
    from enterprises.models import Sector
    from reporting.models import Guideline

    paper = Sector.objects.get(code="17")
    Guideline.objects.create(
        title="Hướng dẫn SXSH ngành giấy", issuer="Bộ Công Thương", year=2012, sector=paper
    )
    html = client_for(None).get(reverse("indicators:public_guidelines")).content.decode()
    assert f"<td>{paper.code} · {paper.name_vi}</td>" in html or f"<td>{paper}</td>" in html
    assert paper.name_vi in html


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("vi", {"unknown": "chưa ghi quy mô", "small": "nhỏ"}),
        ("en", {"unknown": "size not recorded", "small": "small"}),
    ],
)
def test_csv_names_each_slice_beside_its_code(picture, client_for, language, names):
    """Slices keep their codes (a script reads them) and get a name in the reader's language in the
    last column, the rollup's own slices ("unknown" size) included."""
    from enterprises.models import Sector
    from tests.indicators.dashboard_factory import write_year

    sector = Sector.objects.get(code="10")
    names = names | {"10": f"10 · {sector.name_vi if language == 'vi' else sector.name_en}"}

    write_year(
        picture["run"],
        picture["quick"],
        2016,
        old_unit_values(2016),
        dimensions={"size": {"unknown": "0.5", "small": "0.5"}, "sector": {"10": "1"}},
    )
    client = client_for(None)
    client.cookies["django_language"] = language
    text = b"".join(client.get(reverse("indicators:public_csv"), {"generation": 34}).streaming_content)
    header, *body = csv.reader(io.StringIO(text.decode("utf-8").lstrip("\ufeff")))
    code = header.index("Nhóm phân tổ" if language == "vi" else "Slice")
    name = len(header) - 1
    assert header[name] == ("Tên nhóm phân tổ" if language == "vi" else "Slice name")
    named = {r[code]: r[name] for r in body if r[code]}
    for slice_, expected in names.items():
        assert named[slice_].lower() == expected.lower(), (slice_, named[slice_])
    assert all(r[name] == "" for r in body if not r[code])
