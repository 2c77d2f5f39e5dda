import csv
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from provinces import selectors
from provinces.models import AdministrativeUnit, Generation, Region
from provinces.reference_data import NEW_CSV, OLD_CSV
from provinces.services import ensure_unit_accepts_new_data

pytestmark = pytest.mark.django_db

REUSED_CODES = {
    # code: (old unit, new unit) -- the same code names two different units
    "80": ("Long An", "Tây Ninh"),
    "91": ("Kiên Giang", "An Giang"),
    "52": ("Bình Định", "Gia Lai"),
    "15": ("Yên Bái", "Lào Cai"),
    "24": ("Bắc Giang", "Bắc Ninh"),
    "82": ("Tiền Giang", "Đồng Tháp"),
    "44": ("Quảng Bình", "Quảng Trị"),
}


def test_sixty_three_old_units_and_thirty_four_new():
    assert AdministrativeUnit.objects.filter(generation=Generation.UNITS_63).count() == 63
    assert AdministrativeUnit.objects.filter(generation=Generation.UNITS_34).count() == 34
    assert Region.objects.count() == 6


def test_eleven_new_units_unchanged_and_twenty_three_merged():
    counts = [len(selectors.predecessors_of(u)) for u in AdministrativeUnit.objects.current()]
    assert sum(1 for n in counts if n == 1) == 11
    assert sum(1 for n in counts if n > 1) == 23
    assert all(1 <= n <= 3 for n in counts)


def test_every_old_unit_maps_to_exactly_one_new_unit():
    for old in AdministrativeUnit.objects.filter(generation=63):
        mapped = selectors.map_to_generation(old, Generation.UNITS_34)
        assert len(mapped) == 1 and mapped[0].generation == 34, old
    total = sum(len(selectors.predecessors_of(u)) for u in AdministrativeUnit.objects.current())
    assert total == 63


def test_succession_matches_both_reference_tables():
    with OLD_CSV.open(encoding="utf-8") as fh:
        old_rows = {r["code"]: r["new_code_2025"] for r in csv.DictReader(fh)}
    with NEW_CSV.open(encoding="utf-8") as fh:
        new_rows = {r["code"]: sorted(r["old_codes"].split(";")) for r in csv.DictReader(fh)}
    for old_code, new_code in old_rows.items():
        assert old_code in new_rows[new_code]
    for new in AdministrativeUnit.objects.current():
        assert sorted(u.code for u in selectors.predecessors_of(new)) == new_rows[new.code]


@pytest.mark.parametrize("code", sorted(REUSED_CODES))
def test_reused_codes_resolve_to_different_units_in_each_generation(code):
    old_name, new_name = REUSED_CODES[code]
    old = selectors.unit_in_force(code, datetime.date(2025, 6, 30))
    new = selectors.unit_in_force(code, datetime.date(2025, 7, 1))
    assert old.short_name_vi == old_name and old.generation == 63
    assert new.short_name_vi == new_name and new.generation == 34
    assert old.pk != new.pk
    assert old.successor == new


def test_hue_is_a_centrally_run_city_in_both_generations():
    for gen in (63, 34):
        hue = AdministrativeUnit.objects.get(generation=gen, code="46")
        assert hue.kind == AdministrativeUnit.Kind.CITY
        assert hue.short_name_vi == "Huế"
    assert AdministrativeUnit.objects.current().filter(kind="city").count() == 6
    assert AdministrativeUnit.objects.filter(generation=63, kind="city").count() == 6


@pytest.mark.parametrize("generation", [63, 34])
def test_every_unit_is_named_with_its_division_as_the_official_lists_name_it(generation):
    """ "Tỉnh Cao Bằng" and "Thành phố Hà Nội" alike, in both generations (a table listing the 34
    mixed "Thành phố Hà Nội" with a bare "Cao Bằng"); the short name is the bare name."""
    for unit in AdministrativeUnit.objects.filter(generation=generation):
        prefix = "Thành phố " if unit.kind == AdministrativeUnit.Kind.CITY else "Tỉnh "
        assert unit.name_vi == prefix + unit.short_name_vi, unit.code


def test_new_unit_region_is_its_seat_units_region():
    danang = AdministrativeUnit.objects.get(generation=34, code="48")
    quang_nam = AdministrativeUnit.objects.get(generation=63, code="49")
    assert danang.region == quang_nam.region  # both in the North Central and Central Coast
    tay_ninh = AdministrativeUnit.objects.get(generation=34, code="80")
    # the new Tây Ninh kept Long An's code 80 because its seat is in the old Long An
    assert tay_ninh.region.key == "DBSCL"


def test_mapping_back_gives_the_predecessors():
    hcmc = AdministrativeUnit.objects.get(generation=34, code="79")
    names = {u.short_name_vi for u in selectors.map_to_generation(hcmc, Generation.UNITS_63)}
    assert names == {"Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"}


def test_reference_data_load_is_idempotent_and_keeps_a_changed_region():
    danang = AdministrativeUnit.objects.get(generation=34, code="48")
    other = Region.objects.exclude(pk=danang.region_id).first()
    danang.region = other
    danang.save()
    before = AdministrativeUnit.objects.count()
    call_command("load_reference_data")
    call_command("load_reference_data")
    assert AdministrativeUnit.objects.count() == before == 97
    danang.refresh_from_db()
    assert danang.region == other


def test_ceased_unit_is_refused_for_new_data_with_its_successor_named():
    long_an = AdministrativeUnit.objects.get(generation=63, code="80")
    with pytest.raises(ValidationError) as exc:
        ensure_unit_accepts_new_data(long_an, on=datetime.date(2025, 7, 2))
    message = exc.value.messages[0]
    assert "Long An" in message and "Tây Ninh" in message and "80" in message
    # history before the reform is fine
    ensure_unit_accepts_new_data(long_an, on=datetime.date(2024, 12, 31))


def test_unit_pages_show_both_generations(client):
    response = client.get("/units/?generation=63")
    assert response.status_code == 200
    assert response.context["units"].count() == 63
    response = client.get("/units/")
    assert response.context["units"].count() == 34
    page = client.get("/units/34/80/").content.decode()
    assert "Long An" in page and "Tây Ninh" in page
    page = client.get("/units/63/80/").content.decode()
    assert "Tây Ninh" in page
    assert client.get("/units/63/99/").status_code == 404
    assert client.get("/units/12/01/").status_code == 404
