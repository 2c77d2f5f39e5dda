import datetime

import pghistory
import pytest

from assessments.models import Assessment, AssessmentEvent
from common.bulk import copy_insert
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_copy_insert_keeps_text_order_defaults_and_writes_the_audit_trail(users, danang, centre):
    enterprise = EnterpriseFactory(unit=danang)
    tricky = ["tab\there", "line\nbreak", "back\\slash", "Đà Nẵng \\N", ""]
    objects = [
        Assessment(
            kind="quick",
            enterprise=enterprise,
            centre=centre,
            funding_level="central",
            start_date=datetime.date(2024, 1, 1),
            external_id=f"X-{i}",
            focus=text,
        )
        for i, text in enumerate(tricky)
    ]
    with pghistory.context(user=users["centre"].pk, source="upload"):
        ids = copy_insert(objects, returning="id")
    stored = {a.pk: a for a in Assessment.objects.filter(pk__in=ids)}
    assert [stored[pk].external_id for pk in ids] == [f"X-{i}" for i in range(len(tricky))]
    assert [stored[pk].focus for pk in ids] == tricky
    first = stored[ids[0]]
    assert first.status == "draft" and first.demonstration_model is False and first.created_at is not None
    assert first.end_date is None
    events = AssessmentEvent.objects.filter(pgh_obj_id__in=ids)
    assert events.count() == len(tricky)
    assert all(
        e.pgh_context["source"] == "upload" and e.pgh_context["user"] == users["centre"].pk for e in events
    )
