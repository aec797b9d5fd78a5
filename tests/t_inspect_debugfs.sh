#!/bin/sh
# t_inspect_debugfs.sh -- imap, inode_dump (id), block_dump (bd),
# htree_dump and dx_hash print exactly what debugfs 1.47.0 prints, on
# ext2 (1 KiB blocks), ext3 (1 KiB, htree one index level deep),
# ext4 (4 KiB, metadata_csum, htree without index levels), ext4 with
# large_dir (1 KiB, htree two index levels deep: 15,800 names one per
# leaf), 128-byte inodes, and an ext3 image after a migration (extent
# index blocks, a migrated htree directory).  Extended attributes in the
# inode and in a block; binary values.  The Lua side (fs:imap,
# fs:read_block, ino:raw, fs:htree) is checked against the same: the
# bytes of the image at the places debugfs names, and a Lua printer of
# fs:htree's table that must reproduce debugfs's htree_dump.  Bad input
# fails cleanly.  Read-only use leaves every image byte-identical.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

SEED=6d2a4b3c-1111-4222-8333-444455556666

# dq IMG REQUEST: debugfs's answer, stderr dropped.
dq() { debugfs -R "$2" "$1" 2>/dev/null; }
ino_of() { dq "$1" "stat $2" | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }
acl_of() { dq "$1" "stat $2" | sed -n 's/^File ACL: \([0-9]*\).*/\1/p'; }
super() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2: *//p"; }

# index IMG SLACK: every directory of 3 blocks or more gets a hash
# index (e2fsck -D), its leaves filled to 100 - SLACK percent.
index_dirs() {
	printf '[options]\n\tindexed_dir_slack_percentage = %s\n' "$2" >"$T/e2fsck.conf"
	E2FSCK_CONFIG=$T/e2fsck.conf e2fsck -fyD "$1" >"$T/fsckD.out" 2>&1
	[ $? -le 1 ] || fail "e2fsck -fyD $1: $(tail -n 5 "$T/fsckD.out")"
	fsck_clean "$1"
}

# Extended attributes: short values in the inode (256-byte inodes);
# binary, long and control-character values in attribute blocks.
add_xattrs() {
	python3 -c "
open('$T/bin', 'wb').write(bytes(range(0, 40)))
open('$T/ctl', 'wb').write(b'a\\tb\\x7f\\xc3z')
open('$T/long', 'wb').write(b'long value ' * 30)"
	printf '%s\n' "ea_set /tiny user.small hello" \
		"ea_set -f $T/bin /tiny user.bin" \
		"ea_set -f $T/long /twelve user.long" \
		"ea_set -f $T/ctl /twelve user.ctl" \
		"ea_set /twelve trusted.t x" >"$T/ea.cmds"
	debugfs -w -f "$T/ea.cmds" "$1" >"$T/ea.out" 2>&1 ||
		fail "ea_set: $(cat "$T/ea.out")"
}

# The commands compared on every image built from gen_tree.py.
inspect_cmds() {	# img kind
	img=$1 kind=$2
	icount=$(super "$img" "Inode count")
	ipg=$(super "$img" "Inodes per group")
	nblocks=$(super "$img" "Block count")
	itable=$(dq "$img" stats | sed -n 's/.*inode table at \([0-9]*\).*/\1/p' | head -n 1)
	data=$(dq "$img" "bmap /twelve 0")
	acl=$(acl_of "$img" /twelve)
	acl2=$(acl_of "$img" /tiny)
	{
		for i in "<1>" "<2>" "<11>" /tiny /dir/big "<$ipg>" "<$icount>"; do
			echo "imap $i"
		done
		[ "$icount" -gt "$ipg" ] && echo "imap <$((ipg + 1))>"
		for f in /tiny /twelve /dir/big "<2>" "<7>" /fastlink /slowlink /sparse_tind; do
			echo "id $f"
			echo "id -b $f"
		done
		printf '%s\n' "id -e /tiny" "id -x /tiny" "id -x /twelve" "idump -e <2>" \
			"inode_dump -x /dir" "bd 0" "bd 1" "bd $itable" "bd $data" \
			"bdump $((nblocks - 1))" "bd -f /twelve 3" "bd -f /thirteen 12" \
			"bd -f /dind 300" "bd -f /sparse_tind $((12 + bs / 4 + bs * bs / 16 + 7))" \
			"bd -f /dir/big 0" "bd -f <2> 0" "bd -x $data" "block_dump -x -f /dir 0" \
			"bd 0x$(printf %x "$data")"
		for a in "$acl" "$acl2"; do
			[ "${a:-0}" != 0 ] && printf '%s\n' "bd -x $a" "bd $a"
		done
		# IND, DIND of a block map; the first extent tree block of /frag.
		[ "$kind" = ext4 ] || printf '%s\n' \
			"bd $(dq "$img" "blocks /thirteen" | tr ' ' '\n' | sed -n 13p)" \
			"bd -f /thirteen 12"
		etb=$(dq "$img" "stat /frag" | tr ',' '\n' | sed -n 's/.*(ETB0):\([0-9]*\).*/\1/p' | head -n 1)
		[ -n "$etb" ] && echo "bd $etb"
		for n in f0000 f0399 . .. lost+found a-longer-name_with.dots; do
			echo "dx_hash -h half_md4 -s $SEED $n"
			echo "dx_hash -h tea -s $SEED $n"
			echo "dx_hash -h legacy -s $SEED $n"
		done
		echo "dx_hash -h half_md4 -s $SEED -c f0001"
	} >"$T/cmds"
	same "$tag: imap/id/bd/dx_hash" "$img" "$T/cmds"
}

