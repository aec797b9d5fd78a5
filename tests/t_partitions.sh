#!/bin/sh
# t_partitions.sh -- filesystems inside whole-disk images.  A 48 MiB disk
# made with sfdisk, MBR and GPT variants, holds two ext3 partitions (a
# small one, and the test tree with a fragmented file), a partition
# without a filesystem and (MBR) an extended partition with a logical one
# holding swap.  Checked: --list-partitions and e2.partitions against
# sfdisk --json and blkid -p at each offset; read commands on partition 2
# print what debugfs prints on an extracted copy of it; migrate-all on
# partition 2 with -z leaves everything outside it byte-identical, the
# extracted copy e2fsck -fn clean with every content kept (verify.py) and
# exactly the model's inodes migrated, and e2undo restores the whole disk
# byte-identically; a locked image, a mounted one and the bad cases (no
# partition table, no such partition, no filesystem in it, a filesystem
# larger than its partition, bad numbers) refuse with clear messages,
# exit 2, and write nothing.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"
command -v sfdisk >/dev/null 2>&1 || skip "no sfdisk (apt-get install fdisk)"

S=512
P1=2048 N1=16384		# sectors: 8 MiB
P2=18432 N2=40960		# 20 MiB
P3=59392 N3=8192		# 4 MiB, no filesystem
U1=11111111-1111-4111-8111-111111111111

# part_of DISK START COUNT OUT: sectors START.. of DISK as a file.
part_of() { dd if="$1" of="$4" bs=$S skip="$2" count="$3" status=none; }

# The expected --list-partitions text, from sfdisk --json and blkid -p.
expected_list() {	# disk
	sfdisk -J "$1" >"$T/sf.json" || fail "sfdisk -J"
	python3 - "$1" "$T/sf.json" <<'EOF'
import json, re, subprocess, sys
disk, t = sys.argv[1], json.load(open(sys.argv[2]))["partitiontable"]
rows = []
for p in t["partitions"]:
    num = int(re.search(r"(\d+)$", p["node"]).group(1))
    start, size = p["start"] * 512, p["size"] * 512
    typ = p["type"]
    if t["label"] == "gpt":
        typ = typ.lower()
    else:
        typ = "0x%02x" % int(typ, 16)
        if typ in ("0x05", "0x0f", "0x85"):
            typ += " (extended)"
    fs = {}
    if "(extended)" not in typ:
        out = subprocess.run(["blkid", "-p", "-o", "export", "-O", str(start),
                              "-S", str(size), disk], capture_output=True, text=True).stdout
        fs = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    v, u = float(size), 0
    while v >= 1024 and u < 6:
        v /= 1024
        u += 1
    human = ("%.1f" if u and v < 10 and v != int(v) else "%.0f") % v + "BKMGTPE"[u]
    rows.append((num, start, size, human, typ, fs.get("TYPE", "-"),
                 fs.get("LABEL", "-"), fs.get("UUID", "-")))
tw = max([4] + [len(r[4]) for r in rows])
lw = max([5] + [len(r[6]) for r in rows])
ident = t.get("id", "-").lower()
ident = ident[2:] if ident.startswith("0x") else ident
print("%s: %s partition table, disk identifier %s, %d partition%s" %
      (disk, t["label"], ident, len(rows), "" if len(rows) == 1 else "s"))
print("Number   Start (bytes)    Size (bytes)   Size  %-*s  Filesystem  %-*s  UUID" %
      (tw, "Type", lw, "Label"))
for r in rows:
    print("%6d  %14d  %14d  %5s  %-*s  %-10s  %-*s  %s" %
          (r[0], r[1], r[2], r[3], tw, r[4], r[5], lw, r[6], r[7]))
EOF
}

