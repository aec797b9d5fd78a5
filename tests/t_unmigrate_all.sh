#!/bin/sh
# t_unmigrate_all.sh -- `unmigrate` (extent trees back to block maps) at
# 1 KiB and 4 KiB, checked against real tools:
#  - a migrate -> unmigrate round trip of ext3 images and of an ext4 one
#    without extents (metadata_csum, huge_file, flex_bg) (holes, IND,
#    DIND, TIND on 1 KiB, trees of depth 0-2 from migrating /frag and /deep)
#    gives back every file's data block list (debugfs stat), the free
#    count and the ext3 feature set (--clear-feature: dumpe2fs shows no
#    extent); e2fsck -fn clean, contents identical (tests/verify.py);
#    e2undo of the -z undo file restores the migrated image byte for byte;
#    --clear-feature is refused (nothing written) while one extent inode
#    is left;
#  - an ext4 image (mke2fs -d trees, unwritten extents from debugfs
#    fallocate): plan -u predicts the used-block change, rollback leaves
#    the image byte-identical, the commit leaves e2fsck clean with every
#    content identical and exactly the extent inodes block-mapped, free
#    counts as planned and as e2fsck counts them.
. "$(dirname "$0")/lib.sh"

# The data runs and holes of every inode in use of SNAP (debugfs stat).
data_runs() {	# img snap out
	python3 -c "
import json, sys
for k in sorted(json.load(open(sys.argv[1]))['inodes'], key=int):
    print('stat <%s>' % k)" "$2" >"$T/runs.cmds"
	debugfs -f "$T/runs.cmds" "$1" >"$T/runs.out" 2>/dev/null
	runs_from_stat "$T/runs.out" "$bs" >"$3"
}

# Every inode's whole map (indirect blocks too), from debugfs stat.
whole_maps() {	# img out
	debugfs -f "$T/runs.cmds" "$1" 2>/dev/null |
		sed -n '/^BLOCKS:\|^EXTENTS:/{n;p}' >"$2"
}

# What e2fsck -fn counts free ("N/M blocks").
fsck_free() {
	sed -n 's|.* \([0-9]*\)/\([0-9]*\) blocks$|\1 \2|p' "$T/fsck.out" |
		awk '{ print $2 - $1 }'
}

# The round trip on an image of KIND (ext3, or ext4 without extents:
# metadata_csum, huge_file, flex_bg) and block size BS.
round_trip() {	# kind bs
	kind=$1 bs=$2
	img=$T/$kind-$bs.img
	mk_image "$img" "$kind" "$bs" || { fail "mk_image $kind $bs"; return; }
	mk_frag_file "$img" /deep 400 || { fail "mk_frag_file $bs"; return; }
	fsck_clean "$img"
	snapshot "$img" "$T/orig.json"
	data_runs "$img" "$T/orig.json" "$T/runs.orig"
	whole_maps "$img" "$T/maps.orig"
	free0=$(free_blocks "$img")
	grep -q '^R ' "$T/runs.orig" || fail "$kind $bs: no runs read"

	printf 'migrate -r /\ncommit\n' >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
	fsck_clean "$img"
	snapshot "$img" "$T/mid.json"
	inos=$(extent_inos "$T/orig.json" "$T/mid.json")
	[ -n "$inos" ] || { fail "$kind $bs: migrate converted nothing"; return; }
	n=$(echo "$inos" | tr ',' '\n' | grep -c .)
	cp "$img" "$T/mid.img"

	# Refused while an extent inode is left: nothing written.
	printf 'unmigrate --clear-feature /frag\ncommit\n' >"$T/cmds"
	expect_rc 1 "$E2LUA" -w -f "$T/cmds" "$img"
	assert_grep "feature: extent will be turned off" "$T/out" "$kind $bs: effect announced"
	assert_grep "commit: $((n - 1)) extent-mapped inodes would be left (the first: <2>)" \
		"$T/err" "$kind $bs: refusal names the first"
	assert_grep "Extent-mapped inodes would be left" "$T/err" "$kind $bs: refusal"
	cmp -s "$img" "$T/mid.img" || fail "$kind $bs: a refused clear wrote"

	# plan -u predicts the commit's used-block change.
	expect_rc 0 "$E2LUA" "$img" -R "plan -u -r /"
	assert_grep "^total: .* $n unmigratable, 0 skipped" "$T/out" "$kind $bs: plan -u"
	delta=$(sed -n 's/^total:.*used blocks \([-+][0-9]*\)$/\1/p' "$T/out")

	rm -f "$T/undo"
	printf 'unmigrate -r --clear-feature /\npending\ncommit\n' >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -z "$T/undo" -f "$T/cmds" "$img"
	assert_grep "^committed $n inodes: " "$T/out" "$kind $bs: commit"
	assert_grep "^feature: extent turned off" "$T/out" "$kind $bs: commit report"
	check_unmigrated "$T/mid.json" "$img" "$inos" "$kind $bs"
	python3 "$TOP/tests/verify.py" compare "$T/orig.json" "$T/after.json" \
		>"$T/compare.out" 2>&1 ||
		grep FAIL "$T/compare.out" | grep -v "changed but not expected" |
		grep . && fail "$kind $bs: contents differ from the original"
	dumpe2fs -h "$img" 2>/dev/null | grep '^Filesystem features:' >"$T/feat"
	grep -qw extent "$T/feat" && fail "$kind $bs: extent still set: $(cat "$T/feat")"
	assert_eq "$free0" "$(free_blocks "$img")" "$kind $bs: free blocks after the round trip"
	assert_eq "$free0" "$(fsck_free)" "$kind $bs: e2fsck's free count"
	mid_free=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['super']['free_blocks'])" "$T/mid.json")
	assert_eq "$((mid_free - delta))" "$free0" "$kind $bs: plan -u's used-block change"

	# The data block lists are the original ones.  Indirect blocks may
	# land elsewhere: unmigrate puts each just before the data it maps
	# when that block is free (where ext3 usually had it), else after
	# the data before it; how many moved is only noted.
	data_runs "$img" "$T/orig.json" "$T/runs.after"
	cmp -s "$T/runs.orig" "$T/runs.after" ||
		fail "$kind $bs: data block lists differ: $(diff "$T/runs.orig" "$T/runs.after" | head -n 8)"
	whole_maps "$img" "$T/maps.after"
	note "$kind $bs: $(diff "$T/maps.orig" "$T/maps.after" | grep -c '^>') of" \
		"$(wc -l <"$T/maps.orig") maps with an indirect block elsewhere"

	expect_rc 0 e2undo "$T/undo" "$img"
	cmp -s "$img" "$T/mid.img" || fail "$kind $bs: e2undo did not restore the image"

}

