"""The Excel upload of events and communication products: row errors, all or nothing."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from reporting.activities import importers
from reporting.models import CommunicationProduct, Event

pytestmark = pytest.mark.django_db

EVENT_HEADER = [c.header for c in importers.EVENTS.sheet.columns]


def workbook(rows, header=None, sheet="Events") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header or EVENT_HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_row(title="Tập huấn SXSH", date="15/09/2025", unit="48"):
    # unit, kind, date, title, place, organiser, enterprise, official, other, reached, funding
    return [unit, "training", date, title, "Hội An", "Sở Công Thương", 40, 10, 5, 30, "local"]


def upload(client, data, what="events", name="su-kien.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/activities/import/{what}/", {"file": SimpleUploadedFile(name, data)})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_template_has_the_sheet_headers_and_drop_downs(client_for, danang):
    response = client_for("province").get("/activities/import/events/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["Events"]
    assert [c.value for c in ws[1]] == EVENT_HEADER
    assert ws.data_validations.dataValidation, "drop-down lists for codes and kinds"
    assert "Lists" in wb.sheetnames


def test_broken_file_lists_every_row_error_and_saves_nothing(client_for, danang):
    rows = [
        good_row(),  # row 2: fine
        good_row(date="31/02/2025"),  # row 3: not a date
        good_row(unit="01"),  # row 4: not the officer's province
        good_row(date="01/01/2031"),  # row 5: in the future
        ["48", "Hội chợ", "10/10/2025", "Sự kiện", "", "", 5, 0, 0, 1, ""],  # row 6: unknown kind
        ["48", "training", "10/10/2025", "Tập huấn", "", "", 5, 0, 0, 6, ""],  # row 7: reached > participants
        ["48", "training", "10/10/2025", "Tập huấn", "", "", 12.5, 0, 0, 1, ""],  # row 8: not whole
        ["48", "training", "10/10/2025", "", "", "", 5, 0, 0, 1, ""],  # row 9: title missing
        ["80", "training", "10/10/2024", "Tập huấn", "", "", 5, 0, 0, 1, ""],  # row 10: not own unit
    ]
    response = upload(client_for("province"), workbook(rows))
    assert response.status_code == 400
    errors = response.context["checked"].errors
    by_row = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(e)
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10}
    date_error = by_row[3][0]
    assert date_error.column == importers.EVENTS.sheet.column("date").label
    assert "31/02/2025" in date_error.message
    assert "01" in by_row[4][0].message
    assert "Hội chợ" in by_row[6][0].message
    assert "12.5" in by_row[8][0].message
    html = response.content.decode()
    assert "31/02/2025" in html
    assert not Event.objects.exists()


def test_fixed_file_is_previewed_then_saved_in_one_go(client_for, danang):
    client = client_for("province")
    rows = [good_row(title=f"Tập huấn {i}") for i in range(5)] + [good_row(date="2025-10-02")]
    response = upload(client, workbook(rows))
    assert response.status_code == 200
    checked = response.context["checked"]
    assert checked.ok and len(checked.rows) == 6
    assert not Event.objects.exists()  # nothing before the confirmation
    confirm = client.post("/activities/import/events/", {"token": response.context["token"]})
    assert confirm.status_code == 302
    events = Event.objects.order_by("id")
    assert events.count() == 6
    assert {e.unit_id for e in events} == {danang.pk}
    assert sum(e.participants_total for e in events) == 6 * 55
    # the stored file is gone: confirming twice does not import twice
    client.post("/activities/import/events/", {"token": response.context["token"]})
    assert Event.objects.count() == 6


def test_a_token_is_bound_to_its_user(client_for, users, danang):
    response = upload(client_for("province"), workbook([good_row()]))
    stolen = client_for("ministry").post("/activities/import/events/", {"token": response.context["token"]})
    assert stolen.status_code == 403
    assert not Event.objects.exists()


def test_confirm_checks_the_file_again(client_for, users, danang):
    """Rows valid at preview time but not at confirmation (the officer moved province) save nothing."""
    from tests.factories import unit

    client = client_for("province")
    response = upload(client, workbook([good_row(), good_row(title="Khác")]))
    users["province"].unit = unit("01")
    users["province"].save()
    confirm = client.post("/activities/import/events/", {"token": response.context["token"]})
    assert confirm.status_code == 400
    assert not Event.objects.exists()


def test_missing_column_and_wrong_file_are_reported(client_for, danang):
    client = client_for("province")
    header = [h for h in EVENT_HEADER if not h.startswith("Ngày")]
    response = upload(client, workbook([good_row()[:2] + good_row()[3:]], header=header))
    assert response.status_code == 400
    assert any("Ngày" in e.message and e.row == 1 for e in response.context["checked"].errors)
    response = upload(client, b"not a workbook", name="su-kien.csv")
    assert response.status_code == 400
    assert response.context["file_error"]


def test_communication_products_import(client_for, danang):
    client = client_for("province")
    header = [c.header for c in importers.PRODUCTS.sheet.columns]
    data = workbook(
        [["48", "article", "01/08/2025", "Bài báo", 3], ["48", "video", "02/08/2025", "Video", 0]],
        header=header,
        sheet="Communication",
    )
    response = upload(client, data, what="products")
    assert response.status_code == 400
    assert [e.row for e in response.context["checked"].errors] == [3]
    assert not CommunicationProduct.objects.exists()
    data = workbook([["48", "article", "01/08/2025", "Bài báo", 3]], header=header, sheet="Communication")
    response = upload(client, data, what="products")
    client.post("/activities/import/products/", {"token": response.context["token"]})
    assert CommunicationProduct.objects.get().count == 3


def test_ministry_imports_for_any_current_unit(client_for, danang, hanoi):
    client = client_for("ministry")
    response = upload(client, workbook([good_row(unit="48"), good_row(unit="01")]))
    client.post("/activities/import/events/", {"token": response.context["token"]})
    assert set(Event.objects.values_list("unit__code", flat=True)) == {"48", "01"}


def _unreadable_events():
    from tests.assessments.test_import import damaged, hostile, with_shared_strings

    good = workbook([good_row()])
    return {
        "entity-in-the-sheet": hostile(good, "xl/worksheets/sheet1.xml", use="Hội An"),
        "entity-in-shared-strings": hostile(with_shared_strings(good), "xl/sharedStrings.xml", use="Hội An"),
        "entity-declared-in-workbook": hostile(good, "xl/workbook.xml"),
        "damaged-sheet-stream": damaged(good, "xl/worksheets/sheet1.xml"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "entity-in-the-sheet",
        "entity-in-shared-strings",
        "entity-declared-in-workbook",
        "damaged-sheet-stream",
    ],
)
def test_a_workbook_no_reader_can_read_is_refused_and_nothing_is_kept(case, client_for, danang, tmp_path):
    from django.conf import settings

    from tests.assessments.test_import import COULD_NOT_BE_READ, stored_files

    data = _unreadable_events()[case]
    for language, words in COULD_NOT_BE_READ.items():
        client = client_for("province")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = upload(client, data)
        assert response.status_code == 400
        assert words in response.context["file_error"] and words in response.content.decode()
        assert not response.context.get("token")
    assert stored_files(tmp_path) == [] and not Event.objects.exists()


def test_a_stored_file_that_cannot_be_read_at_the_confirmation_is_refused_and_removed(
    client_for, users, danang, tmp_path
):
    """The file behind a preview's token is read again at the confirmation: unreadable now, it is
    refused with the message and removed, and nothing is saved."""
    from django.core import signing
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from reporting.activities.views import IMPORT_SALT
    from tests.assessments.test_import import COULD_NOT_BE_READ

    path = default_storage.save(
        "imports/activities/stored.xlsx", ContentFile(_unreadable_events()["entity-in-the-sheet"])
    )
    token = signing.dumps(
        {"path": path, "user": users["province"].pk, "what": "events", "name": "su-kien.xlsx"},
        salt=IMPORT_SALT,
    )
    response = client_for("province").post("/activities/import/events/", {"token": token})
    assert response.status_code == 400
    assert COULD_NOT_BE_READ["vi"] in response.content.decode()
    assert not default_storage.exists(path) and not Event.objects.exists()
