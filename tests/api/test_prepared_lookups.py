"""Look-ups compiled once (common.prepared) answer what their querysets answer."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from assessments.models import Assessment
from assessments.selectors import id_by_external_id
from common.prepared import PreparedQuery
from enterprises.models import CentreAPIKey, Enterprise
from enterprises.selectors import enterprise_by_tax_code
from tests.factories import CentreFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


def fields_of(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_prepared_lookup_returns_the_instances_the_queryset_returns_for_each_call():
    first, second = EnterpriseFactory(), EnterpriseFactory()
    by_code = PreparedQuery(
        lambda tax_code: Enterprise.objects.select_related("unit", "sector").filter(tax_code=tax_code),
        tax_code=str,
    )
    for enterprise in (first, second, first):
        found = by_code.first(tax_code=enterprise.tax_code)
        expected = Enterprise.objects.select_related("unit", "sector").get(pk=enterprise.pk)
        assert fields_of(found) == fields_of(expected)
        assert fields_of(found.unit) == fields_of(expected.unit)  # read with it, no query
        assert found.sector_id is None or fields_of(found.sector) == fields_of(expected.sector)
    assert by_code.first(tax_code="0000000000") is None
    with pytest.raises(ValueError):
        by_code.first(tax_code=None)  # the queryset would have asked IS NULL


def test_prepared_lookup_refuses_a_queryset_whose_values_do_not_reach_the_sql():
    ignored = PreparedQuery(lambda tax_code: Enterprise.objects.all(), tax_code=str)
    with pytest.raises(ImproperlyConfigured):
        ignored.first(tax_code="0100109106")


def test_enterprise_by_tax_code_finds_by_the_compact_code():
    enterprise = EnterpriseFactory()
    assert enterprise_by_tax_code(enterprise.tax_code).pk == enterprise.pk
    assert enterprise_by_tax_code("") is None


def test_api_key_lookup_refuses_revoked_keys_and_wrong_secrets():
    centre = CentreFactory()
    api_key, key = CentreAPIKey.objects.create_key(name="k", centre=centre)
    found = CentreAPIKey.objects.get_from_key(key)
    assert found.pk == api_key.pk and found.centre.name == centre.name
    with pytest.raises(CentreAPIKey.DoesNotExist):
        CentreAPIKey.objects.get_from_key(key[:-1] + ("A" if key[-1] != "A" else "B"))
    api_key.revoked = True
    api_key.save()
    with pytest.raises(CentreAPIKey.DoesNotExist):
        CentreAPIKey.objects.get_from_key(key)


def test_id_by_external_id_stays_in_the_callers_scope(make_assessment, centre):
    from accounts.api_auth import CentreKeyUser

    real = make_assessment(external_id="EXT-1")
    other_centre = CentreFactory()
    real_key, _ = CentreAPIKey.objects.create_key(name="real", centre=centre)
    sandbox_key, _ = CentreAPIKey.objects.create_key(name="sandbox", centre=centre, is_sandbox=True)
    other_key, _ = CentreAPIKey.objects.create_key(name="other", centre=other_centre)
    assert id_by_external_id(CentreKeyUser(real_key), "EXT-1") == real.pk
    assert id_by_external_id(CentreKeyUser(real_key), "EXT-2") is None
    assert id_by_external_id(CentreKeyUser(sandbox_key), "EXT-1") is None  # real data: not the sandbox's
    assert id_by_external_id(CentreKeyUser(other_key), "EXT-1") is None
    Assessment.objects.filter(pk=real.pk).update(is_sandbox=True)
    assert id_by_external_id(CentreKeyUser(sandbox_key), "EXT-1") == real.pk
    assert id_by_external_id(CentreKeyUser(real_key), "EXT-1") is None


def test_insert_writes_the_row_save_writes(make_assessment, centre):
    from common.prepared import insert

    model = make_assessment(external_id="EXT-SAVED")
    columns = [
        f.attname
        for f in Assessment._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    ]

    def copy(external_id):
        values = {name: getattr(model, name) for name in columns}
        return Assessment(**{**values, "external_id": external_id})

    saved, inserted = copy("EXT-A"), copy("EXT-B")
    saved.save()
    insert(inserted)
    assert inserted.pk and not inserted._state.adding and inserted._state.db == "default"
    assert inserted.created_at and inserted.updated_at  # auto_now(_add) filled as save() fills them
    rows = {
        row["external_id"]: row
        for row in Assessment.objects.filter(pk__in=[saved.pk, inserted.pk]).values(*columns, "created_at")
    }
    assert {**rows["EXT-A"], "external_id": "", "created_at": None} == {
        **rows["EXT-B"],
        "external_id": "",
        "created_at": None,
    }
    assert rows["EXT-B"]["created_at"] == inserted.created_at
