#!/bin/sh
# t_errors_write.sh -- opening for write where writing is not safe or not
# possible, and a migration with no room left: a mounted filesystem (the
# EXT2FS_PRETEND_*_MOUNT hooks of ext2fs_check_if_mounted), an image file
# the kernel will not open for writing (chattr +i: root ignores chmod),
# and a full filesystem.  Each gets its message and exit status, and the
# image stays byte-identical.  (Journal recovery, errors, not clean,
# orphans, quotas and a second writer: t_migrate_refuse.sh.)
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/a.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
s0=$(sum "$img")

# Mounted, read-write or read-only: -w is refused before anything is
# opened; a read-only open still works, as debugfs's does.
for how in RW RO; do
	env "EXT2FS_PRETEND_${how}_MOUNT=1" "$E2LUA" -w -R "migrate /frag" "$img" \
		>"$T/out" 2>"$T/err"
	assert_eq 2 $? "mounted $how: exit status"
	assert_grep "a.img: Filesystem is mounted: refusing to open it for write" "$T/err" \
		"mounted $how"
	env "EXT2FS_PRETEND_${how}_MOUNT=1" "$E2LUA" -R "plan /frag" "$img" >"$T/out" 2>&1 ||
		fail "mounted $how: read-only plan failed: $(cat "$T/out")"
done
# The hook must be what made the difference.
expect_rc 0 "$E2LUA" -w -R "stats -h" "$img"
assert_eq "$s0" "$(sum "$img")" "mounted: image changed"

# A file that cannot be opened for writing.
if chattr +i "$img" 2>/dev/null; then
	expect_rc 2 "$E2LUA" -w -R "migrate /frag" "$img"
	assert_grep "a.img: Operation not permitted" "$T/err" "immutable image with -w"
	expect_rc 0 "$E2LUA" -R "plan /frag" "$img"
	chattr -i "$img"
	assert_eq "$s0" "$(sum "$img")" "immutable: image changed"
else
	note "chattr +i not supported on $T's filesystem: read-only file case not run"
fi

# A full filesystem: no room for /frag's index blocks.
fill_fs "$img"
printf 'migrate /twelve\nmigrate /frag\ncommit\n' >"$T/cmds"
expect_rc 1 "$E2LUA" -w -f "$T/cmds" "$img"
assert_grep "cmds:2: migrate /frag: Not enough free blocks for the new index blocks" "$T/err" \
	"full: migrate"
assert_grep "^committed 1 inode" "$T/out" "full: what could be staged is committed"
fsck_clean "$img"
# Nothing staged at all: byte-identical.
cp "$img" "$T/b.img"
s1=$(sum "$T/b.img")
expect_rc 1 "$E2LUA" -w -R "migrate /frag" "$T/b.img"
assert_grep "migrate /frag: Not enough free blocks" "$T/err" "full: migrate alone"
expect_rc 0 "$E2LUA" -R "plan /frag" "$T/b.img"
grep -q "skip .*/frag: Not enough free blocks" "$T/out" || fail "full: plan: $(cat "$T/out")"
assert_eq "$s1" "$(sum "$T/b.img")" "full: a refused migration changed the image"
finish