# ext4 (mke2fs -d trees, unwritten extents from debugfs fallocate).
ext4_back() {	# bs
	bs=$1
	img=$T/ext4-$bs.img
	mk_image "$img" ext4 "$bs" || { fail "mk_image ext4 $bs"; return; }
	mk_uninit "$img" "$bs" || { fail "mk_uninit $bs"; return; }
	fsck_clean "$img"
	snapshot "$img" "$T/before.json"
	inos=$(python3 -c "
import json, sys
a = json.load(open(sys.argv[1]))['inodes']
print(','.join(k for k in sorted(a, key=int) if a[k]['extent'] and (int(k) == 2 or int(k) >= 11)))" "$T/before.json")
	n=$(echo "$inos" | tr ',' '\n' | grep -c .)
	[ "$n" -gt 10 ] || { fail "ext4 $bs: only $n extent inodes"; return; }
	expect_rc 0 "$E2LUA" "$img" -R "plan -u /prealloc /unwritten"
	assert_grep "^ *[0-9]* ok .* /unwritten$" "$T/out" "ext4 $bs: plan -u /unwritten"
	grep -q "[1-9][0-9]* unwritten blocks freed" "$T/out" ||
		fail "ext4 $bs: no unwritten blocks freed: $(cat "$T/out")"
	expect_rc 0 "$E2LUA" "$img" -R "plan -u -r /"
	assert_grep "^total: .* $n unmigratable, 0 skipped" "$T/out" "ext4 $bs: plan -u -r"
	delta=$(sed -n 's/^total:.*used blocks \([-+][0-9]*\)$/\1/p' "$T/out")
	free0=$(free_blocks "$img")

	cp "$img" "$T/orig.img"
	printf 'unmigrate -r /\npending\nrollback\n' >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$img"
	assert_grep "^rolled back $n staged inodes" "$T/out" "ext4 $bs: rollback"
	cmp -s "$img" "$T/orig.img" || fail "ext4 $bs: rollback wrote"

	# 64bit needs the extent feature: refused before anything is staged.
	expect_rc 1 "$E2LUA" -w "$img" -R "unmigrate --clear-feature /tiny"
	assert_grep "The 64bit and bigalloc features need the extent feature" \
		"$T/err" "ext4 $bs: clear refused on 64bit"

	rm -f "$T/undo"
	printf 'unmigrate -r /\ncommit\n' >"$T/cmds"
	expect_rc 0 "$E2LUA" -w -z "$T/undo" -f "$T/cmds" "$img"
	assert_grep "^committed $n inodes: " "$T/out" "ext4 $bs: commit"
	check_unmigrated "$T/before.json" "$img" "$inos" "ext4 $bs"
	assert_eq "$((free0 - delta))" "$(free_blocks "$img")" "ext4 $bs: free blocks as planned"
	assert_eq "$((free0 - delta))" "$(fsck_free)" "ext4 $bs: e2fsck's free count"
	debugfs -R "stat /unwritten" "$img" 2>/dev/null | grep -A1 '^BLOCKS:' >"$T/st"
	grep -q '^TOTAL: 0' "$T/st" || grep -q '^$' "$T/st" ||
		fail "ext4 $bs: /unwritten not all holes: $(cat "$T/st")"
	expect_rc 0 e2undo "$T/undo" "$img"
	cmp -s "$img" "$T/orig.img" || fail "ext4 $bs: e2undo did not restore the image"
}

round_trip ext3 1024
round_trip ext3 4096
round_trip ext4noext 1024
ext4_back 1024
ext4_back 4096
finish
