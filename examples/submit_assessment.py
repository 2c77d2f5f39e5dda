#!/usr/bin/env python3
"""Submit one cleaner-production assessment to the SXSH Portal partner API (/api/v1/).

Standard library only (Python 3.11+). Copy it and adapt build_payload() to your own system.

    export SXSH_API_KEY='<prefix>.<secret>'    # given once by the portal administrator
    python3 submit_assessment.py                 # build the example payload and submit it
    python3 submit_assessment.py --file payload.json --lang en
    python3 submit_assessment.py --broken        # see how validation errors are reported
    python3 submit_assessment.py --no-submit     # create (or find) it, but leave it as a draft

After creating the assessment (a draft), the client submits it for the ministry's review with
POST /api/v1/assessments/{id}/submit/ (its own Idempotency-Key) and prints its status.

Exit codes: 0 created / replayed / already exists (and submitted, or already under review),
1 rejected (4xx), 2 gave up (network or 5xx).
"""

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

MAX_ATTEMPTS = 5


def build_payload(external_id: str, broken: bool = False) -> dict:
    """A quick assessment. The enterprise is found by tax code; name, unit (one of the 34 current
    province codes) and sector (VSIC 2018 division) are only used if it is not registered yet."""
    payload = {
        "external_id": external_id,  # YOUR reference: unique per centre, never changes
        "kind": "quick",
        "funding_level": "central",
        "funding_source": "National industrial extension programme 2024",
        "enterprise": {
            "tax_code": "0100233488",
            "name": "Công ty CP Giấy Sông Lam",
            "unit": "48",
            "sector": "17",
        },
        "start_date": "2024-03-04",
        "end_date": "2024-03-08",
        "report_date": "2024-03-20",
        "focus": "Pulping and paper machine PM2",
        "production_volume": "12500",
        "production_unit": "t paper",
        "detailed_advised": True,
        "baseline": [
            {"resource": "electricity_kwh", "quantity_per_year": "8400000", "per_unit_product": "672"}
        ],
        "options": [
            # payback_years, energy_toe and co2e_tonnes are computed by the portal: never send them.
            {
                "number": 1,
                "category": "housekeeping",
                "description": "Repair steam and compressed-air leaks",
                "status": "implemented",
                "implemented_on": "2024-04-15",
                "investment_vnd": 15000000,
                "annual_savings_vnd": 120000000,
                "electricity_kwh": "45000",
            },
            {
                "number": 2,
                "category": "equipment",
                "description": "Variable-speed drives on pulper pumps",
                "status": "proposed",
                "investment_vnd": 850000000,
                "annual_savings_vnd": 310000000,
                "electricity_kwh": "160000",
            },
        ],
    }
    # Deliberately wrong, to show how errors are listed with their field paths: all five come in one
    # answer (the unknown category, the tax code's check digit, the dates, the negative amount).
    if broken:
        payload["enterprise"]["tax_code"] = "0100233480"  # wrong check digit
        payload["start_date"] = "2099-01-01"  # in the future
        payload["end_date"] = "2099-01-05"
        payload["options"][0]["investment_vnd"] = -5000000  # negative
        payload["options"][1]["category"] = "magic"  # unknown category
    return payload


