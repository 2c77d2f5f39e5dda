"""examples/submit_assessment.py against a live portal: creates, submits for review, replays
without a duplicate, and prints every error of a broken payload."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessments.models import Assessment
from enterprises.models import CentreAPIKey

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "submit_assessment.py"


def run(live_server, key, *args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", live_server.url, "--lang", "en", *args],
        env={**os.environ, "SXSH_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_example_creates_submits_and_replays(live_server, centre):
    _, key = CentreAPIKey.objects.create_key(name="example", centre=centre)
    first = run(live_server, key)
    assert first.returncode == 0, first.stderr
    assert "Created assessment" in first.stdout and "Submitted for review." in first.stdout
    assert "Status now: submitted" in first.stdout
    assessment = Assessment.objects.get()
    assert assessment.status == "submitted" and assessment.external_id == "EXAMPLE-2024-001"

    again = run(live_server, key)
    assert again.returncode == 0, again.stderr
    assert "replay" in again.stdout and "Status now: submitted" in again.stdout
    assert Assessment.objects.count() == 1

    draft = run(live_server, key, "--external-id", "EXAMPLE-2024-002", "--no-submit")
    assert draft.returncode == 0 and "Submitted" not in draft.stdout
    assert Assessment.objects.get(external_id="EXAMPLE-2024-002").status == "draft"

    broken = run(live_server, key, "--external-id", "EXAMPLE-2024-003", "--broken")
    assert broken.returncode == 1
    assert "Rejected: HTTP 400" in broken.stderr
    # Every error of the broken payload in the one answer, each at its path.
    for attr in (
        "options[1].category",
        "enterprise.tax_code",
        "start_date",
        "end_date",
        "options[0].investment_vnd",
    ):
        assert f"  {attr}: " in broken.stderr, (attr, broken.stderr)
    assert not Assessment.objects.filter(external_id="EXAMPLE-2024-003").exists()
