#!/usr/bin/env bash
# Every benchmark at a tiny size (--smoke: a few hundred rows, one run, fresh databases made from
# templates), so that none stops working unnoticed; the figures mean nothing and are not judged.
# `make bench-smoke`; CI runs it after the tests. Uses DATABASE_URL (else the embedded PostgreSQL)
# and REDIS_URL (bench/freshness.py needs it: without it that one is skipped, or fails under CI).
# Each benchmark's output goes to a log, shown when it fails. Exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1
# Every bench/*.py but harness.py (shared code) and locustfile.py (load.py runs it); a test checks
# that none is missing. rollup_dashboard.py reads what rollup.py rolled up: keep it after.
BENCHMARKS=(enterprise_list assessment_import export api rollup rollup_dashboard dashboard workbook load freshness)
logs="${BENCH_SMOKE_LOGS:-test-artifacts/bench-smoke}"
mkdir -p "$logs"
failed=()
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
begin=$(now)

start=$(now)
if .venv/bin/python bench/harness.py smoke-templates > "$logs/templates.log" 2>&1; then
  printf '  %-30s %-6s %6s s\n' "templates (schema, demo)" ok "$(since "$start")"
else
  printf '  %-30s %-6s %6s s\n' "templates (schema, demo)" FAILED "$(since "$start")"
  tail -n 40 "$logs/templates.log" | sed 's/^/    /'
  exit 1
fi
for name in "${BENCHMARKS[@]}"; do
  if [ "$name" = freshness ] && [ -z "${REDIS_URL:-}" ]; then
    if [ -n "${CI:-}" ]; then
      echo "  bench/freshness.py needs REDIS_URL"; failed+=(freshness)
    else
      echo "  bench/freshness.py skipped: it needs REDIS_URL"
    fi
    continue
  fi
  start=$(now)
  if timeout 300 .venv/bin/python "bench/$name.py" --smoke > "$logs/$name.log" 2>&1; then
    printf '  %-30s %-6s %6s s\n' "bench/$name.py" ok "$(since "$start")"
  else
    printf '  %-30s %-6s %6s s\n' "bench/$name.py" FAILED "$(since "$start")"
    tail -n 40 "$logs/$name.log" | sed 's/^/    /'
    failed+=("$name")
  fi
done
echo "benchmark smoke run: $(since "$begin") s in all; logs in $logs"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}"
  exit 1
fi