# The Lua side against the image's bytes and debugfs.
cat >"$T/raw.lua" <<'EOF'
local img, what = arg[1], arg[2]
local function bytes(off, n)
	local f = assert(io.open(img, "rb"))
	f:seek("set", off)
	local s = f:read(n)
	f:close()
	return s
end
local bs = fs.block_size
if what == "imap" then
	for i = 3, #arg do
		local m = fs:imap(arg[i])
		io.write(string.format("%s %d %d %d\n", arg[i], m.group, m.block, m.offset))
		local ino = fs:inode(arg[i])
		assert(ino:raw() == bytes(m.block * bs + m.offset, fs.super.inode_size),
			"ino:raw of " .. arg[i] .. " is not the bytes at imap")
	end
elseif what == "blocks" then
	for i = 3, #arg do
		local b = tonumber(arg[i])
		assert(fs:read_block(b) == bytes(b * bs, bs), "read_block " .. b)
	end
	print("blocks ok")
end
EOF

# Lua's picture of the index, printed the way debugfs htree_dump prints
# it: must come out identical.
cat >"$T/htree.lua" <<'EOF'
local t = fs:htree(arg[1])
local w = io.write
local function leaf(l)
	if l.pblk ~= 0 then
		w(string.format("Reading directory block %d, phys %d\n", l.lblk, l.pblk))
	end
	assert(not l.err, tostring(l.err))
	local col = 0
	for _, e in ipairs(l.entries) do
		local s
		if e.tail then
			s = string.format("leaf block checksum: 0x%08x  ", e.checksum)
		else
			s = string.format("%d 0x%08x-%08x (%d) %s   ", e.ino, e.hash,
				e.minor_hash, e.rec_len, e.name:match("^[^%z]*"))
		end
		if col + #s > 80 then w("\n"); col = 0 end
		w(s)
		col = col + #s
	end
	if l.corrupt then w(string.format("Corrupted directory block (%d)!\n", l.lblk)) end
	w("\n")
end
local function node(n)
	assert(not n.err, tostring(n.err))
	w(string.format("Number of entries (count): %d\n", n.count))
	w(string.format("Number of entries (limit): %d\n", n.limit))
	if n.checksum then
		w(string.format("Checksum: 0x%08x", n.checksum))
		if n.checksum ~= n.expected then
			w(string.format(" --- EXPECTED: 0x%08x", n.expected or 0xffffffff))
		end
		w("\n")
	end
	for i, e in ipairs(n.entries) do
		w(string.format("Entry #%d: Hash 0x%08x%s, block %d\n", i - 1, e.hash,
			e.hash & 1 == 1 and " (**)" or "", e.block))
	end
	w("\n")
	for i, e in ipairs(n.entries) do
		w(string.format("Entry #%d: Hash 0x%08x, block %d\n", i - 1, e.hash, e.block))
		if e.node then node(e.node) else leaf(e.leaf) end
	end
	w("---------------------\n")
end
w("Root node dump:\n")
w(string.format("\t Reserved zero: %d\n", t.reserved_zero))
w(string.format("\t Hash Version: %d\n", t.hash_version))
w(string.format("\t Info length: %d\n", t.info_length))
w(string.format("\t Indirect levels: %d\n", t.indirect_levels))
w(string.format("\t Flags: %#x\n", t.flags))
node(t.root)
EOF

