"""The seeded catalogue in both languages: the public indicator pages and the national workbook
show each indicator's definition, source, period and legal basis in the active language, and the
installations seeded before the catalogue had both languages get the missing texts."""

import re

import openpyxl
import pytest
from django.utils import translation

from common.exports import SHEET_NAME_MAX, sheet_title
from indicators.catalogue import D1419, INDICATORS, SRC_ASSESS, SRC_PROV, fill_translations, load_catalogue
from indicators.models import Indicator, IndicatorTarget


@pytest.fixture
def catalogue(db):
    Indicator.objects.all().delete()
    load_catalogue()
    return {i.code: i for i in Indicator.objects.prefetch_related("targets")}


def page(client_for, code: str, language: str) -> str:
    client = client_for(None)
    client.cookies["django_language"] = language
    response = client.get(f"/open-data/indicators/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def _breadcrumb(html: str) -> str:
    return re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.S).group(1)


def test_every_seeded_indicator_has_its_texts_in_both_languages(catalogue):
    assert len(catalogue) == len(INDICATORS)
    for indicator in catalogue.values():
        for field in (
            "definition_vi",
            "definition_en",
            "source",
            "source_en",
            "legal_basis",
            "legal_basis_en",
        ):
            assert getattr(indicator, field), (indicator.code, field)
        assert indicator.definition_vi != indicator.definition_en
        assert indicator.source != indicator.source_en
        for target in indicator.targets.all():
            assert target.decision.startswith("Quyết định") and target.decision_en.startswith("Decision")


@pytest.mark.parametrize(
    "code", ["assessments_quick", "share_units_with_focal_point", "units_with_plan_2021_2025"]
)
def test_vietnamese_page_shows_the_vietnamese_metadata(catalogue, client_for, code):
    indicator = catalogue[code]
    html = page(client_for, code, "vi")
    assert indicator.definition_vi in html
    assert indicator.source in html and indicator.source_en not in html
    assert "hằng năm" in html and ">annual<" not in html
    assert 'Khái niệm</dt><dd class="col-sm-9">—' not in html
    breadcrumb = _breadcrumb(html)
    assert indicator.name_vi in breadcrumb and code not in breadcrumb


def test_vietnamese_source_of_the_seeded_groups(catalogue, client_for):
    assert SRC_ASSESS[0] in page(client_for, "assessments_quick", "vi")
    html = page(client_for, "units_with_plan_2021_2025", "vi")
    assert SRC_PROV[0] in html and SRC_PROV[1] not in html


def test_english_page_shows_the_english_legal_basis_and_decisions(catalogue, client_for):
    html = page(client_for, "share_units_with_focal_point", "en")
    indicator = catalogue["share_units_with_focal_point"]
    assert "Decision 1419/QD-TTg of 07/09/2009" in html
    assert "Quyết định" not in html
    assert indicator.definition_en in html and indicator.source_en in html
    assert ">annual<" in html
    assert indicator.name_en in _breadcrumb(html)


def test_a_missing_text_falls_back_to_the_other_language(catalogue, client_for):
    Indicator.objects.filter(code="events").update(definition_vi="", source_en="")
    indicator = Indicator.objects.get(code="events")
    assert indicator.definition_en in page(client_for, "events", "vi")
    assert indicator.source in page(client_for, "events", "en")


