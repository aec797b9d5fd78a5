#!/bin/sh
# t_migrate_refuse.sh -- opening for write is refused, with exit 2, a
# message saying why and what to do, and the image untouched, when the
# filesystem is not clean, has errors, has orphans, needs journal recovery,
# has quotas or a feature e2lua does not write, or another writer holds
# the image.  Read-only opens of the same images still work (plan), and
# migrate/commit need -w.
. "$(dirname "$0")/lib.sh"

base=$T/base.img
mk_image "$base" ext3 1024 || fail "mk_image"

refused() {	# img pattern what
	before=$(sum "$1")
	expect_rc 2 "$E2LUA" -w "$1" -R "migrate /frag"
	grep -Eq -- "$2" "$T/err" || fail "$3: no [$2] in: $(head -c 300 "$T/err")"
	assert_eq "$before" "$(sum "$1")" "$3: image changed"
	expect_rc 0 "$E2LUA" "$1" -R "plan /frag"
	assert_grep "^total: 1 inode, 1 migratable" "$T/out" "$3: read-only plan"
}

# debugfs -w, then the refusal.
variant() {	# name debugfs-request pattern
	cp "$base" "$T/$1.img"
	debugfs_w "$T/$1.img" "$2" || fail "debugfs $2"
	refused "$T/$1.img" "$3" "$1"
}
variant notclean "ssv state 0" "not clean.*e2fsck -f"
variant errors "ssv state 3" "has errors.*e2fsck -f"
variant orphans "ssv last_orphan 12" "Orphan list.*e2fsck"
variant recovery "feature needs_recovery" "needs recovery.*e2fsck"
variant unknown "feature lazy_bg" "feature e2lua cannot write"

# Quotas: e2lua cannot update their usage, so it refuses.
mke2fs -q -F -t ext4 -O ^extent,^64bit,quota -b 1024 "$T/quota.img" 8M >/dev/null 2>&1 ||
	fail "mke2fs quota"
before=$(sum "$T/quota.img")
expect_rc 2 "$E2LUA" -w "$T/quota.img" -R "pending"
assert_grep "quotas" "$T/err" "quota"
assert_eq "$before" "$(sum "$T/quota.img")" "quota: image changed"

# A second writer while the first holds the lock.
cp "$base" "$T/locked.img"
mkfifo "$T/hold" "$T/said"
"$E2LUA" -w "$T/locked.img" <"$T/hold" >"$T/said" 2>&1 &
first=$!
exec 9>"$T/hold"		# the first writer now waits on its stdin
exec 8<"$T/said"
# Handshake: it answers a line on its stdin only after opening the image,
# i.e. while holding the lock; the test blocks reading its answer.
# (Probing with flock(1) would itself take the lock for a moment, and the
# first writer could start right then.)
echo 'print("ready")' >&9
read -r line <&8
[ "$line" = ready ] || fail "the first writer never got ready: $line $(cat <&8)"
expect_rc 2 "$E2LUA" -w "$T/locked.img" -R "migrate /frag"
assert_grep "locked by another e2lua writer" "$T/err" "second writer"
expect_rc 0 "$E2LUA" "$T/locked.img" -R "plan /frag"
exec 9>&-
cat <&8 >"$T/first.out"
exec 8<&-
wait $first || fail "the first writer failed: $(cat "$T/first.out")"

# Without -w: migrate and commit are refused before doing anything.
expect_rc 1 "$E2LUA" "$base" -R "migrate /frag"
grep -Eq "read-only|-w" "$T/err" || fail "migrate without -w: $(cat "$T/err")"
expect_rc 1 "$E2LUA" "$base" -R "commit"
grep -Eq "read-only|-w" "$T/err" || fail "commit without -w: $(cat "$T/err")"
finish
