#!/bin/sh
# t_badinput_maps.sh -- corrupt block maps: an indirect-block pointer
# beyond the end of the filesystem and one into its metadata (inode
# table), a double-indirect pointer beyond the end, an extent index
# pointer beyond the end.  blocks, stat, ex, icheck and frag report the
# E2C_ERR_PTR_* error naming the file, exit 1, never crash (valgrind), and
# print no shifted block numbers (what debugfs does, see doc/errors.md).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

RANGE="Block pointer outside the filesystem"
META="Block pointer into filesystem metadata"

# corrupt IMG FILE FIELD VALUE: debugfs sif on a copy of the good image;
# its checksum goes to IMG.sum for the final read-only check.
corrupt() {
	cp "$T/good.img" "$1"
	debugfs_w "$1" "sif $2 $3 $4" || fail "sif $2 $3 $4"
	sum "$1" >"$1.sum"
}

# fails IMG CMD MESSAGE [PREFIX]: exit 1, "PREFIX: MESSAGE" on stderr
# (PREFIX defaults to CMD).
fails() {
	img=$1 cmd=$2 msg=$3 prefix=${4-$2}
	expect_rc 1 "$E2LUA" -R "$cmd" "$img"
	assert_grep "$prefix: $msg" "$T/err" "$cmd on $(basename "$img")"
	echo "$cmd" >>"$img.cmds"
}

# Every image's commands again in one -f run under valgrind; then every
# image must still be what corrupt() made.
check_all() {
	for c in "$T"/*.img.cmds; do
		img=${c%.cmds}
		if [ -n "$VG" ]; then
			expect_rc 1 $VG "$E2LUA" -f "$c" "$img"
			assert_eq "$(wc -l <"$c")" \
				"$(grep -o "cmds:[0-9]*: " "$T/err" | sort -u | wc -l)" \
				"valgrind run of $(basename "$c"): one error per line"
		fi
		assert_eq "$(cat "$img.sum")" "$(sum "$img")" "$(basename "$img") changed"
	done
}

mk_image "$T/good.img" ext3 1024 16M || fail "mk_image ext3"
itable=$(debugfs -R stats "$T/good.img" 2>/dev/null |
	sed -n 's/.*inode table at \([0-9]*\).*/\1/p' | head -n 1)
direct=$(debugfs -R "blocks /thirteen" "$T/good.img" 2>/dev/null | cut -d' ' -f1-12)

# IND pointer beyond the end: the 12 direct blocks, then the error; no
# block 99999999 and nothing after it.
corrupt "$T/ind_range.img" /thirteen "block[IND]" 99999999
fails "$T/ind_range.img" "blocks /thirteen" "$RANGE"
assert_eq "$direct " "$(cat "$T/out")" "blocks before the bad IND pointer"
fails "$T/ind_range.img" "stat /thirteen" "$RANGE"
grep -q 99999999 "$T/out" && fail "stat printed the bad pointer as a block"
grep -q TOTAL "$T/out" && fail "stat printed a TOTAL for a map cut short"
fails "$T/ind_range.img" "frag /thirteen" "$RANGE" ""
# icheck of a free block walks every map: it names the bad inode, still
# prints its table, and fails.
expect_rc 1 "$E2LUA" -R "icheck 16000" "$T/ind_range.img"
assert_grep "icheck <[0-9]*>: $RANGE" "$T/err" "icheck names the bad inode"
assert_grep "^16000	<block not found>" "$T/out" "icheck still prints its table"
# debugfs itself accepts the image and walks on.
debugfs -R "blocks /thirteen" "$T/ind_range.img" 2>/dev/null | grep -q 99999999 ||
	fail "debugfs no longer prints the bad pointer (doc/errors.md says it does)"

# IND pointer into the inode table.
corrupt "$T/ind_meta.img" /thirteen "block[IND]" "$itable"
fails "$T/ind_meta.img" "blocks /thirteen" "$META"
fails "$T/ind_meta.img" "stat /thirteen" "$META"

# DIND pointer beyond the end: the direct and IND parts come out first.
corrupt "$T/dind_range.img" /dind "block[DIND]" 99999999
fails "$T/dind_range.img" "blocks /dind" "$RANGE"
fails "$T/dind_range.img" "stat /dind" "$RANGE"
assert_grep "(IND):" "$T/out" "stat shows the map up to the bad pointer"

# Extent index pointer beyond the end (ext4, /frag has a depth 2 tree):
# i_block[4] is the root's first index entry's leaf block.
mk_image "$T/good.img" ext4 1024 16M || fail "mk_image ext4"
corrupt "$T/ext_range.img" /frag "block[4]" 99999999
fails "$T/ext_range.img" "ex /frag" "$RANGE" "ex /frag"	# the name typed
fails "$T/ext_range.img" "dump_extents /frag" "$RANGE" "dump_extents /frag"
fails "$T/ext_range.img" "blocks /frag" "$RANGE"
fails "$T/ext_range.img" "stat /frag" "$RANGE"
check_all
finish
