#!/bin/sh
# t_inspect_maps.sh -- for every in-use inode of ext2, ext3, ext4 without
# extents and ext4 images with 1 KiB and 4 KiB blocks: `stat`, `blocks` and
# `ex` print exactly what debugfs prints, and the Lua iterators
# (ino:blocks, ino:extents, ino:runs, ino:holes) agree with debugfs's maps.
# The images hold sparse files past the IND/DIND/TIND boundaries, 12 and 13
# block files, a fragmented file (a depth >= 1 extent tree on ext4), big
# directories, fast and slow symlinks, hard links, device nodes and (ext4)
# unwritten extents.  Every image must be byte-identical afterwards.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# Sections of a normalized transcript whose command starts with $2.
sections() {	# file cmd
	awk -v c="> $2 " 'index($0, "> ") == 1 { on = index($0, c) == 1 }
		on' "$1"
}

# The Lua side: the same sections, printed from the iterators.
cat >"$T/iter.lua" <<'EOF'
local bs, nblocks = fs.block_size, fs.super.blocks_count
local function width(v)
	local w = #string.format("%d", v)
	return w < 5 and 5 or w
end
local what = arg[1]
for ino in fs:inodes() do
	local n = ino.ino
	if what == "blocks" and ino.has_blocks then
		io.write("> blocks <", n, ">\n")
		for _, pblk in ino:blocks() do io.write(pblk, " ") end
		io.write("\n")
	elseif what == "ex" and ino.extent_mapped then
		local lw, pw = width((ino.size + bs - 1) // bs), width(nblocks)
		io.write("> ex <", n, ">\n")
		io.write(string.format("Level Entries %" .. (lw * 2 + 3) .. "s %"
			.. (pw * 2 + 3) .. "s Length Flags\n", "Logical", "Physical"))
		local L, P = "%" .. lw .. "d", "%" .. pw .. "d"
		for e in ino:extents() do
			local last = (e.len - 1) & 0xffffffff
			local head = string.format("%2d/%2d %3d/%3d " .. L .. " - " .. L .. " ",
				e.level, e.depth, e.entry, e.entries, e.lblk, e.lblk + last)
			if e.leaf then
				io.write(head, string.format(P .. " - " .. P .. " %6d %s\n",
					e.pblk, e.pblk + last, e.len, e.uninit and "Uninit" or ""))
			else
				io.write(head, string.format(P .. "%" .. (pw + 3) .. "s %6d\n",
					e.pblk, "", e.len))
			end
		end
	elseif what == "runs" and ino.has_blocks then
		io.write("I <", n, ">\n")
		for l, p, len, u in ino:runs() do
			io.write("R ", l, " ", p, " ", len, u and " u" or "", "\n")
		end
		for l, len in ino:holes() do io.write("H ", l, " ", len, "\n") end
	end
end
EOF

check_image() {	# kind bs
	kind=$1 bs=$2 img=$T/$1.$2.img tag="$1/$2"
	mk_test_image "$img" "$kind" "$bs" || { fail "$tag: mk_test_image"; return; }
	before=$(sum "$img")

	# In-use inodes per the Lua scan: "ino has_blocks extents".
	"$E2LUA" -e 'for i in fs:inodes() do
		print(i.ino, i.has_blocks and 1 or 0, i.extent_mapped and 1 or 0) end' \
		"$img" >"$T/inodes" 2>"$T/err" || fail "$tag: fs:inodes(): $(cat "$T/err")"
	used=$(debugfs -R "stats -h" "$img" 2>/dev/null | awk -F: '
		/^Inode count/ { n = $2 } /^Free inodes/ { f = $2 }
		END { print n - f }')
	assert_eq "$used" "$(wc -l <"$T/inodes" | tr -d ' ')" "$tag: in-use inodes"

	# One transcript per tool: stat and ex of every inode, blocks of
	# every inode with a real map (debugfs prints a fast symlink's text
	# or a device number as block numbers: see doc/errors.md).
	awk '{ print "stat <" $1 ">"; print "ex <" $1 ">"
		if ($2) print "blocks <" $1 ">" }' "$T/inodes" >"$T/cmds"
	transcripts "$T/cmds" "$img"
	if ! cmp -s "$T/d.out" "$T/e.out"; then
		fail "$tag: stat/ex/blocks differ from debugfs: $(diff "$T/d.out" "$T/e.out" | head -n 20)"
	fi
	# The only errors: ex on inodes that are not extent-mapped.
	noext=$(awk '!$3' "$T/inodes" | wc -l)
	assert_eq "$noext" "$(grep -c 'does not uses extent block maps' "$T/e.err")" \
		"$tag: ex failures"
	assert_eq "$noext" "$(wc -l <"$T/e.err" | tr -d ' ')" "$tag: stderr lines"

	# Inodes without a map print an empty block list.
	awk '!$2 { print "blocks <" $1 ">" }' "$T/inodes" >"$T/cmds0"
	"$E2LUA" -f "$T/cmds0" "$img" >"$T/e0.raw" 2>&1 || fail "$tag: blocks of mapless inodes failed"
	assert_eq "" "$(norm "$T/e0.raw" | grep -v '^> ')" "$tag: blocks of mapless inodes"

	# Lua iterators against debugfs.
	"$E2LUA" "$img" "$T/iter.lua" blocks >"$T/lb.out" 2>"$T/err" || fail "$tag: iter blocks: $(cat "$T/err")"
	sections "$T/d.out" blocks >"$T/db.out"
	cmp -s "$T/db.out" "$T/lb.out" ||
		fail "$tag: ino:blocks() differs: $(diff "$T/db.out" "$T/lb.out" | head -n 10)"
	"$E2LUA" "$img" "$T/iter.lua" ex >"$T/lx.out" 2>"$T/err" || fail "$tag: iter ex: $(cat "$T/err")"
	awk '$3 { print "> ex <" $1 ">" }' "$T/inodes" >"$T/exlist"
	awk 'NR == FNR { want[$0] = 1; next } /^> / { on = ($0 in want) } on' \
		"$T/exlist" "$T/d.out" >"$T/dx.out"
	cmp -s "$T/dx.out" "$T/lx.out" ||
		fail "$tag: ino:extents() differs: $(diff "$T/dx.out" "$T/lx.out" | head -n 10)"
	"$E2LUA" "$img" "$T/iter.lua" runs >"$T/lr.out" 2>"$T/err" || fail "$tag: iter runs: $(cat "$T/err")"
	awk '$2 { print "I <" $1 ">" }' "$T/inodes" >"$T/runlist"
	runs_from_stat "$T/d.out" "$bs" |
		awk 'NR == FNR { want[$0] = 1; next } /^I / { on = ($0 in want) } on' \
		"$T/runlist" - >"$T/dr.out"
	cmp -s "$T/dr.out" "$T/lr.out" ||
		fail "$tag: ino:runs()/holes() differ: $(diff "$T/dr.out" "$T/lr.out" | head -n 10)"

	# -R, one request per run, on the interesting shapes.
	for f in /thirteen /dind /sparse_tind /frag /slowlink /empty; do
		for c in blocks stat ex; do
			debugfs -R "$c $f" "$img" >"$T/d1" 2>/dev/null
			"$E2LUA" -R "$c $f" "$img" >"$T/e1" 2>/dev/null
			cmp -s "$T/d1" "$T/e1" || fail "$tag: -R '$c $f' differs: $(diff "$T/d1" "$T/e1" | head -n 6)"
		done
	done

	assert_eq "$before" "$(sum "$img")" "$tag: image changed by read-only use"
	rm -f "$img"
}

for kind in ext2 ext3 ext4noext ext4; do
	for bs in 1024 4096; do
		check_image $kind $bs
	done
done

# The shapes the test relies on are really there.
img=$T/shape.img
mk_test_image "$img" ext4 1024
debugfs -R "ex /frag" "$img" 2>/dev/null | awk 'NR == 2 { print substr($0, 1, 5) }' >"$T/depth"
assert_eq " 0/ 2" "$(cat "$T/depth")" "ext4/1024 /frag extent tree depth"
grep -q Uninit <<EOF || fail "no unwritten extent in /prealloc"
$(debugfs -R "ex /prealloc" "$img" 2>/dev/null)
EOF
mk_image "$img" ext4 4096
debugfs -R "ex /frag" "$img" 2>/dev/null | awk 'NR == 2 { print substr($0, 1, 5) }' >"$T/depth"
assert_eq " 0/ 1" "$(cat "$T/depth")" "ext4/4096 /frag extent tree depth"
finish
