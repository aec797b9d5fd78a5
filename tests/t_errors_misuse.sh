#!/bin/sh
# t_errors_misuse.sh -- crashes and bad messages from issue 8, each with a
# variant: a map that cannot be opened (a double free, exit 134, read-only
# too), -c on a descriptor size of 0 (SIGFPE), undo files that cannot be used (-z in a missing directory crashed
# inside ext2fs_open2; a corrupt one was blamed on the image), the e2undo
# line of -z, `source` of a directory (exit 0), and `bmap <1>` (called a
# fast symlink).  Nothing is written to the image by any of them.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# A map that cannot be opened: an extent tree claiming depth 6, and a
# variant with a bad extent header.  Planning, scanning and owner claims
# walk it (e2c_map_each).
for how in "block[1] 0x60004:depth 6" "block[0] 0x1234:bad magic"; do
	sif=${how%%:*} what=${how#*:}
	img=$T/dd.img
	mke2fs -q -F -t ext4 "$img" 8M >/dev/null 2>&1 || { fail "mke2fs"; continue; }
	echo hi >"$T/h"
	debugfs -w -R "write $T/h a" "$img" >/dev/null 2>&1
	debugfs -w -R "sif a $sif" "$img" >/dev/null 2>&1
	s0=$(sum "$img")
	expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/migrate-all.lua" --dry-run
	grep -q "double free\|AddressSanitizer" "$T/err" && fail "$what: $(cat "$T/err")"
	expect_rc 0 "$E2LUA" "$img" -e 'local s = fs:select{} repeat until s:scan() print(fs:owner(5000))'
	expect_rc 0 "$E2LUA" -w "$img" -R "plan a" -e 'local s = fs:select{} repeat until s:scan(1)'
	assert_eq "$s0" "$(sum "$img")" "$what: image changed"
done

# -c (catastrophic: superblock errors ignored) on a 64bit filesystem whose
# descriptor size is 0: libext2fs divided by it (SIGFPE; e2fsprogs'
# f_desc_size_zero, found by the ASan sweep over its images).  Refused
# with libext2fs's message instead; -c still opens what it can.
img=$T/dz.img
mke2fs -q -F -t ext4 -O 64bit "$img" 8M >/dev/null 2>&1
cp "$img" "$T/ic.img"
debugfs -w -R "ssv desc_size 0" "$img" >/dev/null 2>&1
expect_rc 2 "$E2LUA" -c -R stats "$img"
assert_grep "dz.img: Block group descriptor size incorrect" "$T/err" "-c, descriptor size 0"
expect_rc 2 "$E2LUA" -R stats "$img"
# The variant: a superblock error -c is for (an inode count that does not
# match the groups) still opens with -c, not without.
debugfs -w -R "ssv inodes_count 7" "$T/ic.img" >/dev/null 2>&1
expect_rc 2 "$E2LUA" -R "stats -h" "$T/ic.img"
expect_rc 0 "$E2LUA" -c -R "stats -h" "$T/ic.img"

img=$T/a.img
mk_image "$img" ext3 1024 8M || { fail "mk_image"; finish; }
s0=$(sum "$img")

# Undo files that cannot be used: exit 2, the undo file named, nothing
# written (nor the undo file created).
expect_rc 2 "$E2LUA" -w -z "$T/nonexistent/dir/u" "$img" -R stats
assert_grep "^e2lua: $T/nonexistent/dir/u: cannot use it as the undo file: No such file or directory" "$T/err" "undo in a missing directory"
mkdir "$T/udir"
expect_rc 2 "$E2LUA" -w -z "$T/udir" "$img" -R stats
assert_grep "^e2lua: $T/udir: cannot use it as the undo file: Is a directory" "$T/err" "undo a directory"
mkfifo "$T/fifo" 2>/dev/null && {
	expect_rc 2 "$E2LUA" -w -z "$T/fifo" "$img" -R stats
	assert_grep "^e2lua: $T/fifo: Undo file is not a regular file or a device (choose another name)" "$T/err" "undo a fifo"
}
expect_rc 2 "$E2LUA" -w -z "$img" "$img" -R stats
assert_grep "^e2lua: $img: Undo file is the image itself (choose another name)" "$T/err" "undo the image"
printf 'precious\n' >"$T/notundo"
expect_rc 2 "$E2LUA" -w -z "$T/notundo" "$img" -R stats
assert_grep "^e2lua: $T/notundo: Undo file corrupt (not an undo file, or a damaged one: remove it or choose another name)" "$T/err" "undo not an undo file"
assert_eq "precious" "$(cat "$T/notundo")" "a file given as undo file is untouched"
# Another filesystem's undo file: the hint, from the command line and the
# open command.
cp "$img" "$T/b.img"
expect_rc 0 "$E2LUA" -w -z "$T/u.b" "$T/b.img" -R "migrate /dind" -R commit
expect_rc 2 "$E2LUA" -w -z "$T/u.b" "$img" -R stats
assert_grep "^e2lua: $T/u.b: Wrong undo file for this filesystem (it records another filesystem, or this one before later changes: remove it or choose another name)" "$T/err" "undo of another fs"
expect_rc 1 "$E2LUA" -R "open -w -z $T/u.b $img"
assert_grep "open $T/u.b: Wrong undo file for this filesystem (.*remove it or choose another name)" "$T/err" "open -z: undo of another fs"
# A refused open (not clean) creates no undo file; a session that writes
# nothing leaves none.
cp "$img" "$T/dirty.img"
debugfs -w -R "ssv state 0" "$T/dirty.img" >/dev/null 2>&1
expect_rc 2 "$E2LUA" -w -z "$T/u.dirty" "$T/dirty.img" -R stats
assert_grep "not clean" "$T/err" "dirty image refused"
[ -e "$T/u.dirty" ] && fail "a refused open left its undo file"
expect_rc 0 "$E2LUA" -w -z "$T/u.none" "$img" -R stats
[ -e "$T/u.none" ] && fail "a session that wrote nothing left its undo file"
assert_eq "$s0" "$(sum "$img")" "undo refusals: image changed"

# -z says how to undo, as tune2fs and e2fsck do (on stderr); so does
# the open command.
expect_rc 0 "$E2LUA" -w -z "$T/u" "$img" -R "migrate /dind" -R commit
assert_grep "^Overwriting existing filesystem; this can be undone using the command:" "$T/err" "-z line"
assert_grep "^    e2undo $T/u $img\$" "$T/err" "-z e2undo line"
grep -q "Overwriting" "$T/out" && fail "-z line on stdout"
expect_rc 0 e2undo "$T/u" "$img"
assert_eq "$s0" "$(sum "$img")" "e2undo after -z"
rm -f "$T/u"
expect_rc 0 "$E2LUA" -R "open -w -z $T/u $img"
assert_grep "^    e2undo $T/u $img\$" "$T/err" "open -z: e2undo line"

# source of a directory fails, as a missing file does; so does -f DIR.
expect_rc 1 "$E2LUA" "$img" -R "source $T/udir"
assert_grep "source $T/udir: Is a directory" "$T/err" "source DIR"
expect_rc 1 "$E2LUA" "$img" -f "$T/udir"
assert_grep "$T/udir: Is a directory" "$T/err" "-f DIR"
expect_rc 1 "$E2LUA" "$img" -R "source $T/missing"
assert_grep "source $T/missing: No such file or directory" "$T/err" "source missing"

# bmap <1>: the bad blocks inode has a block map (e2fsck -l wrote one);
# an inode of no file type is not called a fast symlink.
cp "$img" "$T/bb.img"
blk=$(debugfs -R "ffb 1 3000" "$T/bb.img" 2>/dev/null | sed -n 's/^Free blocks found: *\([0-9]*\).*/\1/p')
printf '%s\n' "$blk" >"$T/badlist"
e2fsck -fy -l "$T/badlist" "$T/bb.img" >/dev/null 2>&1
expect_rc 0 "$E2LUA" "$T/bb.img" -R "bmap <1> 0"
assert_eq "$(debugfs -R 'bmap <1> 0' "$T/bb.img" 2>/dev/null)" "$(cat "$T/out")" "bmap <1> as debugfs"
assert_eq "$blk" "$(cat "$T/out")" "bmap <1>: the bad block"
expect_rc 1 "$E2LUA" "$img" -R "bmap <5> 0"
assert_grep "bmap <5>: Inode has no file type (mode 0): its i_block is no block map" "$T/err" "bmap of an inode of no type"
grep -q "fast symlink" "$T/err" && fail "bmap <5> called a fast symlink"
expect_rc 1 "$E2LUA" "$img" -R "bmap /fastlink 0"
assert_grep "bmap /fastlink: Inode has no block map (fast symlink" "$T/err" "bmap of a fast symlink"
finish
