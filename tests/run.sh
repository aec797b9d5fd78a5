#!/bin/sh
# run.sh -- run the test suite and print "N passed, N failed, N skipped".
#   tests/run.sh             every test
#   tests/run.sh PATTERN...  tests whose name contains a PATTERN
# A test is an executable in build/tests/ (C unit tests), a tests/t_*.sh
# script, or a tests/lua/*_spec.lua file (run by tests/lua/run_spec.sh).
# Exit status 0 passes, 77 skips, anything else fails.  Each test's output
# goes to build/test-logs/NAME.log and is shown when it fails.
cd "$(dirname "$0")/.." || exit 2
# Under make check SANITIZE=1: libext2fs's own leaks are not ours.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
logs=build/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0 failed=""

wanted() {
	[ $# -eq 1 ] && return 0
	name=$1; shift
	for p in "$@"; do case $name in *"$p"*) return 0 ;; esac; done
	return 1
}

run_one() {	# name command...
	name=$1; shift
	wanted "$name" $PATTERNS || return 0
	start=$(date +%s)
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$logs/$name.log")" ;;
	*) fail=$((fail + 1)); failed="$failed $name"
	   echo "FAIL $name (exit $rc, ${secs}s)"; tail -n 30 "$logs/$name.log" | sed 's/^/    /' ;;
	esac
}

PATTERNS="$*"
for t in build/tests/*; do
	[ -x "$t" ] && run_one "unit_$(basename "$t")" "$t"
done
for t in tests/t_*.sh; do
	[ -f "$t" ] && run_one "$(basename "$t" .sh)" sh "$t"
done
for t in tests/lua/*_spec.lua; do
	[ -f "$t" ] && run_one "lua_$(basename "$t" .lua)" sh tests/lua/run_spec.sh "$t"
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