# htree_dump of DIR (command and Lua) against debugfs; LEVELS index
# levels expected.
check_htree() {	# tag img dir levels
	echo "htree $3" >"$T/h.cmds"
	echo "htree_dump $3" >>"$T/h.cmds"
	same "$1: htree $3" "$2" "$T/h.cmds"
	assert_grep "Indirect levels: $4\$" "$T/d.out" "$1: $3 has $4 index levels"
	dq "$2" "htree $3" >"$T/hd.out"
	"$E2LUA" "$2" "$T/htree.lua" "$3" >"$T/hl.out" 2>"$T/hl.err" ||
		fail "$1: fs:htree $3: $(head -c 300 "$T/hl.err")"
	cmp -s "$T/hd.out" "$T/hl.out" ||
		fail "$1: fs:htree $3 printed: $(diff "$T/hd.out" "$T/hl.out" | head -n 10)"
}

check_lua() {	# tag img
	ipg=$(super "$2" "Inodes per group")
	icount=$(super "$2" "Inode count")
	set -- "$1" "$2" "<1>" "<2>" /tiny /twelve /dir/big "<$ipg>" "<$icount>"
	[ "$icount" -gt "$ipg" ] && set -- "$@" "<$((ipg + 1))>"
	tag=$1 img=$2
	shift 2
	for i in "$@"; do
		out=$(dq "$img" "imap $i")
		g=$(echo "$out" | sed -n 's/.*block group \([0-9]*\).*/\1/p')
		b=$(echo "$out" | sed -n 's/.*located at block \([0-9]*\),.*/\1/p')
		o=$(echo "$out" | sed -n 's/.*offset 0x\([0-9a-f]*\).*/\1/p')
		echo "$i $g $b $((0x$o))"
	done >"$T/imap.want"
	"$E2LUA" "$img" "$T/raw.lua" "$img" imap "$@" >"$T/imap.got" 2>"$T/err" ||
		fail "$tag: fs:imap / ino:raw: $(head -c 300 "$T/err")"
	cmp -s "$T/imap.want" "$T/imap.got" ||
		fail "$tag: fs:imap: $(diff "$T/imap.want" "$T/imap.got" | head -n 10)"
	blocks="0 1 $(dq "$img" "bmap /twelve 5") $(($(super "$img" "Block count") - 1))"
	expect_rc 0 "$E2LUA" "$img" "$T/raw.lua" "$img" blocks $blocks
	assert_grep "^blocks ok$" "$T/out" "$tag: fs:read_block"
}

check_image() {	# kind bs slack levels
	kind=$1 bs=$2 tag="$1/$2"
	img=$T/$kind.$bs.img
	mk_image "$img" "$kind" "$bs" || { fail "$tag: mk_image"; return; }
	add_xattrs "$img"
	index_dirs "$img" "$3"
	before=$(sum "$img")
	inspect_cmds "$img" "$kind"
	check_htree "$tag" "$img" /dir/big "$4"
	check_lua "$tag" "$img"
	assert_eq "$before" "$(sum "$img")" "$tag: image changed by read-only use"
}

check_image ext2 1024 20 0
check_image ext3 1024 100 1
check_image ext4 4096 20 0

# Two index levels (large_dir): 15,800 names, one per 1 KiB leaf, is more
# than a root of 123 entries over nodes of 126 can hold with one level.
# mke2fs -d would link them one by one (minutes); the directory is
# written as blocks instead and e2fsck -D builds its index.
img=$T/large.img
mkdir -p "$T/ltree"
echo x >"$T/ltree/target"
mke2fs -q -F -t ext4 -O large_dir -b 1024 -N 256 -U $SEED -E hash_seed=$SEED \
	-d "$T/ltree" "$img" 32M >/dev/null 2>&1 || fail "mke2fs large_dir"
target=$(ino_of "$img" /target)
python3 - "$((target + 1))" "$target" "$T/dirblocks" <<'EOF'
import struct, sys
d, x, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
bs, blocks, cur, used = 1024, [], [], 0
def flush():
    global cur, used
    ino, name, ft, rl = cur[-1]
    cur[-1] = (ino, name, ft, rl + bs - used)
    blocks.append(b''.join(struct.pack('<IHBB', i, r, len(n), f) + n +
                           b'\0' * (r - 8 - len(n)) for i, n, f, r in cur))
    cur, used = [], 0
