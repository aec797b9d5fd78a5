# The fuzzer's regression inputs (tests/fuzz/regress/: images that once
# crashed the core or tripped a sanitizer) run through the fuzz harness --
# read-only walks and plans of every inode, then a committed migration --
# built with the core under ASan and UBSan.  Any report fails the test.
. "$(dirname "$0")/lib.sh"
bin=$TOP/build/fuzz/fuzz_regress
[ -x "$bin" ] || { fail "$bin missing: build it with make check"; finish; }
n=0
for f in "$TOP"/tests/fuzz/regress/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$bin" "$f" >"$T/out" 2>&1 || fail "$(basename "$f"): exit $?: $(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$T/out")"
done
[ "$n" -gt 0 ] || fail "no regression inputs in tests/fuzz/regress"
finish
