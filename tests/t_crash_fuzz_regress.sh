# The fuzzer's regression inputs (tests/fuzz/regress/: images that once
# crashed the core or tripped a sanitizer) and two sound images run through
# the fuzz harness -- read-only walks and plans of every inode, a committed
# migration, the multi-object paths -- built with the core under ASan and
# UBSan.  Any report, or a misuse the core accepts, fails the test.
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
# Sound images too (the fuzzer's seeds): every path of the harness gets
# past the open, the multi-object ones included (two selections, a
# selection and a tx of two filesystems, scans, rollback and commits
# interleaved), where a corrupt input stops early.
for kind in ext3 ext4noext; do
	FRAG_BLOCKS=100 mk_image "$T/$kind.img" $kind 1024 4M || { fail "mk_image $kind"; continue; }
	"$bin" "$T/$kind.img" >"$T/out" 2>&1 || fail "$kind image: exit $?: $(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$T/out")"
done
finish