for ino, name, ft in [(d, b'.', 2), (2, b'..', 2)] + \
        [(x, b'n%05d' % i, 1) for i in range(15800)]:
    rl = (8 + len(name) + 3) & ~3
    if used + rl > bs:
        flush()
    cur.append((ino, name, ft, rl))
    used += rl
flush()
open(out, 'wb').write(b''.join(blocks))
EOF
printf '%s\n' "write $T/dirblocks /d" "sif /d mode 040755" "sif /d links_count 2" \
	"sif /target links_count 15801" >"$T/l.cmds"
debugfs -w -f "$T/l.cmds" "$img" >/dev/null 2>&1
assert_eq "$((target + 1))" "$(ino_of "$img" /d)" "large_dir: the directory's inode"
index_dirs "$img" 100
before=$(sum "$img")
check_htree large_dir "$img" /d 2
printf '%s\n' "imap /d" "id /d" "bd -f /d 0" "bd -f /d 1" "bd -f /d 200" >"$T/cmds"
same "large_dir: id/bd" "$img" "$T/cmds"
assert_eq "$before" "$(sum "$img")" "large_dir: image changed by read-only use"

# 128-byte inodes: no extra space (-e and -x are refused by both).
img=$T/small.img
mkdir -p "$T/stree"
echo hello >"$T/stree/f"
mke2fs -q -F -t ext3 -I 128 -b 1024 -d "$T/stree" "$img" 8M >/dev/null 2>&1 ||
	fail "mke2fs -I 128"
printf '%s\n' "imap /f" "id /f" "id -b /f" "id <2>" "bd -f /f 0" >"$T/cmds"
same "128-byte inodes" "$img" "$T/cmds"
for o in -e -x; do
	expect_rc 1 "$E2LUA" -R "id $o /f" "$img"
	assert_grep "inode_dump /f: no extra space in the inode (128-byte inodes)" "$T/err" "id $o on 128-byte inodes"
	dq "$img" "id $o /f" | grep -q . && fail "debugfs id $o printed something"
done

# After a migration: extent index blocks and a migrated htree directory.
img=$T/mig.img
mk_image "$img" ext3 1024 || fail "mk_image mig"
index_dirs "$img" 100
big=$(ino_of "$img" /dir/big)
printf '%s\n' "migrate /frag /dir/big /dind" "commit" >"$T/mig.cmds"
expect_rc 0 "$E2LUA" -w -f "$T/mig.cmds" "$img"
fsck_clean "$img"
dq "$img" "stat /frag" | grep -q '(ETB0)' || fail "mig: /frag has no extent index block"
dq "$img" "stat /dir/big" | grep -q 'Flags: 0x81000' || fail "mig: /dir/big is not an indexed, extent-mapped directory"
etbs=$(dq "$img" "stat /frag" | tr ',' '\n' | sed -n 's/.*(ETB[0-9]):\([0-9]*\).*/\1/p')
{
	for b in $etbs; do echo "bd $b"; done
	printf '%s\n' "id -b /frag" "id /frag" "ex /frag" "id -b /dir/big" "id -b /dind" \
		"bd -f /dir/big 0" "bd -f /dind 300" "imap /frag" "ex -n /dir/big"
} >"$T/cmds"
same "migrated" "$img" "$T/cmds"
check_htree migrated "$img" /dir/big 1
check_lua migrated "$img"

# A corrupt index: a node whose count exceeds its limit, an entry that
# points at another's block (a loop) -- said on stderr, the rest shown,
# exit 1.  The root block of /dir/big on the ext3 image: entry i of the
# root has its hash at byte 32 + 8i and its block at 36 + 8i; count at 34.
img=$T/ext3.1024.img
root=$(dq "$img" "bmap /dir/big 0")
cp "$img" "$T/loop.img"
blk0=$(od -An -t u4 -j $((root * 1024 + 36)) -N 4 "$img" | tr -d ' ')
python3 -c "
import struct, sys
f = open('$T/loop.img', 'r+b'); f.seek($root * 1024 + 44); f.write(struct.pack('<I', $blk0))"
expect_rc 1 "$E2LUA" -R "htree /dir/big" "$T/loop.img"
assert_grep "^htree /dir/big: index block $blk0: Htree index points past the directory's end, at a hole or at a block twice$" \
	"$T/err" "htree: a block referenced twice"
