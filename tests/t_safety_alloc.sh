#!/bin/sh
# t_safety_alloc.sh -- issue 8, data loss 1: a block bitmap that calls a
# metadata block free.  Every other free block is marked in use, so the
# one wrongly free block is where a migration's index block would go.  The
# allocator never hands out metadata (core/alloc.c), and a bitmap that
# disagrees with the metadata map refuses the write (staging, the commit,
# a policy run and its dry run): "Block bitmap disagrees with the
# filesystem ... run e2fsck -f", exit 1, the image byte-identical.  One
# case per kind of metadata (inode table, block and inode bitmaps, group
# descriptors, reserved GDT, journal data and indirect blocks), a file and
# a directory to migrate; after e2fsck -fy the migration works.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# The issue's image: /sparse (12), a directory /d in 7 blocks and 6 runs
# (13), every free block after them.
mkdir "$T/rt"
python3 -c "
f = open('$T/rt/sparse', 'wb')
for i in range(0, 20, 2):
    f.seek(i * 1024); f.write(b'x' * 1024)"
base=$T/base.img
mke2fs -q -F -t ext3 -b 1024 -I 128 -d "$T/rt" "$base" 4M >/dev/null 2>&1 ||
	{ fail "mke2fs"; finish; }
mk_frag_dir "$base" /d 6 || fail "mk_frag_dir"
fsck_clean "$base"
expect_rc 0 "$E2LUA" -R "plan /sparse /d" "$base"
[ "$(grep -c ' ok .* 1 ' "$T/out")" = 2 ] ||
	fail "both need an index block (the case tests nothing): $(cat "$T/out")"

# Where each kind of metadata lies, from dumpe2fs.
group0() { dumpe2fs "$base" 2>/dev/null | sed -n "s/^  $1 at \([0-9]*\).*/\1/p" | head -n 1; }
itable=$(group0 "Inode table")
bbitmap=$(group0 "Block bitmap")
ibitmap=$(group0 "Inode bitmap")
gdt=$(dumpe2fs "$base" 2>/dev/null | sed -n 's/.*Group descriptors at \([0-9]*\).*/\1/p' | head -n 1)
rgdt=$(group0 "Reserved GDT blocks")
jdata=$(debugfs -R "blocks <8>" "$base" 2>/dev/null | cut -d' ' -f1)
jind=$(debugfs -R "stat <8>" "$base" 2>/dev/null | sed -n 's/.*(IND):\([0-9]*\).*/\1/p' | head -n 1)
for v in itable bbitmap ibitmap gdt rgdt jdata jind; do
	eval "[ -n \"\$$v\" ]" || fail "no block for $v"
done

# wrong IMG BLOCK: every free block marked in use, then BLOCK (metadata,
# in use) marked free: the bitmap alone changes.
wrong() {
	dumpe2fs "$1" 2>/dev/null | sed -n 's/^  Free blocks: //p' | tr ',' '\n' |
		sed 's/ //g' | grep . | while IFS=- read a b; do
			echo "setb $a $(( ${b:-$a} - a + 1 ))"
		done >"$T/fill.cmds"
	echo "freeb $2" >>"$T/fill.cmds"
	debugfs_wf "$1" "$T/fill.cmds" || fail "debugfs $2"
	debugfs -R "testb $2" "$1" 2>/dev/null | grep -q "not in use" ||
		fail "block $2 still marked in use"
}

# refused IMG WHAT ARGS...: e2lua -w ARGS exits 1 with the message, the
# image unchanged.
refused() {
	img=$1 what=$2
	shift 2
	before=$(sum "$img")
	expect_rc 1 "$E2LUA" -w "$img" "$@"
	assert_grep "Block bitmap disagrees with the filesystem (a block in use is marked free): run e2fsck -f" \
		"$T/err" "$what: $*"
	assert_eq "$before" "$(sum "$img")" "$what: $*: image changed"
}

for kind in itable bbitmap ibitmap gdt rgdt jdata jind; do
	eval "blk=\$$kind"
	img=$T/$kind.img
	cp "$base" "$img"
	wrong "$img" "$blk"
	e2fsck -fn "$img" >"$T/fsck.before" 2>&1
	grep -q "Block bitmap differences" "$T/fsck.before" ||
		fail "$kind: e2fsck finds nothing (the case tests nothing)"
	refused "$img" "$kind" -R "migrate /sparse" -R commit
	refused "$img" "$kind" -R "migrate /d" -R commit
	refused "$img" "$kind" "$TOP/scripts/migrate-all.lua"
	refused "$img" "$kind" "$TOP/scripts/migrate-all.lua" --dry-run
	# Reading is not writing: a read-only plan still plans.
	expect_rc 0 "$E2LUA" -R "plan /sparse" "$img"
	assert_grep " ok " "$T/out" "$kind: read-only plan"
done

# Lua: the stage and the commit each refuse, the tx stays usable.
img=$T/itable.img
before=$(sum "$img")
expect_rc 0 "$E2LUA" -w "$img" -e '
local tx <close> = fs:begin()
local ok, err = pcall(tx.migrate, tx, "/sparse")
assert(not ok and err.code == e2.errors.E2C_ERR_BLOCK_BITMAP, tostring(err))
assert(#tx == 0)
print("refused")'
assert_grep "^refused$" "$T/out" "Lua: tx:migrate"
assert_eq "$before" "$(sum "$img")" "Lua: image changed"

# Repaired, the same migration works and leaves e2fsck clean.
e2fsck -fy "$img" >/dev/null 2>&1
fsck_clean "$img"
snapshot "$img" "$T/fixed.json"
expect_rc 0 "$E2LUA" -w -R "migrate /sparse" -R "migrate /d" -R commit "$img"
check_migrated "$T/fixed.json" "$img" "12,13" "after e2fsck -fy"
finish
