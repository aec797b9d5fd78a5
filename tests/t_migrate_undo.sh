#!/bin/sh
# t_migrate_undo.sh -- nothing is written before a commit, and a commit
# can be undone: rollback, quitting with staged work, a failed stage and
# a read-only plan leave the image byte-identical (sha256); after a commit
# made with -z UNDO, e2undo UNDO IMAGE restores it byte for byte.
. "$(dirname "$0")/lib.sh"

for kind_bs in "ext3 1024" "ext4noext 4096"; do
	set -- $kind_bs
	kind=$1 bs=$2 what="$1 $2"
	img=$T/$kind-$bs.img
	mk_image "$img" "$kind" "$bs" || { fail "mk_image $what"; continue; }
	orig=$(sum "$img")

	# plan reads only.
	expect_rc 0 "$E2LUA" "$img" -R "plan /frag /dind /sparse_tind /"
	assert_eq "$orig" "$(sum "$img")" "$what: plan"

	# Stage, roll back, stage again, roll back; then stage and quit.
	printf '%s\n' "migrate /frag /dind /sparse_tind /dir/big /" pending \
		rollback pending "migrate /frag /sparse_dind" rollback \
		"migrate /frag /dind" >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
	assert_grep "^rolled back 5 staged inodes" "$T/out" "$what rollback"
	assert_grep "^nothing staged" "$T/out" "$what pending after rollback"
	assert_grep "rolled back 2 staged inodes (not committed)" "$T/err" "$what quit"
	assert_eq "$orig" "$(sum "$img")" "$what: rollback and quit"

	# A stage that fails (a fifo, a missing file) writes nothing either.
	expect_rc 1 "$E2LUA" -w "$img" -R "migrate /fifo /nonexistent /tiny"
	assert_grep "migrate /fifo: Inode has no block map" "$T/err" "$what fifo"
	assert_grep "migrate /nonexistent: File not found" "$T/err" "$what missing"
	assert_grep "^staged [0-9]* /tiny:" "$T/out" "$what: the others still staged"
	assert_eq "$orig" "$(sum "$img")" "$what: failed stage"

	# Commit under -z, then e2undo.
	cp "$img" "$T/orig.img"
	rm -f "$T/undo"
	printf '%s\n' "migrate /frag /dind /sparse_tind /dir/big / /slowlink" \
		commit >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -z "$T/undo" -f "$T/cmds" "$img"
	assert_grep "^committed 6 inodes" "$T/out" "$what commit"
	fsck_clean "$img"
	[ "$(sum "$img")" != "$orig" ] || fail "$what: the commit wrote nothing"
	expect_rc 0 e2undo "$T/undo" "$img"
	assert_eq "$orig" "$(sum "$img")" "$what: e2undo after commit"
done
finish
