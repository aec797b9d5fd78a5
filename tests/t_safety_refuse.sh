#!/bin/sh
# t_safety_refuse.sh -- a refusal never changes a byte (issues 8 and 9).
# Every state and feature that makes e2lua -w refuse, each on an image of
# its own: journal recovery, not clean, errors, orphans (list and
# orphan_present), quota and project quota (the message names the
# tune2fs workaround), an unknown feature, mmp (never started, so its
# block is not touched and e2fsck stays clean), mounted since last
# checked (s_lastcheck < s_mtime; --force and e2.open{force=true} write
# anyway), superblock values e2fsck questions (first_ino 5, reserved
# blocks above half, more free inodes than inodes), revision 0, a bad
# descriptor checksum or location, mounted (libext2fs's PRETEND hooks),
# another writer's lock.  Each: exit 2, the message, the image's sha256
# the same, with and without -z; the same from e2.open(); a read-only
# open still works (but for a descriptor checksum: libext2fs then reads
# an uninitialised group's bitmap, and fails on its checksum).
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

mkdir "$T/tree"
python3 -c "open('$T/tree/f', 'wb').write(b'F' * 20 * 1024)"
mkbase() {	# IMG MKE2FS-OPTIONS...
	img=$1
	shift
	mke2fs -q -F -b 1024 "$@" -d "$T/tree" "$img" 16M >/dev/null 2>&1 ||
		fail "mke2fs $*"
}
mkbase "$T/ext3.img" -t ext3
fsck_clean "$T/ext3.img"

# refused IMG PATTERN [ENV...]: e2lua -w (with and without -z) exits 2
# with PATTERN (grep -E), the image unchanged; e2.open the same; plan
# read-only works (unless NO_RO=1).
refused() {
	img=$1 pat=$2
	shift 2
	before=$(sum "$img")
	name=$(basename "$img" .img)
	for z in "" "-z $T/$name.undo"; do
		# shellcheck disable=SC2086
		env "$@" "$E2LUA" -w $z -R "migrate /f" -R commit "$img" >"$T/out" 2>"$T/err"
		assert_eq 2 $? "$name ${z:+-z}: exit status"
		grep -Eq -- "$pat" "$T/err" ||
			fail "$name ${z:+-z}: no [$pat] in: $(head -c 300 "$T/err")"
		assert_eq "$before" "$(sum "$img")" "$name ${z:+-z}: image changed"
	done
	env "$@" "$E2LUA" -e "
local ok, err = pcall(e2.open, '$img', {write = true})
print(ok, err)" >"$T/out" 2>&1
	grep -Eq -- "^false	open .*$name.img: .*($pat)" "$T/out" ||
		fail "$name: e2.open: $(cat "$T/out")"
	assert_eq "$before" "$(sum "$img")" "$name: e2.open: image changed"
	[ "${NO_RO:-0}" = 1 ] || env "$@" "$E2LUA" -R "plan /f" "$img" >"$T/out" 2>&1 ||
		fail "$name: read-only plan failed: $(cat "$T/out")"
}

# variant NAME PATTERN REQUEST...: a copy of the ext3 image changed by
# debugfs -w REQUESTs, then refused.
variant() {
	name=$1 pat=$2
	shift 2
	cp "$T/ext3.img" "$T/$name.img"
	for r in "$@"; do
		debugfs_w "$T/$name.img" "$r" || fail "$name: debugfs $r"
	done
	refused "$T/$name.img" "$pat"
}
variant recovery "Journal needs recovery: run e2fsck first" "feature needs_recovery"
variant notclean "not clean: run e2fsck -f first" "ssv state 0"
variant errors "has errors: run e2fsck -f first" "ssv state 3"
variant orphans "Orphan list is not empty: run e2fsck first" "ssv last_orphan 12"
variant unknown "feature e2lua cannot write safely" "feature lazy_bg"
variant checked "mounted since it was last checked: run e2fsck -f first \(or --force\)" \
	"ssv mtime 20300101"
variant first_ino "Superblock has values e2fsck would question: run e2fsck -f first" \
	"ssv first_ino 5"
variant r_blocks "Superblock has values e2fsck would question" \
	"ssv r_blocks_count 9000"
variant free_inodes "Superblock has values e2fsck would question" \
	"ssv free_inodes_count 99999"
variant desc_loc "Corrupt group descriptor: bad block for block bitmap" \
	"set_bg 1 block_bitmap 99999999"