# mk_disk DISK LABEL: the partition table, then the filesystems, each
# made as an image of its own and written in place.
mk_disk() {	# disk label
	disk=$1
	rm -f "$disk"
	truncate -s 48M "$disk"
	if [ "$2" = dos ]; then
		printf '%s\n' "label: dos" "label-id: 0x1234abcd" \
			"start=$P1, size=$N1, type=83" "start=$P2, size=$N2, type=83" \
			"start=$P3, size=$N3, type=83" "start=$((P3 + N3)), type=5" \
			"start=$((P3 + N3 + 2048)), type=82"
	else
		printf '%s\n' "label: gpt" "label-id: 6D2A4B3C-AAAA-4BBB-8CCC-DDDDEEEEFFFF" \
			"start=$P1, size=$N1, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=one" \
			"start=$P2, size=$N2, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=two" \
			"start=$P3, size=$N3, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=empty" \
			"start=$((P3 + N3 + 2048)), size=4096, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name=swap"
	fi | sfdisk -q "$disk" >"$T/sfdisk.out" 2>&1 || { fail "sfdisk $2: $(cat "$T/sfdisk.out")"; return 1; }
	mkdir -p "$T/tree1"
	echo "partition one" >"$T/tree1/hello"
	mke2fs -q -F -t ext3 -b 1024 -L one -U $U1 -d "$T/tree1" "$T/p1.img" $((N1 / 2))k \
		>/dev/null 2>&1 || { fail "mke2fs p1"; return 1; }
	[ -f "$T/p2.img" ] || mk_image "$T/p2.img" ext3 1024 $((N2 / 2))k ||
		{ fail "mk_image p2"; return 1; }
	dd if="$T/p1.img" of="$disk" bs=$S seek=$P1 conv=notrunc status=none
	dd if="$T/p2.img" of="$disk" bs=$S seek=$P2 conv=notrunc status=none
	swap=$((P3 + N3 + 2048))
	part_of "$disk" $swap 4096 "$T/swap.img"
	mkswap -L sw -U 33333333-3333-4333-8333-333333333333 "$T/swap.img" >/dev/null 2>&1 ||
		fail "mkswap"
	dd if="$T/swap.img" of="$disk" bs=$S seek=$swap conv=notrunc status=none
}

