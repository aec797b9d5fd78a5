#!/bin/sh
# t_errors_corrupt.sh -- corrupt metadata past what t_badinput_maps.sh
# covers: group descriptors, an extent header, a tree deeper than allowed,
# overlapping and out-of-order extents, an absurd i_size, a directory loop,
# a block shared by two inodes, a corrupt resize inode, a block in use but
# free in the bitmap (more of these: tests/t_safety_*.sh).
# Reading commands say what is wrong (exit 1) or show what debugfs shows;
# opening for write and planning refuse what they cannot handle safely;
# nothing is written where nothing should be, and a migration never makes
# the damage worse (e2fsck -fy then repairs the image, contents intact).
# doc/errors.md lists these cases.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# damaged NAME BASE REQUEST...: $T/NAME.img, a copy of BASE changed by
# the debugfs -w requests; its checksum in $T/NAME.sum.
damaged() {
	name=$1 base=$2
	shift 2
	cp "$base" "$T/$name.img"
	debugfs_w "$T/$name.img" "$@" || fail "$name: debugfs $*"
	sum "$T/$name.img" >"$T/$name.sum"
}
# unchanged NAME: the image is still what damaged() made.
unchanged() {
	assert_eq "$(cat "$T/$1.sum")" "$(sum "$T/$1.img")" "$1: image changed"
}
# fails NAME PATTERN ARGS...: e2lua ARGS on NAME.img exits 1 with PATTERN
# (grep -E) on stderr.
fails() {
	name=$1 pat=$2
	shift 2
	expect_rc 1 "$E2LUA" "$@" "$T/$name.img"
	grep -Eq -- "$pat" "$T/err" || fail "$name $*: no /$pat/ in: $(head -c 300 "$T/err")"
}
# stat_field IMG PATH SED-EXPR: a number from debugfs stat (a failure if none).
stat_field() {
	sf_v=$(debugfs -R "stat $2" "$1" 2>/dev/null | sed -n "$3")
	[ -n "$sf_v" ] || fail "no [$3] in debugfs stat $2"
	echo "$sf_v"
}
inode_of() { stat_field "$1" "$2" 's/^Inode: \([0-9]*\).*/\1/p'; }
ind_of() { stat_field "$1" "$2" 's/.*(IND):\([0-9]*\).*/\1/p'; }
mk_image "$T/e3.img" ext3 1024 16M || { fail "mk_image ext3"; finish; }
mk_image "$T/e4.img" ext4 1024 16M || { fail "mk_image ext4"; finish; }

# ---- group descriptors -------------------------------------------------
# A bitmap or table outside the filesystem: libext2fs reads such a bitmap
# as all free, so a read-only open works (as debugfs's does) but -w, which
# would allocate over data, is refused.
damaged gd_bmap "$T/e3.img" "set_bg 1 block_bitmap 99999999"
expect_rc 0 "$E2LUA" -R "stats -h" "$T/gd_bmap.img"
expect_rc 2 "$E2LUA" -w -R "stats -h" "$T/gd_bmap.img"
assert_grep "gd_bmap.img: Corrupt group descriptor: bad block for block bitmap" "$T/err" \
	"-w with a bad block bitmap location"
damaged gd_itable "$T/e3.img" "set_bg 1 inode_table 99999999"
expect_rc 2 "$E2LUA" -w -R "stats -h" "$T/gd_itable.img"
assert_grep "Corrupt group descriptor: bad block for inode table" "$T/err" \
	"-w with a bad inode table location"
unchanged gd_bmap
unchanged gd_itable
# metadata_csum: a descriptor whose checksum does not match (bg_checksum
# of group 1, at byte 30 of its 64-byte descriptor in block 2).  The
# kernel would not mount it; e2lua reads it (as debugfs) but will not
# write it.
cp "$T/e4.img" "$T/gd_csum.img"
printf '\125\125' | dd of="$T/gd_csum.img" bs=1 seek=$((2048 + 64 + 30)) conv=notrunc 2>/dev/null
sum "$T/gd_csum.img" >"$T/gd_csum.sum"
expect_rc 0 "$E2LUA" -R "stats -h" "$T/gd_csum.img"
expect_rc 2 "$E2LUA" -w -R "stats -h" "$T/gd_csum.img"
assert_grep "gd_csum.img: Group descriptor checksum does not match: run e2fsck -f first" \
	"$T/err" "-w with a bad descriptor checksum"
unchanged gd_csum

# ---- extent trees (ext4: /sparse_ind has two extents in i_block) --------
# i_block[0] = magic | entries << 16, [1] = max | depth << 16, entry 2 at
# [6..8] (ee_block, len | start_hi << 16, start_lo).
damaged ext_hdr "$T/e4.img" "sif /sparse_ind block[0] 0x0002f30b"
for c in "blocks /sparse_ind" "ex /sparse_ind" "stat /sparse_ind" "bmap /sparse_ind 3"; do
	fails ext_hdr "Corrupt extent header" -R "$c"