def test_installations_seeded_in_one_language_get_the_other_one_without_losing_edits(catalogue):
    """What the first seed left: the English source in ``source``, no Vietnamese definition, no
    English legal basis or decision; the ministry had edited one source and one definition."""
    Indicator.objects.update(definition_vi="", source_en="", legal_basis_en="")
    for code, *_middle, (_source_vi, source_en), _basis, _headline, _def_en, _def_vi in INDICATORS:
        Indicator.objects.filter(code=code).update(source=source_en)
    IndicatorTarget.objects.update(decision_en="")
    Indicator.objects.filter(code="events").update(source="Sổ theo dõi của Bộ")
    Indicator.objects.filter(code="participants").update(definition_vi="Khái niệm do Bộ sửa")

    assert fill_translations() > 0
    quick = Indicator.objects.get(code="assessments_quick")
    assert (quick.source, quick.source_en) == SRC_ASSESS
    assert quick.legal_basis_en == D1419[1]
    assert quick.definition_vi.startswith("Số lượt đánh giá nhanh")
    events = Indicator.objects.get(code="events")
    assert (events.source, events.source_en) == ("Sổ theo dõi của Bộ", "")
    assert Indicator.objects.get(code="participants").definition_vi == "Khái niệm do Bộ sửa"
    assert not IndicatorTarget.objects.filter(decision_en="").exists()
    assert fill_translations() == 0  # idempotent


# The national workbook ---------------------------------------------------------------------------


def write_workbook(user, tmp_path, language: str):
    from indicators.exports import NATIONAL_WORKBOOK

    path = tmp_path / f"book-{language}.xlsx"
    with translation.override(language), open(path, "wb") as f:
        NATIONAL_WORKBOOK.write(f, user=user, filters={"generation": 63})
        names = [str(name) for name, _columns, _rows in NATIONAL_WORKBOOK.sheets(user, {"generation": 63})]
    return openpyxl.load_workbook(path, read_only=True), names


def test_vietnamese_workbook_metadata_has_the_vietnamese_texts(catalogue, users, tmp_path):
    book, _names = write_workbook(users["ministry"], tmp_path, "vi")
    header, *rows = list(book["Siêu dữ liệu"].iter_rows(values_only=True))
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    quick = catalogue["assessments_quick"]
    assert by_code["assessments_quick"]["Khái niệm"] == quick.definition_vi
    assert by_code["assessments_quick"]["Nguồn số liệu"] == SRC_ASSESS[0]
    assert by_code["assessments_quick"]["Căn cứ pháp lý"] == D1419[0]
    for code, indicator in catalogue.items():
        assert by_code[code]["Khái niệm"] == indicator.definition_vi
        assert by_code[code]["Nguồn số liệu"] == indicator.source != indicator.source_en


def test_english_workbook_metadata_has_the_english_texts(catalogue, users, tmp_path):
    book, _names = write_workbook(users["ministry"], tmp_path, "en")
    header, *rows = list(book["Metadata"].iter_rows(values_only=True))
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    focal = by_code["share_units_with_focal_point"]
    assert focal["Definition"] == catalogue["share_units_with_focal_point"].definition_en
    assert focal["Source"] == SRC_PROV[1]
    assert focal["Legal basis"] == D1419[1]
    assert "Decision 1419/QD-TTg" in focal["Targets"] and "Quyết định" not in focal["Targets"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_place_sheets_are_headed_by_indicator_names(catalogue, users, tmp_path, language):
    book, _names = write_workbook(users["ministry"], tmp_path, language)
    with translation.override(language):
        headings = {code: f"{i.name} ({i.unit_label})" for code, i in catalogue.items()}
        unit_sheet = book["Đơn vị · Hoạt động" if language == "vi" else "Units · Activities"]
    region_sheet = book["Các vùng" if language == "vi" else "Regions"]
    for sheet in (unit_sheet, region_sheet):
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert not set(header) & set(catalogue), sheet.title  # no code as a heading
        assert headings["assessments_quick"] in header, sheet.title
    region_header = next(region_sheet.iter_rows(max_row=1, values_only=True))
    assert set(headings.values()) <= set(region_header)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_sheet_names_fit_excel_uncut_and_unique(catalogue, users, tmp_path, language):
    book, names = write_workbook(users["ministry"], tmp_path, language)
    assert book.sheetnames == names  # written as given: nothing cut or numbered by the writer
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert len(name) <= SHEET_NAME_MAX and sheet_title(name) == name, name
