#!/bin/sh
# t_inspect_cmds.sh -- ls, icheck, ncheck, testb, bmap and stats print what
# debugfs prints, on an ext3 image (1 KiB blocks) and an ext4 image (4 KiB
# blocks, unwritten extents, metadata_csum); frag agrees with the runs in
# debugfs's stat; under -c the bitmaps are not loaded and testb fails
# cleanly while the rest still works.  The images stay byte-identical.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# First block listed by debugfs for a file (optionally the Nth).
blk() {	# img file [n]
	blk_b=$(debugfs -R "blocks $2" "$1" 2>/dev/null | tr ' ' '\n' | sed -n "${3:-1}p")
	[ -n "$blk_b" ] || fail "$2 has no block ${3:-1}"
	echo "$blk_b"
}

check_image() {	# kind bs
	kind=$1 bs=$2 img=$T/$1.$2.img tag="$1/$2"
	mk_test_image "$img" "$kind" "$bs" || { fail "$tag: mk_test_image"; return; }
	before=$(sum "$img")
	nblocks=$(debugfs -R "stats -h" "$img" 2>/dev/null | sed -n 's/^Block count: *//p')
	itable=$(debugfs -R "stats" "$img" 2>/dev/null | sed -n 's/.*inode table at \([0-9]*\).*/\1/p' | head -n 1)

	# ls in every format, on small, big, checksummed and gappy dirs.
	cat >"$T/ls.cmds" <<-EOF
	ls
	ls /
	ls -l /
	ls -p /
	ls /dir/big
	ls -l /dir/big
	ls -d /fill
	ls -l -d /fill
	ls -c /dir
	ls -r /dir/sub
	ls <2>
	EOF
	same "$tag: ls" "$img" "$T/ls.cmds"

	# icheck: data, IND, DIND, TIND and extent tree blocks, a block
	# listed twice, metadata, free and out-of-range blocks.
	ib=$(blk "$img" /thirteen 13)	# IND (or ETB/data on ext4)
	db=$(blk "$img" /dind 269)
	tb=$(blk "$img" /sparse_tind 1)
	fb=$(blk "$img" /frag 1)
	echo "icheck $(blk "$img" /twelve 1) $ib $db $tb $fb $fb 1 $itable $((nblocks - 1)) 99999999 $(blk "$img" /dir/big/f0399 1) 0x10" >"$T/ic.cmds"
	echo "icheck $(blk "$img" /frag 200)" >>"$T/ic.cmds"
	same "$tag: icheck" "$img" "$T/ic.cmds"

	# ncheck: hard links, directories, device nodes, deep names, an
	# inode without a name, and -c.
	hl=$(debugfs -R "stat /hardlink_a" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	deep=$(debugfs -R "stat /dir/sub/deep/x" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	printf '%s\n' "ncheck $hl 15 $deep 11 <12>" "ncheck -c $hl 13 16" "ncheck 7 $hl" >"$T/nc.cmds"
	same "$tag: ncheck" "$img" "$T/nc.cmds"

	# testb and bmap: used, free, ranges; holes, direct, indirect,
	# uninit blocks.
	cat >"$T/tb.cmds" <<-EOF
	testb 1
	testb $fb 40
	testb $((nblocks - 3)) 3
	bmap /twelve 0
	bmap /twelve 11
	bmap /thirteen 12
	bmap /sparse_ind 3
	bmap /sparse_ind 4
	bmap /sparse_dind $((12 + bs / 4 + 5))
	bmap /sparse_tind $((12 + bs / 4 + bs * bs / 16 + 7))
	bmap /sparse_tail 49
	bmap /frag 399
	bmap /frag 400
	EOF
	[ "$kind" = ext4 ] && printf '%s\n' "bmap /prealloc 12" "bmap /prealloc 2" \
		"bmap /prealloc 5" "bmap /unwritten 50" >>"$T/tb.cmds"
	same "$tag: testb/bmap" "$img" "$T/tb.cmds"

	# stats, whole and -h.
	printf '%s\n' "stats" "stats -h" >"$T/st.cmds"
	same "$tag: stats" "$img" "$T/st.cmds"

	# Catastrophic mode: maps work, testb fails cleanly.
	printf '%s\n' "stat /frag" "blocks /dind" "ls -l /" >"$T/c.cmds"
	same "$tag: -c" "$img" "$T/c.cmds" -c
	expect_rc 1 "$E2LUA" -c -R "testb 1" "$img"
	assert_grep "itmaps not loaded" "$T/err" "$tag: testb under -c"

	# frag: runs, fragments, holes, extents needed and the ideal, from
	# debugfs's stat (frag_from_stat: the rules again, from its lists).
	files="/twelve /thirteen /ind_edge /dind /sparse_ind /sparse_dind /sparse_tind /sparse_tail /frag /dir/big /slowlink /empty /hardlink_a"
	[ "$kind" = ext4 ] && files="$files /prealloc /unwritten"
	for f in $files; do echo "stat $f"; done >"$T/fr.cmds"
	debugfs -f "$T/fr.cmds" "$img" >"$T/fr.raw" 2>/dev/null
	frag_from_stat "$T/fr.raw" "$img" >"$T/fr.want"
	for f in $files; do
		"$E2LUA" -R "frag $f" "$img" 2>"$T/err" | awk -v f="$f" -F': *' '
			/^Data blocks/ { b = $2 } /^Runs/ { r = $2 } /^Fragments/ { g = $2 }
			/^Holes/ { split($2, h, " "); o = h[1] }
			/^Extents needed/ { n = $2 } /^Ideal/ { i = $2 }
			/^Contiguous/ { c = $2 }
			END { print f, b, r, g, o, n, i, c }' || fail "$tag: frag $f: $(cat "$T/err")"
	done >"$T/fr.got"
	cmp -s "$T/fr.want" "$T/fr.got" ||
		fail "$tag: frag: $(diff "$T/fr.want" "$T/fr.got" | head -n 10)"

	assert_eq "$before" "$(sum "$img")" "$tag: image changed by read-only use"
	rm -f "$img"
}

check_image ext3 1024
check_image ext4 4096

# frag splits runs at the extent length limit: one contiguous 40000-block
# file needs 2 extents (ideal 2, contiguous), as the written tree has (no
# journal and no backup superblocks, so nothing splits the free space).
img=$T/big.img
mke2fs -q -F -t ext4 -b 1024 -O ^has_journal,^resize_inode,sparse_super2 -E num_backup_sb=0 \
	"$img" 64M >/dev/null 2>&1 || fail "mke2fs big"
python3 -c "
import random
open('$T/bigdata', 'wb').write(random.Random(5).randbytes(40000 * 1024))"
debugfs_w "$img" "write $T/bigdata /big" || fail "debugfs write /big"
"$E2LUA" -R "frag /big" "$img" >"$T/out" 2>"$T/err" || fail "frag /big: $(cat "$T/err")"
assert_grep "^Data blocks: 40000$" "$T/out" "frag /big blocks"
assert_grep "^Fragments: 1$" "$T/out" "frag /big fragments"
assert_grep "^Extents needed: 2$" "$T/out" "frag /big needed"
assert_grep "^Extents now: 2$" "$T/out" "frag /big now"
assert_grep "^Ideal extents: 2$" "$T/out" "frag /big ideal"
assert_grep "^Contiguous: yes$" "$T/out" "frag /big contiguous"
assert_eq 2 "$(debugfs -R "ex /big" "$img" 2>/dev/null | grep -c '^ 0/ 0')" "debugfs: /big has 2 extents"
finish
