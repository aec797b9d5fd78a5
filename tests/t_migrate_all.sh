#!/bin/sh
# t_migrate_all.sh -- `migrate` every migratable inode through the shell,
# then `commit`, on ext2, ext3 and ext4 without extents (metadata_csum,
# huge_file, flex_bg) at 1 KiB and 4 KiB.  Checked against real tools:
# e2fsck -fn clean; every content identical and exactly the chosen inodes
# extent-mapped, every other inode byte-identical (tests/verify.py, from
# debugfs); free blocks = before - index blocks + freed indirect blocks
# (the independent model's and e2fsck's count); trees of depth 0, 1 and 2
# (debugfs ex); holes kept (runs and holes from debugfs stat).
. "$(dirname "$0")/lib.sh"

# Runs and holes of the files with holes and deep trees, from debugfs stat.
layout() {	# img out
	printf 'stat %s\n' /sparse_ind /sparse_dind /sparse_tind /sparse_tail \
		/deep /frag /dind >"$T/stat.cmds"
	debugfs -f "$T/stat.cmds" "$1" >"$T/stat.out" 2>/dev/null
	runs_from_stat "$T/stat.out" "$bs" >"$2"
}

# Depth of a file's tree: debugfs ex's first column "0/ D".
depth() {	# img path
	debugfs -R "ex $2" "$1" 2>/dev/null |
		sed -n '2s/^ *[0-9]*\/ *\([0-9]*\) .*/\1/p'
}

one() {	# kind bs frag deep want_frag_depth want_deep_depth
	kind=$1 bs=$2
	img=$T/$kind-$bs.img
	FRAG_BLOCKS=$3 mk_image "$img" "$kind" "$bs" || { fail "mk_image $kind $bs"; return; }
	mk_frag_file "$img" /deep "$4" || { fail "mk_frag_file"; return; }
	fsck_clean "$img"
	snapshot "$img" "$T/before.json"
	python3 "$TOP/tests/verify.py" expect "$T/before.json" >"$T/model" ||
		{ fail "$kind $bs: model"; return; }
	inos=$(sed -n 1p "$T/model")
	model_free=$(sed -n 2p "$T/model")
	free0=$(free_blocks "$img")
	layout "$img" "$T/layout.before"
	[ -n "$inos" ] || { fail "$kind $bs: nothing to migrate"; return; }

	# plan (read-only) predicts what migrate stages and commit writes.
	args=$(echo "$inos" | tr ',' '\n' | sed 's/.*/<&>/' | tr '\n' ' ')
	expect_rc 0 "$E2LUA" "$img" -R "plan $args"
	n=$(echo "$inos" | tr ',' '\n' | grep -c .)
	assert_grep "^total: $n inodes, $n migratable, 0 skipped" "$T/out" "$kind $bs plan"
	delta=$(sed -n 's/.*used blocks \([-+][0-9]*\)$/\1/p' "$T/out")
	assert_eq "$model_free" "$((free0 - delta))" "$kind $bs: plan's used-block change vs the model"

	printf 'migrate %s\npending\ncommit\npending\n' "$args" >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
	assert_grep "^committed $n inodes: " "$T/out" "$kind $bs commit"
	assert_grep "^nothing staged" "$T/out" "$kind $bs pending after commit"

	check_migrated "$T/before.json" "$img" "$inos" "$kind $bs"
	assert_eq "$model_free" "$(free_blocks "$img")" "$kind $bs: free blocks vs the model"
	fsck_used=$(sed -n 's|.* \([0-9]*\)/\([0-9]*\) blocks$|\1 \2|p' "$T/fsck.out")
	assert_eq "$model_free" "$(echo "$fsck_used" | awk '{ print $2 - $1 }')" \
		"$kind $bs: free blocks vs e2fsck's count"
	layout "$img" "$T/layout.after"
	cmp -s "$T/layout.before" "$T/layout.after" ||
		fail "$kind $bs: runs/holes changed: $(diff "$T/layout.before" "$T/layout.after" | head -5)"
	grep -q '^H' "$T/layout.after" || fail "$kind $bs: the test has no holes to keep"
	assert_eq "$5" "$(depth "$img" /frag)" "$kind $bs: /frag depth"
	assert_eq "$6" "$(depth "$img" /deep)" "$kind $bs: /deep depth"
	debugfs -R "stat /deep" "$img" 2>/dev/null | grep -q 'Flags: 0x80000' ||
		fail "$kind $bs: /deep has no extents flag"
	debugfs -R "stat /fastlink" "$img" 2>/dev/null | grep -q 'Flags: 0x80000' &&
		fail "$kind $bs: fast symlink became extent-mapped"
	# Everything is migrated: a second plan says so.
	expect_rc 0 "$E2LUA" "$img" -R "plan /deep /"
	assert_grep "already extent-mapped" "$T/out" "$kind $bs replan"
}

# kind bs /frag-fragments /deep-fragments depth(/frag) depth(/deep)
one ext3 1024 3 400 0 2
one ext2 4096 400 30 1 1
one ext4noext 1024 40 200 1 1
one ext4noext 4096 3 3 0 0
finish
