#!/bin/sh
# run.sh -- run the test suite, JOBS tests at a time, and print
# "N passed, N failed, N skipped".
#   tests/run.sh [-j N] [PATTERN...]
# Without a PATTERN every test runs, else those whose name contains one.
# -j N (or JOBS=N) runs N tests at once; default: the number of CPUs.
# A test is an executable in build/tests/ (C unit tests), a tests/t_*.sh
# script, or a tests/lua/*_spec.lua file (run by tests/lua/run_spec.sh).
# Exit status 0 passes, 77 skips, anything else fails.  Each test's output
# goes to build/test-logs/NAME.log and is shown when it fails; a line per
# test is printed as it ends, then the summary names the failures.  The
# tests that took longest last time start first, so the slowest one does
# not start last (on a fresh tree, as tests/durations says; tests it does
# not name, first).  Every test makes its own scratch directory under
# $TMPDIR (created if missing; default /tmp).
cd "$(dirname "$0")/.." || exit 2
jobs=${JOBS:-}
while [ $# -gt 0 ]; do
	case $1 in
	-j) [ $# -ge 2 ] || { echo "run.sh: -j needs a number" >&2; exit 2; }
	    jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--) shift; break ;;
	-*) echo "usage: run.sh [-j N] [PATTERN...]" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ -n "$jobs" ] || jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
case $jobs in ''|*[!0-9]*|0) echo "run.sh: bad job count [$jobs]" >&2; exit 2 ;; esac

if [ -n "${TMPDIR:-}" ]; then
	mkdir -p "$TMPDIR" || exit 2
	export TMPDIR
fi
# Under make check SANITIZE=1: libext2fs's own leaks are not ours.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
logs=build/test-logs
mkdir -p "$logs" || exit 2

wanted() {	# name: whether it matches one of the patterns (all without any)
	[ $# -eq 0 ] && return 0
	for p in "$@"; do case $name in *"$p"*) return 0 ;; esac; done
	return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/e2lua-run.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# The tests, "seconds name command..." per line, longest last time first.
list() {
	for t in build/tests/*; do
		[ -f "$t" ] && [ -x "$t" ] && echo "unit_${t##*/} $t"
	done
	for t in tests/t_*.sh; do
		[ -f "$t" ] && name=${t##*/} && echo "${name%.sh} sh $t"
	done
	for t in tests/lua/*_spec.lua; do
		[ -f "$t" ] && name=${t##*/} && echo "lua_${name%.lua} sh tests/lua/run_spec.sh $t"
	done
}
list | while read -r name cmd; do
	wanted "$@" || continue
	secs=$(cat "$logs/$name.secs" 2>/dev/null) ||
		secs=$(awk -v n="$name" '$1 == n { print $2 }' tests/durations)
	[ -n "$secs" ] || secs=999
	echo "$secs $name $cmd"
done | sort -k1,1nr -k2,2 >"$work/queue"

# The images tests/lib.sh's mk_image makes, built once per run.
E2LUA_FIXTURES=$work/fixtures
mkdir "$E2LUA_FIXTURES" || exit 2
export E2LUA_FIXTURES

# A finished test writes its name to the FIFO (one short line: atomic);
# the pool reads one line per test it waits for.
mkfifo "$work/done" || exit 2
exec 3<>"$work/done"

# python3 as the tests' PATH finds it, resolved once: a version manager's
# shim (pyenv's: bash and several processes per call) costs more CPU than
# many of the tests' own Python work.  The same interpreter it picks.
if py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$py" ]; then
	mkdir "$work/bin" && ln -s "$py" "$work/bin/python3" || exit 2
	PATH=$work/bin:$PATH
	export PATH
fi

pass=0 fail=0 skip=0 failed="" running=0 cpu_total=0

report() {	# name: print its result
	rc=$(cat "$logs/$1.rc" 2>/dev/null) || rc=2
	secs=$(cat "$logs/$1.secs" 2>/dev/null) || secs=?
	cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); c += t[1] * 60 + t[2] }
		printf "%.1f", c }' "$logs/$1.times" 2>/dev/null)
	cpu_total=$(echo "$cpu_total ${cpu:-0}" | awk '{ print $1 + $2 }')
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $1 (${secs}s, cpu ${cpu}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $1: $(tail -n 1 "$logs/$1.log")" ;;
	*) fail=$((fail + 1)); failed="$failed $1"
	   why="exit $rc"; [ "$rc" = 124 ] && why="timed out after ${TEST_TIMEOUT:-900}s"
	   echo "FAIL $1 ($why, ${secs}s)"; tail -n 30 "$logs/$1.log" | sed 's/^/    /' ;;
	esac
}

reap() {	# wait for one test to end and report it
	read -r done_name <&3 || exit 2
	running=$((running - 1))
	report "$done_name"
}

while read -r secs name cmd; do
	[ "$running" -lt "$jobs" ] || reap
	rm -f "$logs/$name.rc"
	(
		start=$(date +%s)
		# cmd is "program args" without blanks inside; a hung test is
		# stopped (exit 124), not waited for forever.
		timeout -k 10 "${TEST_TIMEOUT:-900}" $cmd \
			>"$logs/$name.log" 2>&1 3>&- </dev/null
		echo $? >"$logs/$name.rc"
		echo $(( $(date +%s) - start )) >"$logs/$name.secs"
		# Its CPU time: user and sys of what it waited for (times in
		# this shell: in a pipe it would be a fresh subshell's).
		times >"$logs/$name.times"
		echo "$name" >&3
	) &
	running=$((running + 1))
done <"$work/queue"
while [ "$running" -gt 0 ]; do reap; done
wait

[ $((pass + fail + skip)) -gt 0 ] || { echo "run.sh: no test matches: $*" >&2; exit 1; }
[ -n "$failed" ] && echo "failed:$(printf ' %s' $(printf '%s\n' $failed | sort))"
echo "$pass passed, $fail failed, $skip skipped (${cpu_total}s of CPU)"
[ "$fail" -eq 0 ]