def idempotency_key(base_url: str, external_id: str, body: bytes) -> str:
    """Stable for retries of the SAME submission (same body), new when the body changes.
    Keep it with your record if you want to retry later (the portal remembers it for 24 h)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, base_url + external_id + hashlib.sha256(body).hexdigest()))


def get(url: str, headers: dict) -> dict:
    request = urllib.request.Request(url, headers=headers, method="GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def post(url: str, body: bytes, headers: dict):
    """POST with retries on network errors, 429, 5xx and "still in flight" 409: exponential backoff
    (1, 2, 4, 8 s) or the server's Retry-After. Returns (status, headers, parsed JSON body)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:  # 4xx/5xx: the body is the portal's error format
            status, answer_headers, raw = error.code, error.headers, error.read()
            in_flight = status == 409 and b"idempotency_key_in_flight" in raw  # first try still running
            if status != 429 and status < 500 and not in_flight:
                return status, answer_headers, json.loads(raw or b"null")
            reason, retry_after = f"HTTP {status}", answer_headers.get("Retry-After")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason, retry_after = f"network error: {error}", None
        if attempt == MAX_ATTEMPTS:
            print(
                f"Giving up after {attempt} attempts ({reason}). Retrying later is safe: same key.",
                file=sys.stderr,
            )
            sys.exit(2)
        delay = 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            delay = min(int(retry_after), 60)
        print(f"Attempt {attempt} failed ({reason}); retrying in {delay}s", file=sys.stderr)
        time.sleep(delay)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--file", help="send this JSON payload instead of the built-in example")
    parser.add_argument("--external-id", default="EXAMPLE-2024-001", help="your reference for the example")
    parser.add_argument("--broken", action="store_true", help="send a deliberately invalid payload")
    parser.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of error messages")
    parser.add_argument("--no-submit", action="store_true", help="create it but do not submit it for review")
    args = parser.parse_args()

    api_key = os.environ.get("SXSH_API_KEY")
    if not api_key:
        sys.exit("Set SXSH_API_KEY to your centre's API key.")
    base_url = args.base_url.rstrip("/")
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            payload = json.load(f)
    else:
        payload = build_payload(args.external_id, broken=args.broken)

    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    key = idempotency_key(base_url, payload["external_id"], body)
    status, headers, answer = post(
        f"{base_url}/api/v1/assessments/",
        body,
        {
            "Authorization": f"Api-Key {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": args.lang,
            "Idempotency-Key": key,
        },
    )

    location = headers.get("Location", "")
    if status == 201:
        location = location or f"/api/v1/assessments/{answer['id']}/"  # a replay carries no Location
        replayed = headers.get("Idempotent-Replayed") == "true"
        note = " (replay: already submitted with this key, nothing was duplicated)" if replayed else ""
        print(f"Created assessment {answer['id']} at {base_url}{location}{note}")
    elif status == 409 and location:  # this external_id already exists: update it with PATCH instead
        print(f"Assessment {payload['external_id']} already exists at {base_url}{location}")
    else:
        print_errors(status, answer)
        return 1
    if args.no_submit:
        return 0
    return submit_for_review(base_url, location, key, auth_headers(api_key, args.lang))


def auth_headers(api_key: str, lang: str) -> dict:
    return {"Authorization": f"Api-Key {api_key}", "Accept": "application/json", "Accept-Language": lang}


def print_errors(status: int, answer) -> None:
    errors = (answer or {}).get("errors", []) if isinstance(answer, dict) else []
    print(f"Rejected: HTTP {status} ({(answer or {}).get('type', 'unknown')})", file=sys.stderr)
    for error in errors:  # every error, with its field path, e.g. options[1].category
        print(f"  {error.get('attr') or '(whole request)'}: {error.get('detail')}", file=sys.stderr)


def submit_for_review(base_url: str, location: str, create_key: str, headers: dict) -> int:
    """POST …/submit/: the draft goes to the ministry. Its own Idempotency-Key, derived from the
    creation's, so that a retry (or a second run of the same submission) replays instead of
    submitting twice. Then read the assessment back and print its status."""
    url = f"{base_url}{location}submit/"
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{create_key}:submit"))
    status, _headers, answer = post(url, b"", {**headers, "Idempotency-Key": key})
    errors = (answer or {}).get("errors", []) if isinstance(answer, dict) else []
    if status == 200:
        note = " (replay)" if _headers.get("Idempotent-Replayed") == "true" else ""
        print(f"Submitted for review{note}.")
    elif status == 409 and any(e.get("code") == "invalid_state" for e in errors):
        print(f"Not submitted again: {errors[0].get('detail')}")
    else:
        print_errors(status, answer)
        return 1
    current = get(f"{base_url}{location}", headers)
    line = f"Status now: {current['status']}"
    if current.get("submitted_at"):
        line += f" (submitted at {current['submitted_at']})"
    if current.get("return_reason"):
        line += f"; returned because: {current['return_reason']}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