variant() {	# dos|gpt
	v=$1 disk=$T/disk.$1.img
	mk_disk "$disk" "$v" || return

	# The listing, and e2.partitions.
	expected_list "$disk" >"$T/list.want"
	expect_rc 0 "$E2LUA" --list-partitions "$disk"
	cmp -s "$T/list.want" "$T/out" ||
		fail "$v: --list-partitions: $(diff "$T/list.want" "$T/out" | head -n 20)"
	expect_rc 0 "$E2LUA" -e "for _, p in ipairs(e2.partitions('$disk')) do
		print(p.number, p.start, p.size, p.type, p.fs and p.fs.type or '-',
		      p.fs and p.fs.label or '-', p.name or '-') end"
	awk 'NR > 2 { print $1, $2, $3, $5 }' "$T/list.want" >"$T/lua.want"
	awk '{ print $1, $2, $3, $4 }' "$T/out" >"$T/lua.got"
	cmp -s "$T/lua.want" "$T/lua.got" ||
		fail "$v: e2.partitions: $(diff "$T/lua.want" "$T/lua.got" | head)"
	[ "$v" = gpt ] && assert_grep "	two$" "$T/out" "$v: GPT partition names"
	expect_rc 0 "$E2LUA" -R "partitions $disk"
	cmp -s "$T/list.want" "$T/out" || fail "$v: the partitions command"

	# Read commands on partition 2 = debugfs on the extracted copy.
	before=$(sum "$disk")
	part_of "$disk" $P2 $N2 "$T/x2.img"
	cat >"$T/r.cmds" <<-EOF
	stats
	ls -l /
	stat /frag
	blocks /dind
	stat /sparse_tind
	icheck $(debugfs -R "bmap /dind 300" "$T/x2.img" 2>/dev/null)
	ncheck 12 13
	imap /dir/big
	id /twelve
	bd -f /thirteen 12
	bd 1
	cat /tiny
	EOF
	debugfs -f "$T/r.cmds" "$T/x2.img" >"$T/d.raw" 2>/dev/null
	"$E2LUA" -P 2 -f "$T/r.cmds" "$disk" >"$T/e.raw" 2>"$T/e.err" ||
		fail "$v: -P 2 reads: $(head -c 300 "$T/e.err")"
	norm "$T/d.raw" >"$T/d.out"
	norm "$T/e.raw" >"$T/e.out"
	cmp -s "$T/d.out" "$T/e.out" ||
		fail "$v: -P 2 differs from debugfs on the copy: $(diff "$T/d.out" "$T/e.out" | head -n 20)"
	expect_rc 0 "$E2LUA" --partition 1 -R "cat /hello" "$disk"
	assert_eq "partition one" "$(cat "$T/out")" "$v: cat on partition 1"
	expect_rc 0 "$E2LUA" -e "local fs <close> = e2.open{'$disk', partition = 2}
		local f1 <close> = e2.open('$disk', {partition = 1})
		print(fs.partition, fs.offset, f1.partition, f1.offset, f1.super.volume_name)"
	assert_eq "2 $((P2 * S)) 1 $((P1 * S)) one" "$(tr '\t' ' ' <"$T/out")" "$v: e2.open partition"
	printf '%s\n' "open -P 1 $disk" "=fs.partition" "cat /hello" "open -P 2" \
		"=fs.partition, fs.offset" "open -w" "=fs.partition, fs.writable" "partitions" >"$T/o.cmds"
	expect_rc 0 "$E2LUA" -f "$T/o.cmds"
	assert_grep "^1$" "$T/out" "$v: open -P 1"
	assert_grep "^2	$((P2 * S))$" "$T/out" "$v: open -P 2 on the open image"
	assert_grep "^2	true$" "$T/out" "$v: open -w keeps the partition"
	assert_eq "$before" "$(sum "$disk")" "$v: read-only use changed the disk"

	if [ -n "$VG" ]; then
		# One valgrind start: the listing (the command's, as
		# --list-partitions prints it), e2.partitions, a partition's files.
		expect_rc 0 $VG "$E2LUA" -P 2 -R "stat /frag" -R partitions \
			-e "print(#e2.partitions('$disk'))" "$disk"
		grep -Fxvf "$T/out" "$T/list.want" >"$T/vg.missing"
		[ -s "$T/vg.missing" ] && fail "$v: valgrind: partitions lacks $(head -c 300 "$T/vg.missing")"
		assert_grep "^$(($(wc -l <"$T/list.want") - 2))$" "$T/out" "$v: valgrind: #e2.partitions"
		assert_grep "^Inode: [0-9]*  *Type: regular" "$T/out" "$v: valgrind: stat /frag"
		expect_rc 2 $VG "$E2LUA" -P 3 -R stats "$disk"
	fi

	# Refusals: nothing written, exit 2.
	expect_rc 2 "$E2LUA" -P 3 -R stats "$disk"
	assert_grep "partition 3: The partition holds no ext2/ext3/ext4 filesystem" "$T/err" "$v: -P 3"
	assert_grep "list-partitions $disk lists them" "$T/err" "$v: -P 3 hint"
	expect_rc 2 "$E2LUA" -P 9 -R stats "$disk"
	assert_grep "partition 9: No partition of that number" "$T/err" "$v: -P 9"
	expect_rc 2 "$E2LUA" -R stats "$disk"
	assert_grep "holds a $v partition table: open a partition with -P N" "$T/err" "$v: whole disk"
	expect_rc 2 env EXT2FS_PRETEND_RW_MOUNT=1 "$E2LUA" -w -P 2 -R stats "$disk"
	assert_grep "partition 2: Filesystem is mounted" "$T/err" "$v: mounted"
	expect_rc 2 flock "$disk" "$E2LUA" -w -P 1 -R stats "$disk"
	assert_grep "partition 1: Image is locked by another e2lua writer" "$T/err" "$v: locked"
	assert_eq "$before" "$(sum "$disk")" "$v: a refusal changed the disk"

	# migrate-all on partition 2, with an undo file.
	snapshot "$T/x2.img" "$T/before.json"
	python3 "$TOP/tests/verify.py" expect "$T/before.json" >"$T/model" || fail "$v: model"
	inos=$(sed -n 1p "$T/model")
	[ -n "$inos" ] || fail "$v: the model migrates nothing"
	cp "$disk" "$T/orig.img"
	rm -f "$T/undo"
	expect_rc 0 "$E2LUA" -w -z "$T/undo" -P 2 "$disk" migrate-all
	assert_grep "^migrate-all: migrated [0-9]* inodes" "$T/out" "$v: migrate-all"
	part_of "$disk" 0 $P2 "$T/head.after"
	part_of "$T/orig.img" 0 $P2 "$T/head.before"
	cmp -s "$T/head.before" "$T/head.after" || fail "$v: the table or partition 1 changed"
	dd if="$disk" of="$T/tail.after" bs=$S skip=$((P2 + N2)) status=none
	dd if="$T/orig.img" of="$T/tail.before" bs=$S skip=$((P2 + N2)) status=none
	cmp -s "$T/tail.before" "$T/tail.after" || fail "$v: what follows partition 2 changed"
	part_of "$disk" $P2 $N2 "$T/x2.after"
	check_migrated "$T/before.json" "$T/x2.after" "$inos" "$v: migrate-all on partition 2"
	assert_eq "$(sed -n 2p "$T/model")" "$(free_blocks "$T/x2.after")" "$v: free blocks vs the model"
	e2undo -h "$T/undo" "$disk" >"$T/undo.h" 2>&1
	assert_grep "^fs offset:	$((P2 * S))$" "$T/undo.h" "$v: the undo file's offset"
	e2undo "$T/undo" "$disk" >"$T/e2undo.out" 2>&1 || fail "$v: e2undo: $(cat "$T/e2undo.out")"
	cmp -s "$T/orig.img" "$disk" || fail "$v: e2undo did not restore the disk"
}

