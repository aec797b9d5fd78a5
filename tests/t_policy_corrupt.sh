#!/bin/sh
# Skips that mean corruption are problems, not skips (issue 9): on an
# image made corrupt with debugfs (two inodes sharing an indirect block,
# a block pointer into the inode table), the policies report them on a
# CORRUPT line of their own with "run e2fsck -f", --verbose marks them,
# the exit status is 4 (dry run or not), everything else is migrated and
# the corrupt inodes are left exactly as they were.  The shell's plan
# says the same; policy.run hands the counts to Lua without raising.
. "$(dirname "$0")/lib.sh"

img=$T/base.img
mk_image "$img" ext2 1024 16M || { fail "mk_image"; finish; }
ind13=$(debugfs -R "stat /thirteen" "$img" 2>/dev/null | sed -n 's/.*(IND):\([0-9]*\).*/\1/p')
itable=$(dumpe2fs "$img" 2>/dev/null | sed -n 's/^  Inode table at \([0-9]*\)-.*/\1/p' | head -n 1)
[ -n "$ind13" ] && [ -n "$itable" ] || { fail "no IND of /thirteen [$ind13] or inode table [$itable]"; finish; }
# /sparse_ind's indirect block becomes /thirteen's; /tiny's data block a
# block of the inode table.
debugfs_w "$img" "sif /sparse_ind block[IND] $ind13" "sif /tiny block[0] $itable" ||
	fail "debugfs sif"
e2fsck -fn "$img" >"$T/fsck.before" 2>&1
grep -q "Multiply-claimed" "$T/fsck.before" || fail "e2fsck sees no multiply-claimed blocks"
ino() { debugfs -R "stat $1" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }
i13=$(ino /thirteen) isp=$(ino /sparse_ind) itiny=$(ino /tiny)
snapshot "$img" "$T/before.json"
before=$(sum "$img")

# A dry run: the problem is reported apart, exit status 4, nothing written.
expect_rc 4 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --dry-run --verbose
assert_grep "^  CORRUPT:        3 inodes not migrated (Block mapped twice (by two inodes, or twice by one): 2, Block pointer into filesystem metadata: 1): run e2fsck -f$" \
	"$T/out" "dry run: the CORRUPT line"
assert_grep "^  skipped:        4 (Inode has no block map (fast symlink, device, fifo or socket): 4)$" \
	"$T/out" "dry run: the harmless skips alone, no reserved inodes"
for c in "<$i13> /thirteen: Block mapped twice" "<$isp> /sparse_ind: Block mapped twice" \
	"<$itiny> /tiny: Block pointer into filesystem metadata"; do
	assert_grep "^  CORRUPT $c.*: run e2fsck -f$" "$T/out" "--verbose: $c"
done
grep -q "Reserved inode" "$T/out" && fail "reserved inodes reported: $(grep Reserved "$T/out")"
assert_eq "e2lua: migrate-all: 3 inodes with a corrupt map or inode, left as they are: run e2fsck -f" \
	"$(cat "$T/err")" "dry run: the message"
assert_eq "$before" "$(sum "$img")" "dry run: the image"

# The shell's plan: CORRUPT rows and a count with the advice.
expect_rc 0 "$E2LUA" -R "plan /thirteen /tiny /twelve" "$img"
assert_grep "^ *$i13 CORRUPT .* /thirteen: Block mapped twice" "$T/out" "plan: /thirteen"
assert_grep "^ *$itiny CORRUPT .* /tiny: Block pointer into filesystem metadata" "$T/out" "plan: /tiny"
assert_grep "^total: 3 inodes, 1 migratable, 0 skipped: " "$T/out" "plan: total"
assert_grep "^corrupt: 2 inodes with a corrupt map or inode, not migrated: run e2fsck -f$" "$T/out" \
	"plan: the corrupt count"

# The real run migrates the rest and leaves the corrupt inodes alone.
expect_rc 4 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua"
assert_grep "^migrate-all: migrated [1-9][0-9]* inodes (.*) in 1 batch$" "$T/out" "real run: migrated"
assert_grep "^  CORRUPT:        3 inodes not migrated" "$T/out" "real run: the CORRUPT line"
assert_grep "run e2fsck -f" "$T/err" "real run: the message"
snapshot "$img" "$T/after.json"
inos=$(extent_inos "$T/before.json" "$T/after.json")
for i in $i13 $isp $itiny; do
	case ",$inos," in *",$i,"*) fail "corrupt inode $i was migrated" ;; esac
done
# Every other migratable inode was: the model's choice minus the three.
want=$(python3 "$TOP/tests/verify.py" expect "$T/before.json" | sed -n 1p | tr ',' '\n' |
	grep -vx -e "$i13" -e "$isp" -e "$itiny" | paste -sd, -)
assert_eq "$want" "$inos" "real run: the inodes migrated"
python3 "$TOP/tests/verify.py" compare "$T/before.json" "$T/after.json" --expect-extent "$inos" \
	>"$T/compare.out" 2>&1 || fail "real run: $(tail -n 5 "$T/compare.out")"
e2fsck -fn "$img" 2>&1 | grep "^Multiply-claimed" >"$T/dups.after"
grep "^Multiply-claimed" "$T/fsck.before" | cmp -s - "$T/dups.after" ||
	fail "the multiply-claimed blocks changed"

# A selection that meets no corruption ends with 0.
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/selective.lua" --path /dir --dry-run
grep -q CORRUPT "$T/out" && fail "selective /dir: a CORRUPT line"

# Lua gets the counts in the summary; policy.run does not raise for them.
expect_rc 0 "$E2LUA" -e '
	local s = require("e2.policy").run(fs, { dry_run = true, out = function() end })
	print(s.status, s.corrupt_total, s.corrupt["Block mapped twice (by two inodes, or twice by one)"],
		s.skipped["Block mapped twice (by two inodes, or twice by one)"], s.reserved > 0)' "$img"
assert_eq "4	3	2	nil	true" "$(cat "$T/out")" "policy.run: the summary"

finish
