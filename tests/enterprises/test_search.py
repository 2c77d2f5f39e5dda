import pytest

from enterprises.models import Enterprise
from enterprises.selectors import search_enterprises
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named():
    return {
        "hanoi": EnterpriseFactory(name="Công ty Cổ phần Dệt may Hà Nội", tax_code="0100233488"),
        "danang": EnterpriseFactory(name="Công ty TNHH Thép Đà Nẵng"),
        "branch": EnterpriseFactory(name="Chi nhánh Bia Sài Gòn", tax_code="0100233488001"),
    }


def names(query):
    return set(search_enterprises(Enterprise.objects.all(), query).values_list("name", flat=True))


@pytest.mark.parametrize("query", ["Ha Noi", "Hà Nội", "ha noi", "HÀ NỘI", "det may ha"])
def test_search_ignores_case_and_diacritics(named, query):
    assert named["hanoi"].name in names(query)
    assert named["danang"].name not in names(query)


def test_search_folds_d_with_stroke(named):
    assert names("Da Nang") == {named["danang"].name}
    assert names("đà nẵng") == {named["danang"].name}


@pytest.mark.parametrize("query", ["0100233488-001", "0100233488001", "0100233488 001"])
def test_search_finds_a_branch_with_or_without_its_dash(named, query):
    assert names(query) == {named["branch"].name}


def test_search_by_tax_code_prefix_finds_head_office_and_branch(named):
    assert names("0100233488") == {named["hanoi"].name, named["branch"].name}


def test_search_treats_like_wildcards_literally(named):
    assert names("%") == set()
    assert names("_") == set()
