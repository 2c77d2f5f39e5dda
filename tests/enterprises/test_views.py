import pytest
from django.urls import reverse

from enterprises.models import Enterprise, Sector
from provinces.models import AdministrativeUnit
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def form_data(unit, **overrides):
    data = {
        "tax_code": "0100233488",
        "name": "Công ty TNHH Giấy Sông Hàn",
        "address": "Số 12 đường Nguyễn Văn Linh, Đà Nẵng",
        "unit": unit.pk,
        "sector": Sector.objects.get(code="17").pk,
        "size": "medium",
        "main_products": "giấy bao bì",
        "capacity": "12000",
        "capacity_unit": "t/năm",
        "employees": "250",
    }
    data.update(overrides)
    return data


def test_province_officer_creates_an_enterprise_in_their_unit(client_for, danang):
    response = client_for("province").post(reverse("enterprises:create"), form_data(danang))
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302 and response["Location"] == enterprise.get_absolute_url()
    assert enterprise.unit == danang and enterprise.tax_code == "0100233488"


def test_branch_tax_code_is_stored_compact_and_shown_with_dash(client_for, danang):
    client = client_for("province")
    client.post(reverse("enterprises:create"), form_data(danang, tax_code="0100233488-001"))
    enterprise = Enterprise.objects.get()
    assert enterprise.tax_code == "0100233488001"
    assert "0100233488-001" in client.get(enterprise.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "tax_code, fragment",
    [("0100233480", "check digit"), ("010023348", "10 digits"), ("01002A3488", "only digits")],
)
def test_invalid_tax_code_is_a_form_error_and_nothing_is_saved(client_for, danang, tax_code, fragment):
    client = client_for("province")
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.post(reverse("enterprises:create"), form_data(danang, tax_code=tax_code))
    assert response.status_code == 400
    assert fragment in " ".join(response.context["form"].errors["tax_code"])
    assert not Enterprise.objects.exists()


def test_invalid_tax_code_message_is_vietnamese_by_default(client_for, danang):
    response = client_for("province").post(
        reverse("enterprises:create"), form_data(danang, tax_code="0100233480")
    )
    error = " ".join(response.context["form"].errors["tax_code"])
    assert "0100233480" in error and "kiểm tra" in error


def test_duplicate_tax_code_links_to_the_existing_enterprise(client_for, danang):
    existing = EnterpriseFactory(tax_code="0100233488", unit=danang)
    response = client_for("province").post(reverse("enterprises:create"), form_data(danang))
    assert response.status_code == 400
    assert existing.get_absolute_url() in response.content.decode()
    assert Enterprise.objects.count() == 1


def test_duplicate_tax_code_in_another_province_names_it_without_a_link(client_for, danang, hanoi):
    existing = EnterpriseFactory(tax_code="0100233488", unit=hanoi)
    response = client_for("province").post(reverse("enterprises:create"), form_data(danang))
    content = response.content.decode()
    assert response.status_code == 400
    assert existing.get_absolute_url() not in content
    assert "Hà Nội" in content


def test_ceased_unit_is_refused_with_its_successor_named(client_for):
    long_an = AdministrativeUnit.objects.get(generation=63, code="80")
    client = client_for("ministry")
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.post(reverse("enterprises:create"), form_data(long_an))
    assert response.status_code == 400
    error = " ".join(response.context["form"].errors["unit"])
    assert "Long An" in error and "Tay Ninh" in error
    assert not Enterprise.objects.exists()


def test_province_officer_cannot_create_in_another_province(client_for, hanoi):
    response = client_for("province").post(reverse("enterprises:create"), form_data(hanoi))
    assert response.status_code == 400
    assert not Enterprise.objects.exists()


def test_unit_choices_are_limited_to_the_officers_unit(client_for, danang):
    form = client_for("province").get(reverse("enterprises:create")).context["form"]
    assert [value for value, _ in form.fields["unit"].choices if value] == [danang.pk]
    form = client_for("ministry").get(reverse("enterprises:create")).context["form"]
    assert len([v for v, _ in form.fields["unit"].choices if v]) == 34