# e2fsck questions those superblocks (the cases test something); a free
# count above the total it only recomputes (resize2fs refuses it); a
# mount time after the last check alone is nothing wrong.
for v in first_ino r_blocks; do
	e2fsck -fn "$T/$v.img" >"$T/fsck.out" 2>&1 &&
		fail "$v: e2fsck questions nothing: $(head -n 5 "$T/fsck.out")"
done
fsck_clean "$T/checked.img"

# Images mke2fs makes that way.
mkbase "$T/orphan_present.img" -t ext4 -O orphan_file
debugfs -w -R "feature orphan_present" "$T/orphan_present.img" >/dev/null 2>&1
refused "$T/orphan_present.img" "Orphan list is not empty"
mkbase "$T/quota.img" -t ext4 -O quota,^extent,^64bit
refused "$T/quota.img" "quotas.*tune2fs -O \^quota.*tune2fs -O quota"
mkbase "$T/project.img" -t ext4 -I 256 -O project
refused "$T/project.img" "quotas.*tune2fs -O \^quota"
mkbase "$T/rev0.img" -t ext2 -r 0
refused "$T/rev0.img" "Revision 0 filesystem: it cannot take the extent feature"
mkbase "$T/mmp.img" -t ext4 -O mmp -E mmp_update_interval=1
refused "$T/mmp.img" "multi-mount protection \(mmp\), which e2lua does not support"
fsck_clean "$T/mmp.img"
# A descriptor checksum (metadata_csum): group 1's bg_checksum.
mkbase "$T/desc_csum.img" -t ext4
debugfs -w -R "set_bg 1 checksum 0x1234" "$T/desc_csum.img" >/dev/null 2>&1
NO_RO=1
refused "$T/desc_csum.img" "Group descriptor checksum does not match: run e2fsck -f first"
NO_RO=0

# Mounted (libext2fs's hooks), and locked by another writer (flock(1)
# holds the lock while e2lua runs: no race).
cp "$T/ext3.img" "$T/mounted.img"
refused "$T/mounted.img" "Filesystem is mounted: refusing to open it for write" \
	EXT2FS_PRETEND_RW_MOUNT=1
refused "$T/mounted.img" "Filesystem is mounted" EXT2FS_PRETEND_RO_MOUNT=1
cp "$T/ext3.img" "$T/locked.img"
before=$(sum "$T/locked.img")
flock -x "$T/locked.img" "$E2LUA" -w -R "migrate /f" -R commit "$T/locked.img" \
	>"$T/out" 2>"$T/err"
assert_eq 2 $? "locked: exit status"
assert_grep "Image is locked by another e2lua writer" "$T/err" "locked"
assert_eq "$before" "$(sum "$T/locked.img")" "locked: image changed"

# The workarounds the messages give work: tune2fs -O extent upgrades
# revision 0; quotas off, migrate, quotas on (tune2fs recounts).
for v in rev0 quota; do
	img=$T/$v.img
	case $v in
	rev0) tune2fs -O extent "$img" >/dev/null 2>&1 ;;
	quota) tune2fs -O ^quota "$img" >/dev/null 2>&1 ;;
	esac
	snapshot "$img" "$T/$v.json"
	expect_rc 0 "$E2LUA" -w -R "migrate /f" -R commit "$img"
	check_migrated "$T/$v.json" "$img" 12 "$v: the workaround"
done
tune2fs -O quota "$T/quota.img" >/dev/null 2>&1 || fail "tune2fs -O quota"
fsck_clean "$T/quota.img"

# --force: only for "mounted since last checked", as resize2fs -f.
img=$T/checked.img
snapshot "$img" "$T/checked.json"
expect_rc 2 "$E2LUA" --force -R "migrate /f" "$img"
assert_grep "force needs -w" "$T/err" "--force without -w"
expect_rc 2 "$E2LUA" -w --force -R "migrate /f" "$T/first_ino.img"
assert_grep "Superblock has values e2fsck would question" "$T/err" "--force: first_ino"
expect_rc 0 "$E2LUA" -e "
local ok, err = pcall(e2.open, '$img', {force = true})
assert(not ok and tostring(err):match('needs write=true'), tostring(err))
local fs <close> = e2.open('$img', {write = true, force = true})
assert(fs.writable)"
expect_rc 0 "$E2LUA" -w --force -R "migrate /f" -R commit "$img"
check_migrated "$T/checked.json" "$img" 12 "--force"
finish
