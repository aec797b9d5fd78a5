#!/bin/sh
# t_badinput_open.sh -- images that cannot be opened: a missing file, a
# directory, an empty file, a file that is not ext2/3/4, a corrupt
# superblock (magic intact), a first data block libext2fs cannot load the
# bitmaps of, a truncated image.  Each gets exit 2 and a
# message naming the image and why, under valgrind (no memory errors), and
# nothing is written.  doc/errors.md lists these cases.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# bad RC IMAGE PATTERN: e2lua IMAGE -R stats exits RC, stderr names the
# image and matches PATTERN (grep -E), the image is unchanged.
bad() {
	rc=$1 img=$2 pat=$3
	[ -f "$img" ] && s0=$(sum "$img") || s0=none
	expect_rc "$rc" $VG "$E2LUA" -R stats "$img"
	grep -q -- "$img" "$T/err" || fail "$img: message does not name the image: $(head -c 300 "$T/err")"
	grep -Eq -- "$pat" "$T/err" || fail "$img: no /$pat/ in: $(head -c 300 "$T/err")"
	[ -s "$T/out" ] && fail "$img: output on stdout: $(head -c 200 "$T/out")"
	[ -f "$img" ] && assert_eq "$s0" "$(sum "$img")" "$img: changed"
}

bad 2 "$T/missing.img" "No such file or directory"
mkdir "$T/adir"
bad 2 "$T/adir" "Is a directory|Attempt to read block|Bad magic|short read"
: >"$T/empty.img"
bad 2 "$T/empty.img" "short read|Bad magic|Attempt to read block"
python3 -c "
import random
open('$T/random.img', 'wb').write(random.Random(1).randbytes(1 << 20))"
bad 2 "$T/random.img" "Bad magic number in super-block"

# A good image to damage.
mk_image "$T/good.img" ext3 1024 16M || fail "mk_image"
expect_rc 0 "$E2LUA" -R "stats -h" "$T/good.img"

# s_log_block_size (offset 24 of the superblock at 1024) garbage.
cp "$T/good.img" "$T/logbs.img"
printf '\100\0\0\0' | dd of="$T/logbs.img" bs=1 seek=$((1024 + 24)) conv=notrunc 2>/dev/null
bad 2 "$T/logbs.img" "superblock is corrupt|Corrupt|corrupt"

# s_inodes_per_group (offset 40) zero.
cp "$T/good.img" "$T/ipg.img"
printf '\0\0\0\0' | dd of="$T/ipg.img" bs=1 seek=$((1024 + 40)) conv=notrunc 2>/dev/null
bad 2 "$T/ipg.img" "superblock is corrupt|Corrupt|corrupt"

# s_first_data_block (offset 20) 158 where e2fsck wants 1: libext2fs
# 1.47.0 would load the block bitmaps past the end of its array (a heap
# overflow the fuzzer found); refused before, with -c it opens (stats).
cp "$T/good.img" "$T/fdb.img"
printf '\236\0\0\0' | dd of="$T/fdb.img" bs=1 seek=$((1024 + 20)) conv=notrunc 2>/dev/null
bad 2 "$T/fdb.img" "first data block is not where e2fsck expects it.*open with -c"
expect_rc 0 $VG "$E2LUA" -c -R "stats -h" "$T/fdb.img"

# Truncated after the first group: the bitmaps of the others are missing.
head -c $((8 << 20)) "$T/good.img" >"$T/trunc.img"
bad 2 "$T/trunc.img" "bitmap|short read|Attempt to read block"

# With -c (no bitmaps) the truncated image opens; what lies past the end
# cannot be read and says so, with exit 1 (inode 2000 is in group 1).
s0=$(sum "$T/trunc.img")
expect_rc 0 $VG "$E2LUA" -c -R "stat /" "$T/trunc.img"
expect_rc 1 $VG "$E2LUA" -c -R "blocks <2000>" "$T/trunc.img"
assert_grep "blocks <2000>: " "$T/err" "truncated: blocks of an inode past the end"
assert_eq "$s0" "$(sum "$T/trunc.img")" "truncated image changed"
finish