@pytest.mark.parametrize("field, value", [("capacity", "-5"), ("employees", "-1")])
def test_negative_figures_are_refused(client_for, danang, field, value):
    response = client_for("province").post(reverse("enterprises:create"), form_data(danang, **{field: value}))
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not Enterprise.objects.exists()


def test_province_officer_edits_own_enterprise_but_not_another(client_for, danang, hanoi):
    own = EnterpriseFactory(unit=danang)
    other = EnterpriseFactory(unit=hanoi)
    client = client_for("province")
    data = form_data(danang, tax_code=own.tax_code, name="Tên mới")
    assert client.post(reverse("enterprises:edit", args=[own.pk]), data).status_code == 302
    own.refresh_from_db()
    assert own.name == "Tên mới"
    data = form_data(danang, tax_code=other.tax_code, name="Chiếm quyền")
    assert client.post(reverse("enterprises:edit", args=[other.pk]), data).status_code == 404
    other.refresh_from_db()
    assert other.name != "Chiếm quyền" and other.unit == hanoi


def test_province_officer_cannot_move_own_enterprise_to_another_province(client_for, danang, hanoi):
    own = EnterpriseFactory(unit=danang)
    data = form_data(hanoi, tax_code=own.tax_code)
    response = client_for("province").post(reverse("enterprises:edit", args=[own.pk]), data)
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.unit == danang


def test_names_are_stored_nfc(client_for, danang):
    decomposed = "Công ty Dệt Hà Nội".encode().decode()
    import unicodedata

    client_for("province").post(
        reverse("enterprises:create"), form_data(danang, name=unicodedata.normalize("NFD", decomposed))
    )
    assert Enterprise.objects.get().name == unicodedata.normalize("NFC", decomposed)


def test_list_search_and_filters(client_for, danang):
    EnterpriseFactory(name="Công ty Dệt Hà Nội", unit=danang, sector=Sector.objects.get(code="13"))
    EnterpriseFactory(name="Công ty Giấy Đà Nẵng", unit=danang, sector=Sector.objects.get(code="17"))
    client = client_for("province")
    rows = client.get(reverse("enterprises:list"), {"q": "ha noi"}).context["page"].rows
    assert [e.name for e in rows] == ["Công ty Dệt Hà Nội"]
    rows = (
        client.get(reverse("enterprises:list"), {"sector": Sector.objects.get(code="17").pk})
        .context["page"]
        .rows
    )
    assert [e.name for e in rows] == ["Công ty Giấy Đà Nẵng"]


@pytest.mark.parametrize("n", [10, 100])
def test_enterprise_list_costs_the_same_queries_for_any_page_size(
    client_for, danang, django_assert_max_num_queries, n, monkeypatch
):
    from enterprises import views

    EnterpriseFactory.create_batch(n, unit=danang)
    monkeypatch.setattr(views, "PAGE_SIZE", n)
    client = client_for("ministry")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("enterprises:list"))
    assert len(response.context["page"].rows) == n
    with django_assert_max_num_queries(6):
        response = client.get(reverse("enterprises:list"), {"page": "last", "q": "công ty"})
    assert len(response.context["page"].rows) == n


def test_list_says_which_rows_it_shows_and_never_links_to_a_missing_page(client_for, danang):
    EnterpriseFactory.create_batch(3, unit=danang)
    client = client_for("province")
    client.post("/i18n/setlang/", {"language": "en"})
    content = client.get(reverse("enterprises:list")).content.decode()
    assert "Rows 1–3 of 3" in content
    assert "None" not in content


def test_lookup_offers_to_register_an_unknown_tax_code(client_for):
    content = client_for("province").get(reverse("enterprises:lookup"), {"tax_code": "0100233488"}).content
    assert b"/enterprises/new/?tax_code=0100233488" in content
    form = client_for("province").get("/enterprises/new/?tax_code=0100233488").context["form"]
    assert form["tax_code"].value() == "0100233488"
