"""The dashboards' JSON kept in the cache while the published values stay the same.

Every figure in it comes from the published run, so a key names the published state (the run, its
layers, when it was published): a new publication changes the key and the next request computes
afresh, with no invalidation to forget. The key also names what may differ between readers of the
same state: the reader's scope (role and unit), the language, and the request's own parameters.
A short time-to-live bounds what an edit of the catalogue (names, targets) takes to show. Access
checks run before the cache is read, so a reader only ever gets an answer built for its scope.
"""

import hashlib
import json
from collections.abc import Callable

from django.core.cache import cache
from django.utils.translation import get_language

from .models import PublishedRun

TTL_SECONDS = 60


def published_state() -> str:
    row = PublishedRun.objects.filter(pk=1).values_list("run_id", "layers", "published_at").first()
    if row is None:
        return "none"
    run_id, layers, published_at = row
    return f"{run_id}:{'-'.join(map(str, layers or []))}:{published_at.isoformat()}"


def cached_json(kind: str, user, params: dict, build: Callable[[], dict]) -> dict:
    """``build()`` once per published state, reader scope, language and parameters."""
    scope = f"{getattr(user, 'role', '')}:{getattr(user, 'unit_id', '')}"
    raw = json.dumps([kind, published_state(), scope, get_language(), params], sort_keys=True, default=str)
    key = "sxsh:dash:" + hashlib.sha256(raw.encode()).hexdigest()
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, TTL_SECONDS)
    return data
