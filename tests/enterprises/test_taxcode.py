import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.vn import mst

from enterprises.taxcode import clean_tax_code, format_tax_code


@pytest.mark.parametrize(
    "raw, compact",
    [
        ("0100233488", "0100233488"),  # a real, published tax code
        ("0100233488-001", "0100233488001"),  # a branch, written with its dash
        ("0100233488001", "0100233488001"),
        (" 0100 233 488 ", "0100233488"),
    ],
)
def test_valid_tax_codes_are_compacted(raw, compact):
    assert clean_tax_code(raw) == compact


@pytest.mark.parametrize(
    "raw, code",
    [
        ("0100233480", "tax_code_checksum"),  # wrong check digit
        ("010023348", "tax_code_length"),
        ("01002334880011", "tax_code_length"),
        ("01002A3488", "tax_code_format"),
        ("", "required"),
    ],
)
def test_invalid_tax_codes_name_the_problem(raw, code):
    with pytest.raises(ValidationError) as exc:
        clean_tax_code(raw)
    assert exc.value.code == code
    if raw:
        assert raw.strip() in exc.value.messages[0]


def test_format_adds_the_branch_dash():
    assert format_tax_code("0100233488001") == "0100233488-001"
    assert format_tax_code("0100233488") == "0100233488"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_is_accepted(body):
    accepted = []
    for digit in "0123456789":
        try:
            clean_tax_code(body + digit)
            accepted.append(digit)
        except ValidationError:
            pass
    expected = mst.calc_check_digit(body)
    valid_body = body[2:9] != "0000000"  # an all-zero serial is no tax code, whatever the check digit
    assert accepted == ([expected] if len(expected) == 1 and valid_body else [])
