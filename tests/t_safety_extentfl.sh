#!/bin/sh
# t_safety_extentfl.sh -- issue 8, data loss 2: an extent-mapped inode
# whose EXTENTS_FL was cleared.  Read as a block map its header words
# become block numbers (in range on a filesystem of 127755 blocks or
# more: 128 MiB of 1 KiB blocks here, 1 GiB of 4 KiB in the issue) and a migration would replace its extents with them.  An i_block
# that passes ext2fs_extent_header_verify is never a block map: plan and
# every migration skip it as corrupt ("Inode holds an extent tree but
# lacks EXTENTS_FL: run e2fsck -f"; a policy exits 4), a file and a
# directory alike, the image unchanged; e2fsck -fy then sets the flag
# back, contents intact.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# The issue's image: /frag, 20 one-block fragments (12); a directory /d
# of 7 blocks in 6 runs (13): both get a tree of depth 1.  No dir_index:
# e2fsck -fy would compact /d's empty blocks, and its bytes change.
mkdir "$T/tr"
python3 -c "
f = open('$T/tr/frag', 'wb')
for i in range(0, 40, 2):
    f.seek(i * 1024); f.write(bytes([65 + i]) * 1024)"
img=$T/a.img
mke2fs -q -F -t ext4 -O ^extent,^64bit,^dir_index -b 1024 -J size=1 -d "$T/tr" "$img" 128M \
	>/dev/null 2>&1 || { fail "mke2fs"; finish; }
mk_frag_dir "$img" /d 6 || fail "mk_frag_dir"
snapshot "$img" "$T/orig.json"
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua"
check_migrated "$T/orig.json" "$img" "2,11,12,13,14,15,16,17,18,19" "first migration"
for f in /frag /d; do
	debugfs -R "ex $f" "$img" 2>/dev/null | grep -q "^ 0/ 1 " ||
		fail "$f is not extent-mapped with a tree of depth 1"
done
snapshot "$img" "$T/migrated.json"

# Each loses its flag, in an image of its own (in the same one, each
# would "share" the other's header words and be skipped for that).
for f in /frag /d; do
	c=$T/c${f#/}.img
	cp "$img" "$c"
	debugfs -w -R "sif $f flags 0" "$c" >/dev/null 2>&1
	e2fsck -fn "$c" >"$T/fsck.out" 2>&1 && fail "$f: e2fsck finds nothing (the case tests nothing)"
	cp "$c" "$c.0"		# cmp: much faster than hashing 128 MiB
	expect_rc 0 "$E2LUA" "$c" -R "plan $f"
	assert_grep "CORRUPT .* $f: Inode holds an extent tree but lacks EXTENTS_FL: run e2fsck -f" \
		"$T/out" "plan $f"
	expect_rc 1 "$E2LUA" -w "$c" -R "migrate $f" -R commit
	assert_grep "migrate $f: Inode holds an extent tree but lacks EXTENTS_FL" "$T/err" \
		"migrate $f"
	expect_rc 4 "$E2LUA" -w "$c" "$TOP/scripts/migrate-all.lua"
	assert_grep "migrated 0 inodes" "$T/out" "$f: migrate-all"
	assert_grep "CORRUPT: .*Inode holds an extent tree but lacks EXTENTS_FL: run e2fsck -f: 1" \
		"$T/out" "$f: migrate-all's skips"
	cmp -s "$c.0" "$c" || fail "$f: image changed"
	# e2fsck puts the flag back; every content is what it was.
	e2fsck -fy "$c" >/dev/null 2>&1
	fsck_clean "$c"
	snapshot "$c" "$T/fixed.json"
	python3 "$TOP/tests/verify.py" compare "$T/migrated.json" "$T/fixed.json" \
		--expect-extent "" >"$T/compare.out" 2>&1 ||
		fail "$f after e2fsck -fy: $(grep -v '^changed inodes' "$T/compare.out" | head -n 8)"
done
finish