variant dos
variant gpt

# The examples of the README, the man page and lua-api.md, as written, on
# the MBR disk as sd.img: the migration and its undo leave it as it was.
ex_run() {	# what script
	rm -rf "$T/ex" && mkdir "$T/ex" && cp "$T/disk.dos.img" "$T/ex/sd.img"
	(cd "$T/ex" && PATH="$(dirname "$E2LUA"):$PATH" sh -e "$2") >"$T/ex.out" 2>&1 ||
		fail "$1 examples: $(tail -5 "$T/ex.out")"
	cmp -s "$T/disk.dos.img" "$T/ex/sd.img" || fail "$1 examples: sd.img not restored"
}
grep -E "^e2(lua|undo) .*sd\.(img|undo)" "$TOP/README.md" >"$T/readme.sh"
assert_eq 4 "$(wc -l <"$T/readme.sh" | tr -d ' ')" "README: partition examples"
ex_run README "$T/readme.sh"
assert_grep "^     2         9437184        20971520    20M  0x83" "$T/ex.out" "README: --list-partitions"
assert_grep "^migrate-all: migrated" "$T/ex.out" "README: migrate-all"
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$TOP/doc/e2lua.1" | sed -e 's/\\(aq/'"'"'/g' -e 's/\\-/-/g' |
	grep -E "^e2(lua|undo) .*sd\.(img|undo)" >"$T/man.sh"
assert_eq 4 "$(wc -l <"$T/man.sh" | tr -d ' ')" "man page: partition examples"
ex_run "man page" "$T/man.sh"
assert_grep " lost+found$" "$T/ex.out" "man page: ls -l on partition 2"
sed -n '/^### `e2.partitions(path)`/,/^## The filesystem object/p' "$TOP/doc/lua-api.md" |
	awk '/^```lua/ { on = 1; next } /^```/ { on = 0 } on' >"$T/api.lua"
[ "$(grep -c . "$T/api.lua")" -ge 5 ] || fail "lua-api.md: the partitions example is missing"
printf 'e2lua -e "$(cat %s)"\n' "$T/api.lua" >"$T/api.sh"
ex_run lua-api.md "$T/api.sh"
assert_eq "1 one $(free_blocks "$T/p1.img")" "$(sed -n 1p "$T/ex.out" | tr '\t' ' ')" "lua-api.md: e2.partitions example"
[ "$(wc -l <"$T/ex.out" | tr -d ' ')" = 2 ] || fail "lua-api.md: e2.partitions example: $(cat "$T/ex.out")"

# Not a partitioned image; a filesystem larger than its partition.
img=$T/p1.img
expect_rc 2 "$E2LUA" --list-partitions "$img"
assert_grep "^e2lua: $img: No partition table found (MBR or GPT)$" "$T/err" "--list-partitions of a plain image"
expect_rc 2 "$E2LUA" -P 1 -R stats "$img"
assert_grep "partition 1: No partition table found" "$T/err" "-P on a plain image"
expect_rc 1 "$E2LUA" -e "local ok, e = pcall(e2.open, '$img', {partition = 1})
	assert(e.code == e2.errors.E2C_ERR_NO_PARTITIONS) error(e)"
assert_grep "open $img: No partition table found" "$T/err" "e2.open partition on a plain image"
small=$T/small.disk
truncate -s 8M "$small"
printf 'label: dos\nstart=2048, size=8192, type=83\n' | sfdisk -q "$small" >/dev/null 2>&1
dd if="$T/p1.img" of="$small" bs=$S seek=2048 count=8192 conv=notrunc status=none
before=$(sum "$small")
expect_rc 2 "$E2LUA" -w -P 1 -R stats "$small"
assert_grep "partition 1: Filesystem is larger than its partition" "$T/err" "fs larger than its partition"
assert_eq "$before" "$(sum "$small")" "fs larger than its partition: written"

# Usage errors.
expect_rc 2 "$E2LUA" -P 0 "$small"
assert_grep "bad partition number '0' (1 or more)" "$T/err" "-P 0"
expect_rc 2 "$E2LUA" --partition x "$small"
assert_grep "bad partition number 'x'" "$T/err" "--partition x"
expect_rc 2 "$E2LUA" -P 1
assert_grep "need an IMAGE" "$T/err" "-P without an image"
expect_rc 2 "$E2LUA" --list-partitions -w "$small"
assert_grep "list-partitions takes an IMAGE and nothing else" "$T/err" "--list-partitions -w"
expect_rc 1 "$E2LUA" -R "open -P x $small"
assert_grep "open: bad partition number 'x'" "$T/err" "open -P x"
finish
