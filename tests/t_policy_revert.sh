#!/bin/sh
# revert.lua: unmigrate the extent-mapped inodes chosen as selective.lua
# chooses them, on an ext3 image (1 KiB blocks) migrated with
# migrate-all.lua first.  --dry-run writes nothing; --path picks exactly
# the inodes under it (checked with tests/verify.py: those go back to
# block maps, every other inode is byte-identical, contents identical);
# --clear-feature is refused (exit 1, nothing more written) while an
# extent-mapped inode is left, and clears the feature (dumpe2fs) once
# none is; e2fsck -fn clean throughout.
. "$(dirname "$0")/lib.sh"

img=$T/img
mk_image "$img" ext3 1024 32M || { fail "mk_image"; finish; }
snapshot "$img" "$T/orig.json"
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua"
fsck_clean "$img"
snapshot "$img" "$T/mid.json"

# The extent-mapped inodes with a path under /dir.
inos=$(python3 -c "
import json, sys
a = json.load(open(sys.argv[1]))['inodes']
print(','.join(k for k in sorted(a, key=int) if a[k]['extent'] and
      any(p == '/dir' or p.startswith('/dir/') for p in a[k]['paths'])))" "$T/mid.json")
n=$(echo "$inos" | tr ',' '\n' | grep -c .)
[ "$n" -gt 3 ] || fail "only $n inodes under /dir"

mid=$(sum "$img")
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --path /dir --dry-run
assert_grep "^revert: dry run, nothing written: $n inodes .* would be unmigrated" "$T/out" "dry run"
assert_eq "$mid" "$(sum "$img")" "dry run wrote nothing"

expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --path /dir --verbose
assert_grep "^revert: unmigrated $n inodes" "$T/out" "revert --path /dir"
assert_grep "^  <[0-9]*> /dir/big/f0000: .* -> block map of depth 0" "$T/out" "--verbose lines"
check_unmigrated "$T/mid.json" "$img" "$inos" "revert --path /dir"

# Refused while others are extent-mapped: the /tiny commit stands, the
# feature stays.
after=$(sum "$img")
expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --path /tiny --clear-feature
assert_grep "Extent-mapped inodes would be left: the extent feature cannot be cleared ([0-9]* inodes, the first <2>)" \
	"$T/err" "clear refused"
fsck_clean "$img"
dumpe2fs -h "$img" 2>/dev/null | grep '^Filesystem features:' | grep -qw extent ||
	fail "extent cleared while inodes use it"

# Everything, then the feature.
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --clear-feature --dry-run
assert_grep "feature: *extent would be turned off" "$T/out" "dry run announces the clear"
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --clear-feature
assert_grep "feature: *extent turned off" "$T/out" "clear reported"
fsck_clean "$img"
dumpe2fs -h "$img" 2>/dev/null | grep '^Filesystem features:' | grep -qw extent &&
	fail "extent still set after revert --clear-feature"
snapshot "$img" "$T/final.json"
python3 "$TOP/tests/verify.py" compare "$T/orig.json" "$T/final.json" >"$T/compare.out" 2>&1
grep FAIL "$T/compare.out" | grep -v "changed but not expected" | grep . &&
	fail "contents differ from the original"
grep -q "contents: identical" "$T/compare.out" || fail "contents: $(cat "$T/compare.out" | head -5)"

# Options: unknown ones are errors; clear_feature needs unmigrate in Lua.
expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/revert.lua" --bogus
assert_grep "unknown option --bogus" "$T/err" "unknown option"
expect_rc 1 "$E2LUA" -w "$img" -e 'require("e2.policy").run(fs, { clear_feature = true })'
assert_grep "clear_feature needs unmigrate" "$T/err" "clear_feature alone"
finish
