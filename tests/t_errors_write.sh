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

# The disk fails under a commit (sigint_at.so's EIO mode: every write and
# fsync of the image from the Kth on).  From the first fsync (step 0's):
# the commit fails, and so does writing the superblock back: the shell
# must not say "nothing was changed on disk" but tell to run e2fsck
# (E2C_ERR_RESTORE_FAILED); from the first write of an inode-table block
# (step 3) on: a partial commit.  Lua's error carries step, written,
# cause and flush.
eio_commit() {	# WHAT IMG e2lua-args...: the commit with writes failing from WHAT
	ec_what=$1 ec_img=$2
	shift 2
	[ -f "$SIGINT_LIB" ] || { fail "$SIGINT_LIB missing (make check builds it)"; return; }
	rm -f "$T/io.log"
	SIGINT_AT=$ec_what SIGINT_AT_ACTION=eio SIGINT_AT_FILE=$ec_img SIGINT_AT_LOG=$T/io.log \
	LD_PRELOAD="$(asan_preload "$E2LUA") $SIGINT_LIB" \
		"$E2LUA" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	grep -q '^EIO$' "$T/io.log" 2>/dev/null || fail "EIO from $ec_what: that call never came"
}
cp "$img" "$T/eio.img"
eio_commit sync#1 "$T/eio.img" -w -R "migrate /frag" -R commit "$T/eio.img"
assert_eq 1 "$rc" "restore failed: exit status"
assert_grep "^commit: failed at step 0 of 5 (.*), and writing the superblock back as it was failed too" \
	"$T/err" "restore failed: the shell says so"
assert_grep "e2fsck -f $T/eio.img" "$T/err" "restore failed: run e2fsck"
assert_grep "commit .*eio.img: The commit failed and restoring the superblock also failed" \
	"$T/err" "restore failed: the error"
grep -q "nothing was changed on disk" "$T/err" && fail "restore failed: says nothing changed"
cp "$img" "$T/eio.img"
eio_commit sync#1 "$T/eio.img" -w -e '
local tx = fs:begin()
tx:migrate("/frag")
local ok, err = pcall(tx.commit, tx)
print(ok, err.code == e2.errors.E2C_ERR_RESTORE_FAILED, err.step, err.written,
	err.cause ~= nil and err.cause ~= 0, err.flush ~= nil)' "$T/eio.img"
assert_grep "^false	true	0	0	true	true$" "$T/out" "restore failed: err.step, written, cause, flush"
cp "$img" "$T/eio.img"
frag_ino=$("$E2LUA" -e 'print(fs:lookup("/frag"))' "$img")
eio_commit "write@$(itable_byte "$img" "$frag_ino")" "$T/eio.img" -w -e '
local tx = fs:begin()
tx:migrate("/frag")
tx:migrate("/twelve")
local ok, err = pcall(tx.commit, tx)
print(ok, err.code == e2.errors.E2C_ERR_COMMIT_PARTIAL, err.step >= 3, err.written,
	err.cause ~= nil and err.cause ~= 0, err.flush ~= nil)' "$T/eio.img"
grep -Eq "^false	true	true	[0-9]+	true	true$" "$T/out" ||
	fail "partial: err.step, written, cause, flush: $(cat "$T/out" "$T/err")"

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
