#!/bin/sh
# t_unmigrate_refuse.sh -- what unmigrate refuses, with the reason in the
# plan too, and nothing written (sha256 of the image): a nearly full
# filesystem (no room for the indirect blocks), a file past the block
# map's reach (its size, or an initialized block past 12 + k + k^2 + k^3
# on 1 KiB blocks), an inode already block-mapped, a fast symlink, a
# reserved inode; --clear-feature while the journal is extent-mapped
# (named, with the count); usage errors.  A block at 2^32 or above is
# tests/unit/test_unmigrate.c's (an image that big is too slow to make).
# Also: a sparse file past the DIND range on 1 KiB blocks gets a TIND.
. "$(dirname "$0")/lib.sh"

bs=1024
p=$((bs / 4))
limit=$((12 + p + p * p + p * p * p))

# A file needing IND and DIND blocks, a sparse one needing a TIND, a
# sparse one with a block past the map's reach (mke2fs -d keeps holes).
mkdir "$T/tree"
python3 -c "
import random, sys
r = random.Random(5)
open('$T/tree/big', 'wb').write(r.randbytes(400 * $bs))
with open('$T/tree/tind', 'wb') as f:
    f.seek(70000 * $bs); f.write(r.randbytes($bs))
with open('$T/tree/far', 'wb') as f:
    f.seek($limit * $bs); f.write(r.randbytes($bs))
open('$T/tree/tiny', 'wb').write(b'tiny')
" || fail "tree"
ln -s short "$T/tree/fastlink"
img=$T/ext4.img
mke2fs -q -F -t ext4 -O ^64bit -b $bs -N 256 -d "$T/tree" "$img" 8M \
	>"$T/mke2fs.out" 2>&1 || fail "mke2fs: $(cat "$T/mke2fs.out")"
debugfs_w "$img" "write /dev/null /huge" "sif /huge size $(( (limit + 1) * bs))" ||
	fail "debugfs /huge"
fsck_clean "$img"
orig=$(sum "$img")

# The plan says why, per file; TIND for /tind.
expect_rc 0 "$E2LUA" "$img" -R "plan -u /big /tind /far /huge /fastlink <8>"
assert_grep "^ *[0-9]* ok .* 2 .* /big$" "$T/out" "plan: /big depth 2"
assert_grep "^ *[0-9]* ok .* 3 .* /tind$" "$T/out" "plan: /tind depth 3 (TIND)"
assert_grep "/far: File is too large for a block map" "$T/out" "plan: /far"
assert_grep "/huge: File is too large for a block map" "$T/out" "plan: /huge"
assert_grep "/fastlink: Inode has no block map" "$T/out" "plan: fast symlink"
assert_grep "<8>: Reserved inode" "$T/out" "plan: journal"
expect_rc 0 "$E2LUA" "$img" -R "plan -j -u /far"
assert_grep '"operation": *"unmigrate"' "$T/out" "plan -j -u operation"
assert_grep '"skip_class": *"skip"' "$T/out" "plan -j -u skip class"

# Staging refuses them: nothing written.
for f in /far /huge /fastlink "<8>"; do
	expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate $f"
	assert_grep "unmigrate $f: " "$T/err" "unmigrate $f refused"
done
assert_eq "$orig" "$(sum "$img")" "refusals wrote nothing"

# --clear-feature: the journal (inode 8) stays extent-mapped.
printf 'unmigrate --clear-feature /big /tind /tiny\ncommit\n' >"$T/cmds"
expect_rc 1 "$E2LUA" -w -f "$T/cmds" "$img"
assert_grep "commit: [0-9]* extent-mapped inodes would be left (the first: <2>)" \
	"$T/err" "clear refused, first named"
assert_grep "nothing was changed on disk" "$T/err" "clear refused: nothing written"
assert_eq "$orig" "$(sum "$img")" "refused clear wrote nothing"
expect_rc 0 "$E2LUA" -w "$img" -e '
local tx <close> = fs:begin()
tx:clear_feature("extent")
for _, f in ipairs{"/big", "/tind", "/tiny"} do tx:unmigrate(f) end
local ok, err = pcall(tx.commit, tx)
assert(not ok and tostring(err):find("Extent%-mapped inodes would be left: the extent feature cannot be cleared %(%d+ inodes, the first <2>%)"), tostring(err))
assert(not pcall(tx.clear_feature, tx, "dir_index"))'
assert_eq "$orig" "$(sum "$img")" "refused clear (Lua) wrote nothing"
# A clear left uncommitted is rolled back and said so; try_unmigrate and
# pending speak of reverse migrations.
expect_rc 0 "$E2LUA" -w "$img" -R "unmigrate --clear-feature"
assert_grep "rolled back 0 staged inodes and the feature change (not committed)" \
	"$T/err" "uncommitted clear"
expect_rc 0 "$E2LUA" -w "$img" -e '
local tx <close> = fs:begin()
local p = tx:try_unmigrate("/far")
assert(not p.ok and p.operation == "unmigrate" and p.code == e2.errors.E2C_ERR_SKIP_TOO_BIG, p.reason)
p = tx:try_unmigrate("/big")
assert(p.ok and p.depth == 2 and p.index_blocks == 3, p.depth)
local list, totals = tx:pending()
assert(#list == 1 and list[1].operation == "unmigrate" and totals.unmigrated == 1)
assert(#totals.features_off == 0 and totals.marks_not_clean)
tx:clear_feature("extent")
list, totals = tx:pending()
assert(totals.features_off[1] == "extent")'
assert_eq "$orig" "$(sum "$img")" "staged and rolled back (Lua): nothing written"

# Usage.
expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate"
assert_grep "Usage: unmigrate" "$T/err" "no operand"
expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate --bogus /big"
assert_grep "unknown option '--bogus'" "$T/err" "unknown option"
expect_rc 1 "$E2LUA" "$img" -R "unmigrate /big"
assert_grep "read-only" "$T/err" "needs -w"

# The others commit: e2fsck clean, /tind mapped through a TIND.
printf 'unmigrate /big /tind /tiny\ncommit\n' >"$T/cmds"
expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
fsck_clean "$img"
debugfs -R "stat /tind" "$img" 2>/dev/null | grep -q "(TIND)" ||
	fail "/tind has no TIND"
for f in big tind tiny; do
	debugfs -R "cat /$f" "$img" 2>/dev/null | cmp -s - "$T/tree/$f" ||
		fail "/$f content differs"
done
orig=$(sum "$img")
expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate /big"
assert_grep "unmigrate /big: Inode is already block-mapped" "$T/err" "already block-mapped"
assert_eq "$orig" "$(sum "$img")" "already block-mapped: nothing written"

# Nearly full: no room for /big2's indirect blocks.
img=$T/full.img
mke2fs -q -F -t ext4 -O ^64bit -b $bs -N 256 -d "$T/tree" "$img" 8M \
	>"$T/mke2fs.out" 2>&1 || fail "mke2fs full: $(cat "$T/mke2fs.out")"
fill_fs "$img"
fsck_clean "$img"
orig=$(sum "$img")
expect_rc 0 "$E2LUA" "$img" -R "plan -u /big"
assert_grep "/big: Not enough free blocks" "$T/out" "full: plan says so"
expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate /big /tiny" commit
assert_grep "unmigrate /big: Not enough free blocks" "$T/err" "full: refused"
expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate /big"
assert_eq "$orig" "$(sum "$img")" "full: nothing written"
# A file needing no indirect block still goes.
printf 'unmigrate /tiny\ncommit\n' >"$T/cmds"
expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
fsck_clean "$img"
finish
