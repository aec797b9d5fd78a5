# scripts/defrag.lua: the files over K times their ideal extent count are
# relocated, largest gain first, within --max-copy-blocks and --keep-free;
# --dry-run writes nothing and announces what the run does; --path limits
# it; a second run finds nothing to do.  After each run e2fsck -fn is
# clean, contents are identical and only the relocated inodes changed.
. "$(dirname "$0")/lib.sh"
defrag=$TOP/scripts/defrag.lua
ino_of() { debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }

FRAG_BLOCKS=300 mk_image "$T/img" ext3 1024 8M || { fail "mk_image"; finish; }
mk_frag_file "$T/img" /dir/frag2 60 || fail "mk_frag_file"
cp "$T/img" "$T/img0"
snapshot "$T/img" "$T/before.json"
frag=$(ino_of "$T/img" /frag) frag2=$(ino_of "$T/img" /dir/frag2)

# dry run: nothing written, with -w too
expect_rc 0 "$E2LUA" -w "$T/img" "$defrag" --dry-run --verbose
cmp -s "$T/img" "$T/img0" || fail "--dry-run wrote"
assert_grep "defrag: dry run, nothing written: [0-9]* files would be relocated" "$T/out" "dry run summary"
assert_grep "<$frag> /frag: [0-9]* -> 1 (ideal 1)" "$T/out" "dry run: /frag"
cp "$T/out" "$T/dry"

# the budget: /frag (the largest gain) alone does not fit in 100 blocks
expect_rc 0 "$E2LUA" -w "$T/img" "$defrag" --max-copy-blocks 100
assert_grep "relocated 0 files" "$T/out" "budget"
assert_grep "stopped by:     --max-copy-blocks" "$T/out" "budget: said"
cmp -s "$T/img" "$T/img0" || fail "a run stopped by its budget before any file wrote"

# --path: only what is under it
expect_rc 0 "$E2LUA" -w "$T/img" "$defrag" --path /dir --verbose
assert_grep "<$frag2> /dir/frag2: 60 -> 1" "$T/out" "--path /dir"
grep -q "/frag:" "$T/out" && fail "--path /dir relocated /frag"
cp "$T/img0" "$T/img"

# the run: what the dry run announced
expect_rc 0 "$E2LUA" -w "$T/img" "$defrag" --verbose --verify
assert_eq "$(grep -c '^  <' "$T/dry")" "$(grep -c '^  <' "$T/out")" "files relocated as the dry run said"
assert_grep "extents:        [0-9]* -> [0-9]* (ideal" "$T/out" "summary: extents before -> after"
moved=$(sed -n 's/^  <\([0-9]*\)>.*/\1/p' "$T/out" | paste -sd, -)
fsck_clean "$T/img"
snapshot "$T/img" "$T/after.json"
python3 "$TOP/tests/verify.py" compare "$T/before.json" "$T/after.json" \
	--expect-moved "$moved" >"$T/compare.out" 2>&1 ||
	fail "defrag run: $(grep FAIL "$T/compare.out" | head -n 8)"
# nothing left to do
expect_rc 0 "$E2LUA" -w "$T/img" "$defrag"
assert_grep "relocated 0 files" "$T/out" "second run"

# bad options
expect_rc 1 "$E2LUA" -w "$T/img" "$defrag" --ratio 0.5
assert_grep "bad ratio" "$T/err" "--ratio 0.5"
expect_rc 1 "$E2LUA" "$T/img" "$defrag"
assert_grep "open it with -w, or use --dry-run" "$T/err" "read-only"
finish
