#!/bin/sh
# t_safety_inodes.sh -- issue 8, "also wrong on disk": inodes a migration
# must leave alone.
#  - What e2fsck would question (e2fsprogs' f_emptydir, f_holedir2,
#    f_badsymlinks): a directory whose size says a block it lacks, one of
#    size 0 with blocks, one with a hole; a slow symlink with a second
#    block, one whose size is not its target's length; a file with blocks
#    past i_size; an i_blocks the map does not add up to.  Each is skipped
#    with its reason; migrate-all migrates the rest; e2fsck -fn reports
#    the same before and after, and e2fsck -fy repairs both alike.
#  - Reserved inodes: every inode below s_first_ino (first_ino raised to
#    take in an ordinary file) and the one s_journal_inum names.
#  - Logical block 2^32-1 (8 KiB blocks: a triple indirect block reaches
#    it): an extent there would end at 2^32, which wraps; 2^32-2 is fine.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

base=$T/base.img
mke2fs -q -F -t ext3 -b 1024 "$base" 8M >/dev/null 2>&1 || { fail "mke2fs"; finish; }
python3 -c "
open('$T/d20', 'wb').write(b'D' * 20 * 1024)
open('$T/t200', 'w').write('t' * 200)"
# /e 12, /z 13, /h 14, /past 15, /ib 16, /ok 17, /sl 18, /sl2 19.
printf '%s\n' "mkdir /e" "mkdir /z" "expand_dir /z" "mkdir /h" "expand_dir /h" \
	"expand_dir /h" "write $T/d20 /past" "write $T/d20 /ib" "write $T/d20 /ok" \
	"symlink /sl $(cat "$T/t200")" "symlink /sl2 $(cat "$T/t200")" >"$T/mk.cmds"
debugfs_wf "$base" "$T/mk.cmds" || fail "debugfs mk"
fsck_clean "$base"
for f in /e /z /h /past /ib /ok /sl /sl2; do
	expect_rc 0 "$E2LUA" -R "plan $f" "$base"
	assert_grep " ok " "$T/out" "$f migratable before it is damaged"
done

# ---- what e2fsck would question -----------------------------------------
img=$T/bad.img
cp "$base" "$img"
spare=$(debugfs -R "ffb 1" "$img" 2>/dev/null | sed 's/.*: //; s/ //g')
printf '%s\n' "sif /e block[0] 0" "sif /z size 0" "sif /h block[1] 0" \
	"setb $spare" "sif /sl block[1] $spare" "sif /sl blocks 4" "sif /sl2 size 100" \
	"sif /past size 1024" "sif /ib blocks 40" >"$T/bad.cmds"
debugfs_wf "$img" "$T/bad.cmds" || fail "debugfs bad"
expect_rc 0 "$E2LUA" -R "plan /e /z /h /sl /sl2 /past /ib /ok" "$img"
check_skip() {	# path reason (CORRUPT, or skip for a reserved inode)
	grep -Eq "(CORRUPT|skip) .* $1: $2" "$T/out" ||
		fail "plan $1: no [$2] in: $(grep " $1" "$T/out")"
}
check_skip /e "Inode size does not match its blocks: run e2fsck -f"
check_skip /z "Inode size does not match its blocks"
check_skip /h "Directory has a hole: run e2fsck -f"
check_skip /sl "Symlink size does not match its block: run e2fsck -f"
check_skip /sl2 "Symlink size does not match its block"
check_skip /past "Inode size does not match its blocks"
check_skip /ib "Inode's i_blocks does not match its map: run e2fsck -f"
assert_grep " ok .* /ok$" "$T/out" "plan /ok"
for f in /e /h /sl /ib; do
	expect_rc 1 "$E2LUA" -w -R "migrate $f" "$img"
done
cp "$img" "$T/orig.img"
# (debugfs setb left the free counts one off; the migration of /ok frees
# its indirect block and moves them.)
fsck_view() { e2fsck -fn "$1" 2>&1 | grep -v -e "$(basename "$1")" -e "Free blocks count wrong"; }
fsck_view "$img" >"$T/fsck.before"
grep -q "i_size is" "$T/fsck.before" || fail "e2fsck finds nothing (the case tests nothing)"
snapshot "$img" "$T/bad.json"
expect_rc 4 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua"
assert_grep "CORRUPT: *7 inodes not migrated" "$T/out" "migrate-all's corrupt count"
snapshot "$img" "$T/after.json"
assert_eq "2,11,17" "$(extent_inos "$T/bad.json" "$T/after.json")" "migrate-all migrated"
python3 "$TOP/tests/verify.py" compare "$T/bad.json" "$T/after.json" \
	--expect-extent "2,11,17" >"$T/compare.out" 2>&1 ||
	fail "migrate-all: $(grep -v '^changed inodes' "$T/compare.out" | head -n 8)"