assert_grep "^e2lua: htree /dir/big: 1 block could not be shown (see above)$" "$T/err" "htree: the count of failures"
assert_grep "^Entry #1: Hash 0x[0-9a-f]*, block $blk0$" "$T/out" "htree: the looping entry is listed"
[ "$(grep -c '^Reading directory block' "$T/out")" -gt 100 ] || fail "htree: the rest of the index was not shown"
cp "$img" "$T/count.img"
python3 -c "
import struct
f = open('$T/count.img', 'r+b'); f.seek($root * 1024 + 34); f.write(struct.pack('<H', 500))"
expect_rc 1 "$E2LUA" -R "htree /dir/big" "$T/count.img"
assert_grep "^htree /dir/big: index block 0: Corrupt htree index node (count, limit or depth out of range)$" \
	"$T/err" "htree: count above limit"
assert_grep "^Number of entries (count): 500$" "$T/out" "htree: the bad count is shown"
expect_rc 0 "$E2LUA" "$T/count.img" -e 'local t = fs:htree("/dir/big")
	print(t.root.count, t.root.err.code == e2.errors.E2C_ERR_HTREE_BAD, #t.root.entries)'
assert_eq "500	true	0" "$(cat "$T/out")" "fs:htree: count above limit"

# The examples of the README, the man page and lua-api.md, as written, on
# an image with /etc/passwd, /var/log/big and an indexed /var/spool/mail.
mkdir -p "$T/ex/t/etc" "$T/ex/t/var/log" "$T/ex/t/var/spool/mail"
echo "root:x:0:0:root:/root:/bin/sh" >"$T/ex/t/etc/passwd"
python3 -c "open('$T/ex/t/var/log/big', 'wb').write(bytes(range(256)) * 160)"
i=0; while [ $i -lt 300 ]; do : >"$T/ex/t/var/spool/mail/user$i"; i=$((i + 1)); done
mke2fs -q -F -t ext3 -b 1024 -d "$T/ex/t" "$T/ex/disk.img" 16M >/dev/null 2>&1 || fail "mke2fs examples"
index_dirs "$T/ex/disk.img" 20
ex_run() {	# what script
	(cd "$T/ex" && PATH="$(dirname "$E2LUA"):$PATH" sh -e "$2") >"$T/ex.out" 2>&1 ||
		fail "$1 examples: $(tail -5 "$T/ex.out")"
}
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$TOP/doc/e2lua.1" | sed -e 's/\\(aq/'"'"'/g' -e 's/\\-/-/g' |
	grep -E "^e2lua -R '(imap|bd|htree|dx_hash) " >"$T/man.sh"
assert_eq 4 "$(wc -l <"$T/man.sh" | tr -d ' ')" "man page: imap/bd/htree/dx_hash examples"
ex_run "man page" "$T/man.sh"
assert_grep "^Inode [0-9]* is part of block group 0" "$T/ex.out" "man page: imap"
assert_grep "^	located at block [0-9]*, offset 0x" "$T/ex.out" "man page: imap"
assert_eq 2 "$(grep -c '^0000  ' "$T/ex.out")" "man page: id -b and bd print hex dumps"
assert_grep "^0000  0001 0203 0405" "$T/ex.out" "man page: bd -f /var/log/big 12"
assert_grep "^Root node dump:" "$T/ex.out" "man page: htree"
assert_grep "^Hash of mbox is 0x" "$T/ex.out" "man page: dx_hash"
grep -E "^e2lua -R '(htree|bd) " "$TOP/README.md" >"$T/readme.sh"
assert_eq 2 "$(wc -l <"$T/readme.sh" | tr -d ' ')" "README: htree/bd examples"
ex_run README "$T/readme.sh"
assert_grep "^Root node dump:" "$T/ex.out" "README: htree"
sed -n '/^- `fs:imap(x)`/,/^Block arguments must lie/p' "$TOP/doc/lua-api.md" |
	awk '/^  ```lua/ { on = 1; next } /^  ```/ { on = 0 } on' >"$T/api.lua"
[ "$(grep -c . "$T/api.lua")" -ge 12 ] || fail "lua-api.md: imap/htree examples missing"
printf 'e2lua -e "$(cat %s)" disk.img\n' "$T/api.lua" >"$T/api.sh"
ex_run lua-api.md "$T/api.sh"
[ "$(grep -c 'user' "$T/ex.out")" -ge 2 ] || fail "lua-api.md: the htree example printed no leaves: $(head -c 300 "$T/ex.out")"

# Under valgrind (when installed): the dumps, a corrupt index, the tables.
if [ -n "$VG" ]; then
	acl=$(acl_of "$T/ext3.1024.img" /twelve)
	expect_rc 0 $VG "$E2LUA" -R "id -x /twelve" -R "bd -x $acl" -R "id /tiny" \
		-R "imap /tiny" -R "htree /dir/big" -R "dx_hash -v -c -e utf8 Ab" "$T/ext3.1024.img"
	# One valgrind start per image: the Lua tables, then the command.
	for i in loop count; do
		expect_rc 1 $VG "$E2LUA" -e 'local t = fs:htree("/dir/big")
			print(fs:read_block(0):len(), fs:imap(2).block, #fs:inode(2):raw())' \
			-R "htree /dir/big" "$T/$i.img"
		assert_grep "^1024	[0-9][0-9]*	[0-9][0-9]*$" "$T/out" "valgrind: the Lua tables of $i.img"
		assert_grep "^e2lua: htree /dir/big: " "$T/err" "valgrind: htree of $i.img"
	done
fi

# Bad input: clear messages, exit 1, nothing on stdout.
img=$T/ext3.1024.img
bad() {	# what pattern request
	expect_rc 1 "$E2LUA" -R "$3" "$img"
	assert_grep "$2" "$T/err" "$1"
	[ -s "$T/out" ] && fail "$1: printed: $(head -c 200 "$T/out")"
}
bad "htree of a plain dir" "^e2lua: htree /dir/sub: Not a hash-indexed directory$" "htree /dir/sub"
bad "htree of a file" "^e2lua: htree_dump /tiny: .*not a directory" "htree_dump /tiny"
bad "htree of nothing" "^e2lua: htree /nope: File not found" "htree /nope"
bad "bd past the end" "^e2lua: bd 99999999: Block number outside the filesystem$" "bd 99999999"
bad "bd garbage" "^e2lua: block_dump 12x: invalid block number$" "block_dump 12x"
bad "bd -f hole" "^e2lua: block_dump /sparse_ind: logical block 5 is a hole$" "bd -f /sparse_ind 5"
bad "bd -f fast symlink" "^e2lua: bd /fastlink: Inode has no block map" "bd -f /fastlink 0"
bad "bd no block" "Usage: bd \[-x\] \[-f <file>\] <block>" "bd"
bad "bd -f no file" "option '-f' needs an argument" "bd -x -f"
bad "id two modes" "inode_dump: -b, -e and -x exclude each other" "id -b -e /tiny"
bad "id unknown option" "inode_dump: unknown option '-q'" "id -q /tiny"
bad "id no file" "Usage: idump \[-b|-e|-x\] <file>" "idump"
bad "imap bad inode" "^e2lua: imap <0>: " "imap <0>"
bad "imap no file" "^e2lua: imap /nope: File not found" "imap /nope"
bad "dx_hash bad seed" "dx_hash: invalid hash seed 'xyz' (a UUID)" "dx_hash -s xyz a"
bad "dx_hash bad algorithm" "dx_hash: unknown hash algorithm 'md5'" "dx_hash -h md5 a"
bad "dx_hash bad encoding" "dx_hash: unknown encoding 'latin1'" "dx_hash -e latin1 a"
expect_rc 1 "$E2LUA" "$img" -e 'fs:read_block(fs.super.blocks_count)'
assert_grep "block number outside the filesystem" "$T/err" "fs:read_block past the end"
expect_rc 1 "$E2LUA" "$img" -e 'fs:htree("/dir/sub")'
assert_grep "htree /dir/sub: Not a hash-indexed directory" "$T/err" "fs:htree of a plain dir"
expect_rc 0 "$E2LUA" "$img" -e 'local ok, e = pcall(fs.htree, fs, "/dir/sub")
	print(e.code == e2.errors.E2C_ERR_NOT_INDEXED)'
assert_grep "^true$" "$T/out" "fs:htree error code"
# dx_hash without a filesystem: legacy and a zero seed, as debugfs 1.47.0.
expect_rc 0 "$E2LUA" -R "dx_hash -v name"
assert_eq "$(debugfs -R 'dx_hash name' 2>/dev/null)
  using hash algorithm 0 and hash_seed 00000000-0000-0000-0000-000000000000" "$(cat "$T/out")" \
	"dx_hash with no filesystem"
# With one: its algorithm and seed (debugfs 1.47.1's default).
expect_rc 0 "$E2LUA" -R "dx_hash -v f0001" "$img"
assert_eq "$(dq "$img" "dx_hash -h half_md4 -s $SEED f0001")
  using hash algorithm 1 and hash_seed $SEED" "$(cat "$T/out")" "dx_hash with the fs's defaults"
finish
