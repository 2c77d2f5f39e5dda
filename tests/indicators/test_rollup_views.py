import pytest
from django.urls import reverse

from indicators.models import RollupRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected"), [("ministry", 200), ("province", 403), ("centre", 403), (None, 302)]
)
def test_runs_page_is_for_the_ministry(client_for, role, expected):
    assert client_for(role).get(reverse("indicators_runs:list")).status_code == expected
    post = client_for(role).post(reverse("indicators_runs:run_now"))
    assert post.status_code == (302 if role in ("ministry", None) else 403)
    assert RollupRun.objects.exists() == (role == "ministry")


def test_run_now_runs_and_the_list_shows_it(
    client_for, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    c = client_for("ministry")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        c.post(reverse("indicators_runs:run_now"))
        c.post(reverse("indicators_runs:run_now"))  # a full run already queued: no second one
    assert RollupRun.objects.count() == 1 and len(callbacks) == 1
    for _ in range(20):
        RollupRun.objects.create(trigger="approval", scope={"units": [1]}, status="done", rows_written=1234)
    with django_assert_max_num_queries(8):
        page = c.get(reverse("indicators_runs:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "hx-get" in html and 'action="/indicators/runs/run-now/"' in html
    run = RollupRun.objects.filter(status="queued").get()
    partial = c.get(reverse("indicators_runs:progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and f'id="run-{run.pk}"' in partial.content.decode()
    assert 'role="progressbar"' in partial.content.decode()
    # Opened directly (a bookmarked or shared address), not a bare table row: the list at that row.
    direct = c.get(reverse("indicators_runs:progress", args=[run.pk]))
    assert direct.status_code == 302 and direct["Location"] == f"/indicators/runs/#run-{run.pk}"
    assert client_for("province").get(reverse("indicators_runs:progress", args=[run.pk])).status_code == 403