done
damaged ext_deep "$T/e4.img" "sif /sparse_ind block[1] 0x00060004"
for c in "blocks /sparse_ind" "ex /sparse_ind" "stat /sparse_ind"; do
	fails ext_deep "${c%% *}.* /sparse_ind: Extent tree deeper than allowed" -R "$c"
done
fails ext_deep "holes <[0-9]*>: Extent tree deeper" -e "for l in fs:inode('/sparse_ind'):holes() do end"
damaged ext_overlap "$T/e4.img" "sif /sparse_ind block[6] 3"
damaged ext_order "$T/e4.img" "sif /sparse_ind block[6] 2"
first=$(debugfs -R "blocks /sparse_ind" "$T/e4.img" 2>/dev/null | cut -d' ' -f1)
for n in ext_overlap ext_order; do
	fails $n "blocks /sparse_ind: Extents overlap or are out of order" -R "blocks /sparse_ind"
	assert_eq "$first " "$(cat "$T/out")" "$n: the blocks before the bad extent"
	fails $n "ex /sparse_ind: Extents overlap" -R "ex /sparse_ind"	# as typed
	fails $n "runs <[0-9]*>: Extents overlap" -e "for l in fs:inode('/sparse_ind'):runs() do end"
	fails $n "holes <[0-9]*>: Extents overlap" -e "for l in fs:inode('/sparse_ind'):holes() do end"
	e2fsck -fn "$T/$n.img" >"$T/fsck.out" 2>&1 &&
		fail "$n: e2fsck finds nothing wrong (the case tests nothing)"
done
for n in ext_hdr ext_deep ext_overlap ext_order; do unchanged $n; done

# ---- absurd i_size on a block-mapped file ------------------------------
damaged size60 "$T/e3.img" "sif /sparse_ind size 0x1000000000000000"
damaged sizemax "$T/e3.img" "sif /sparse_ind size 0xffffffffffffffff"
for n in size60 sizemax; do
	expect_rc 0 "$E2LUA" -R "blocks /sparse_ind" "$T/$n.img"
	expect_rc 0 "$E2LUA" -R "plan /sparse_ind" "$T/$n.img"
	assert_grep "CORRUPT .*/sparse_ind: File size beyond what the block map can address" "$T/out" \
		"$n: plan"
	fails $n "migrate /sparse_ind: File size beyond what the block map can address" \
		-w -R "migrate /sparse_ind"
	unchanged $n
done
# holes() ends with the hole up to i_size, however large (no overflow).
expect_rc 0 "$E2LUA" -e "for l, n in fs:inode('/sparse_ind'):holes() do print(l, n) end" \
	"$T/sizemax.img"
assert_eq "21	18014398509481963" "$(tail -n 1 "$T/out")" "holes up to i_size 2^64-1"

# ---- a directory loop: /a/b/up is /a, and /a's ".." is /a/b ------------
damaged loop "$T/e3.img" "mkdir /a" "mkdir /a/b" "link /a /a/b/up" "unlink /a/.." \
	"link /a/b /a/.."
a=$(inode_of "$T/loop.img" /a)
b=$(inode_of "$T/loop.img" /a/b)
fails loop "walk /a/b/up: directory <$a> reached twice \(a directory loop\)" \
	-e "for p in fs:walk('/') do print(p) end"
assert_grep "^/a/b$" "$T/out" "walk yields what comes before the loop"
# ncheck follows ".." chains as debugfs does, which gives up after a while.
expect_rc 0 "$E2LUA" -R "ncheck $a $b" "$T/loop.img"
debugfs -R "ncheck $a $b" "$T/loop.img" 2>/dev/null >"$T/d.out"
cmp -s "$T/d.out" "$T/out" || fail "loop: ncheck differs from debugfs: $(diff "$T/d.out" "$T/out")"
expect_rc 0 "$E2LUA" -R "ls -r /a/b/up" "$T/loop.img"
expect_rc 0 "$E2LUA" -e "print(fs:path($b) == nil)" "$T/loop.img"
assert_eq "true" "$(cat "$T/out")" "loop: fs:path of an inode without a name"
unchanged loop

# ---- a block shared by two inodes --------------------------------------
# /sparse_ind's IND pointer is /thirteen's IND block; /twelve's first data
# block is /dind's IND block.  Freeing any of these would hand out a block
# another inode still uses, so plan refuses all four inodes.
ind13=$(ind_of "$T/e3.img" /thirteen)
inddind=$(ind_of "$T/e3.img" /dind)
damaged shared "$T/e3.img" "sif /sparse_ind block[IND] $ind13" "sif /twelve block[0] $inddind"
expect_rc 0 "$E2LUA" -R "plan /thirteen /sparse_ind /dind /twelve /ind_edge" "$T/shared.img"
for f in /thirteen /sparse_ind /dind /twelve; do
	assert_grep "CORRUPT .* $f: Block mapped twice" "$T/out" "shared: plan $f"
