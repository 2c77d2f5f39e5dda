#!/usr/bin/env bash
# Run every benchmark at full size and gather their Markdown sections in one file (make bench).
# Usage: bench/run_all.sh [N] [OUT]   (N rows for each benchmark, default 100000; OUT, default
# test-artifacts/performance.md). docs/PERFORMANCE.md is kept by hand: copy the sections you
# measured into it with what they mean. bench/smoke.sh runs the same benchmarks at a tiny size.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
out="${2:-test-artifacts/performance.md}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export DEBUG=1
.venv/bin/python bench/enterprise_list.py --n "$n" --out "$tmp/1.md"
.venv/bin/python bench/assessment_import.py --n "$n" --out "$tmp/2.md"
.venv/bin/python bench/export.py --n "$n" --repeat 3 --out "$tmp/3.md"
.venv/bin/python bench/api.py --n 1000 --requests 400 --out "$tmp/4.md"
.venv/bin/python bench/rollup.py --n "$n" --repeat 3 --out "$tmp/5.md"
.venv/bin/python bench/rollup_dashboard.py --out "$tmp/6.md"
.venv/bin/python bench/dashboard.py --many 1000000 --out "$tmp/7.md"
.venv/bin/python bench/load.py --out "$tmp/8.md"
.venv/bin/python bench/workbook.py --repeat 3 --out "$tmp/9.md"
# freshness needs Redis and a worker (it starts one): only where REDIS_URL is set
if [ -n "${REDIS_URL:-}" ]; then .venv/bin/python bench/freshness.py --n "$n" --out "$tmp/10.md"; else : > "$tmp/10.md"; fi
mkdir -p "$(dirname "$out")"
{
  echo "# Performance"
  echo
  echo "Written by \`bench/run_all.sh $n\` (\`make bench\`) on $(date -u +%Y-%m-%d); medians of repeated runs on"
  echo "$(nproc) cores. Absolute times vary with the machine and its load; the ratios, measured within one"
  echo "run, are what the goals are about."
  echo
  for i in 1 2 3 4 5 6 7 8 9 10; do cat "$tmp/$i.md"; echo; done
} > "$out"
echo "wrote $out"