fsck_view "$img" >"$T/fsck.after"
cmp -s "$T/fsck.before" "$T/fsck.after" ||
	fail "e2fsck's view changed: $(diff "$T/fsck.before" "$T/fsck.after" | head -n 10)"
# e2fsck -fy repairs the migrated image as it repairs the original.
e2fsck -fy "$T/orig.img" >/dev/null 2>&1
e2fsck -fy "$img" >/dev/null 2>&1
fsck_clean "$img"
snapshot "$T/orig.img" "$T/orig.json"
snapshot "$img" "$T/fixed.json"
python3 "$TOP/tests/verify.py" compare "$T/orig.json" "$T/fixed.json" \
	--expect-extent "2,11,17" >"$T/compare.out" 2>&1 ||
	fail "after e2fsck -fy: $(grep -v '^changed inodes' "$T/compare.out" | head -n 8)"

# ---- reserved inodes (read-only: e2fsck rejects lost+found below
# first_ino, and a journal that is a file) --------------------------------
img=$T/first_ino.img
cp "$base" "$img"
debugfs -w -R "ssv first_ino 18" "$img" >/dev/null 2>&1
expect_rc 0 "$E2LUA" -R "plan /ok /sl" "$img"
check_skip /ok "Reserved inode"
assert_grep " ok .* /sl$" "$T/out" "first_ino 18: /sl (18)"
img=$T/journal_inum.img
cp "$base" "$img"
debugfs -w -R "ssv journal_inum 17" "$img" >/dev/null 2>&1
expect_rc 0 "$E2LUA" -R "plan /ok" "$img"
check_skip /ok "Reserved inode"

# ---- logical block 2^32-1 -----------------------------------------------
# /big (12): block 0, and through a triple indirect chain (three spare
# blocks) one data block at lblk L; i_size and i_blocks to match.
mke2fs -q -F -t ext2 -b 8192 "$T/b8.img" 32M >/dev/null 2>&1 || fail "mke2fs 8 KiB"
printf 'x' >"$T/one"
debugfs -w -R "write $T/one /big" "$T/b8.img" >/dev/null 2>&1
set -- $(debugfs -R "ffb 4" "$T/b8.img" 2>/dev/null | sed 's/.*: //')
for L in 4294967295 4294967294; do
	img=$T/l$L.img
	cp "$T/b8.img" "$img"
	python3 - "$img" "$L" "$@" <<'EOF'
import struct, sys
img, lblk = sys.argv[1], int(sys.argv[2])
tind, dind, ind, data = map(int, sys.argv[3:7])
bs, p = 8192, 2048
i1, r = divmod(lblk - (12 + p + p * p), p * p)
i2, i3 = divmod(r, p)
f = open(img, 'r+b')
for blk, idx, val in ((tind, i1, dind), (dind, i2, ind), (ind, i3, data)):
    f.seek(blk * bs); f.write(b'\0' * bs)
    f.seek(blk * bs + 4 * idx); f.write(struct.pack('<I', val))
f.seek(data * bs); f.write(b'Z' * bs)
EOF
	printf '%s\n' "setb $1 4" "sif /big block[TIND] $1" "sif /big size $(( (L + 1) * 8192 ))" \
		"sif /big blocks 80" >"$T/l.cmds"
	debugfs -w -f "$T/l.cmds" "$img" >/dev/null 2>&1
	e2fsck -fy "$img" >/dev/null 2>&1	# the free counts debugfs leaves
	fsck_clean "$img"
done
img=$T/l4294967295.img
expect_rc 0 "$E2LUA" -R "plan /big" "$img"
check_skip /big "Logical block too large for an extent"
s0=$(sum "$img")
expect_rc 1 "$E2LUA" -w -R "migrate /big" -R commit "$img"
assert_grep "migrate /big: Logical block too large for an extent" "$T/err" "migrate at 2^32-1"
assert_eq "$s0" "$(sum "$img")" "2^32-1: image changed"
img=$T/l4294967294.img
snapshot "$img" "$T/l.json"
expect_rc 0 "$E2LUA" -w -R "migrate /big" -R commit "$img"
check_migrated "$T/l.json" "$img" 12 "2^32-2"
debugfs -R "ex /big" "$img" 2>/dev/null | grep -q "4294967294 - 4294967294" ||
	fail "2^32-2: no extent at 4294967294: $(debugfs -R "ex /big" "$img" 2>/dev/null)"
finish