done
assert_grep " ok .* /ind_edge$" "$T/out" "shared: an unrelated file is still migratable"
fails shared "migrate /thirteen: Block mapped twice" -w -R "migrate /thirteen"
unchanged shared
# migrate-all migrates everything else and leaves the damage as it was.
e2fsck -fn "$T/shared.img" 2>&1 | grep "^Multiply-claimed" >"$T/dups.before"
[ -s "$T/dups.before" ] || fail "shared: e2fsck reports no multiply-claimed blocks"
snapshot "$T/shared.img" "$T/shared.json"
# Corruption is reported apart from the harmless skips, with exit status 4.
expect_rc 4 "$E2LUA" -w "$T/shared.img" "$TOP/scripts/migrate-all.lua"
assert_grep "^  CORRUPT: *4 inodes not migrated (Block mapped twice (by two inodes, or twice by one): 4): run e2fsck -f$" "$T/out" \
	"shared: migrate-all's corrupt count"
assert_grep "migrate-all: 4 inodes with a corrupt map or inode, left as they are: run e2fsck -f" \
	"$T/err" "shared: migrate-all's corrupt message"
e2fsck -fn "$T/shared.img" 2>&1 | grep "^Multiply-claimed" >"$T/dups.after"
cmp -s "$T/dups.before" "$T/dups.after" ||
	fail "shared: multiply-claimed blocks changed: $(diff "$T/dups.before" "$T/dups.after")"
snapshot "$T/shared.img" "$T/after.json"
inos=$(extent_inos "$T/shared.json" "$T/after.json")
for f in /thirteen /sparse_ind /dind /twelve; do
	case ",$inos," in *",$(inode_of "$T/e3.img" $f),"*) fail "shared: $f was migrated" ;; esac
done
python3 "$TOP/tests/verify.py" compare "$T/shared.json" "$T/after.json" \
	--expect-extent "$inos" >"$T/compare.out" 2>&1 ||
	fail "shared: $(grep -v '^changed inodes' "$T/compare.out" | head -n 8)"
e2fsck -fy "$T/shared.img" >/dev/null 2>&1
fsck_clean "$T/shared.img"

# ---- a corrupt resize inode ---------------------------------------------
# Its DIND pointer is /thirteen's IND block: that block, and what the walk
# reaches under it, are the resize inode's, so metadata, and mapped twice.
# The metadata map and the owners map take the resize inode's map from
# one walk of it (core/fs.c): /thirteen is still refused, the rest
# migrated.
damaged resize "$T/e3.img" "sif <7> block[DIND] $ind13"
expect_rc 0 "$E2LUA" -R "plan /thirteen /ind_edge" "$T/resize.img"
assert_grep "CORRUPT .* /thirteen: Block pointer into filesystem metadata" "$T/out" \
	"resize: plan /thirteen"
assert_grep " ok .* /ind_edge$" "$T/out" "resize: an unrelated file is still migratable"
expect_rc 4 "$E2LUA" -w "$T/resize.img" "$TOP/scripts/migrate-all.lua"
assert_grep "^  CORRUPT: *1 inode not migrated (Block pointer into filesystem metadata: 1)" \
	"$T/out" "resize: migrate-all's corrupt count"
assert_eq "$ind13" "$(ind_of "$T/resize.img" /thirteen)" "resize: /thirteen was migrated"

# ---- a block in use but free in the bitmap ------------------------------
# The block after /frag's first is some other file's; freed in the bitmap,
# it is where /frag's index block would go.  The bitmap is wrong, so the
# write is refused (staging, and the commit) and the image stays as it
# was; after e2fsck -fy the same migration works.
fb=$(debugfs -R "blocks /frag" "$T/e3.img" 2>/dev/null | cut -d' ' -f1)
victim=$(debugfs -R "icheck $((fb + 1))" "$T/e3.img" 2>/dev/null | sed -n 2p | cut -f2)
[ -n "$victim" ] && [ "$victim" != "<block not found>" ] ||
	fail "bitmap: block $((fb + 1)) belongs to nobody (the case tests nothing)"
damaged bitmap "$T/e3.img" "freeb $((fb + 1))"
fails bitmap "migrate /frag: Block bitmap disagrees with the filesystem.*run e2fsck -f" \
	-w -R "migrate /frag" -R commit
unchanged bitmap
e2fsck -fy "$T/bitmap.img" >/dev/null 2>&1
fsck_clean "$T/bitmap.img"
snapshot "$T/bitmap.img" "$T/bitmap.json"
expect_rc 0 "$E2LUA" -w -R "migrate /frag" -R commit "$T/bitmap.img"
check_migrated "$T/bitmap.json" "$T/bitmap.img" "$(inode_of "$T/e3.img" /frag)" \
	"bitmap, after e2fsck -fy"
finish
