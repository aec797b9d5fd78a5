#!/bin/sh
# bench.sh -- `make bench`: e2lua against e2fsck -E bmap2extent and debugfs
# on large images made once under build/bench/.  What it runs and why:
# tests/bench/bench.py; the figures: doc/bench.md.  BENCH_RUNS=N sets the
# runs per measurement (median; default 3).
exec python3 "$(dirname "$0")/bench.py" "$@"
