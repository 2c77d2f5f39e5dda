"""Parameters for the notifications made before they were kept, from what they were made of: the
report's or period's year, the reason as it was written in the body, the deadline as it was written
in the subject (else the period's), so that they too are said in the reader's language."""

import datetime
import re

from django.db import migrations

REPORT_KINDS = ("submitted", "resubmitted", "returned", "approved", "reopened")
REMINDER_KINDS = ("reminder", "overdue")
DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
REASON_PREFIX = "Lý do: "


def backfill(apps, schema_editor):
    Notification = apps.get_model("reporting", "Notification")
    changed = []
    rows = Notification.objects.filter(params={}).select_related("report__period", "period")
    for n in rows.iterator(chunk_size=2000):
        if n.kind in REPORT_KINDS and n.report_id:
            reason = ""
            if n.kind in ("returned", "reopened") and n.body.startswith(REASON_PREFIX):
                reason = n.body[len(REASON_PREFIX) :]
            n.params = {"year": n.report.period.year, "reason": reason}
        elif n.kind in REMINDER_KINDS and n.period_id:
            found = DATE.search(n.subject)
            deadline = (
                datetime.date(int(found[3]), int(found[2]), int(found[1])) if found else n.period.deadline
            )
            n.params = {"year": n.period.year, "deadline": deadline.isoformat()}
        else:
            continue
        changed.append(n)
        if len(changed) >= 2000:
            Notification.objects.bulk_update(changed, ["params"])
            changed = []
    Notification.objects.bulk_update(changed, ["params"])


class Migration(migrations.Migration):
    dependencies = [("reporting", "0006_notification_params")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
