#!/usr/bin/env bash
# Run every benchmark and write docs/PERFORMANCE.md from their sections (make bench).
# Usage: bench/run_all.sh [N]   (N rows for each benchmark; default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
tmp="$(mktemp -d)"
export DEBUG=1
.venv/bin/python bench/enterprise_list.py --n "$n" --out "$tmp/1.md"
.venv/bin/python bench/assessment_import.py --n "$n" --out "$tmp/2.md"
.venv/bin/python bench/export.py --n "$n" --repeat 3 --out "$tmp/3.md"
.venv/bin/python bench/api.py --n 1000 --requests 400 --out "$tmp/4.md"
.venv/bin/python bench/rollup.py --n "$n" --repeat 3 --out "$tmp/5.md"
.venv/bin/python bench/dashboard.py --many 1000000 --out "$tmp/6.md"
.venv/bin/python bench/load.py --out "$tmp/7.md"
.venv/bin/python bench/workbook.py --repeat 3 --out "$tmp/8.md"
# freshness needs Redis and a worker (it starts one): only where REDIS_URL is set
if [ -n "${REDIS_URL:-}" ]; then .venv/bin/python bench/freshness.py --n "$n" --out "$tmp/9.md"; else : > "$tmp/9.md"; fi
{
  echo "# Performance"
  echo
  echo "Written by \`bench/run_all.sh $n\` (\`make bench\`) on $(date -u +%Y-%m-%d); medians of repeated runs on the"
  echo "development machine (2 cores). Absolute times vary with the machine and its load; the ratios,"
  echo "measured within one run, are what the goals are about."
  echo
  for f in "$tmp"/1.md "$tmp"/2.md "$tmp"/3.md "$tmp"/4.md "$tmp"/5.md "$tmp"/6.md "$tmp"/7.md "$tmp"/8.md "$tmp"/9.md; do sed '/^# Performance$/d' "$f"; echo; done
} > docs/PERFORMANCE.md
rm -rf "$tmp"
echo "wrote docs/PERFORMANCE.md"
