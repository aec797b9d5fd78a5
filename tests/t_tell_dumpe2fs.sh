#!/bin/sh
# t_tell_dumpe2fs.sh -- a commit changes on disk only what its report says
# and what doc/migration.md says every commit does (issue 9: "every
# effect on the filesystem that the user did not name is announced").
# dumpe2fs before and after `migrate -r /` and `commit`: every line of
# the superblock and of every group that differs must be accounted for:
#  - reported by the commit: the features turned on, the free block
#    count (used blocks), the blocks newly used (exactly the new trees'
#    nodes, as many as the index blocks reported) and newly free (exactly
#    the migrated inodes' old indirect blocks, as many as reported freed),
#    the backup superblocks rewritten (each then has the new features;
#    when none is reported, each is byte-identical);
#  - documented in doc/migration.md as part of every commit: the last
#    write time, the lifetime writes, checksums, BLOCK_UNINIT cleared in
#    a group that gets an index block.
# Anything else (the state, inode bitmaps, inode counts...) fails.
. "$(dirname "$0")/lib.sh"

# The phrases doc/migration.md's table of effects must hold for what the
# checker below calls documented.
for phrase in s_wtime s_kbytes_written BLOCK_UNINIT "superblock checksum" \
	"descriptor checksum" "bitmap checksum"; do
	grep -q "$phrase" "$TOP/doc/migration.md" ||
		fail "doc/migration.md does not document '$phrase'"
done

# backups IMG BS OUT: "BLOCK FEATURES" of every backup superblock.
backups() {
	for b in $(dumpe2fs "$1" 2>/dev/null | sed -n 's/^  Backup superblock at \([0-9]*\).*/\1/p'); do
		echo "$b $(dumpe2fs -h -o superblock="$b" -o blocksize="$2" "$1" 2>/dev/null |
			sed -n 's/^Filesystem features: *//p')"
	done >"$3"
}

# check_commit NAME IMG BS: migrate -r / and commit a copy of IMG; every
# difference dumpe2fs shows must be accounted for.
check_commit() {
	name=$1 img=$T/$1.run.img bs=$3
	cp "$2" "$img"
	dumpe2fs "$img" >"$T/$name.before" 2>/dev/null
	backups "$img" "$bs" "$T/$name.bk.before"
	for b in $(cut -d' ' -f1 "$T/$name.bk.before"); do
		dd if="$img" bs="$bs" skip="$b" count=1 2>/dev/null | sha256sum
	done >"$T/$name.bkraw.before"
	# the real clock: the last write time changes as it does for users
	expect_rc 0 env -u E2FSPROGS_FAKE_TIME "$E2LUA" -w -R "migrate -r /" -R commit "$img"
	cp "$T/out" "$T/$name.report"
	sed -n 's/^staged \([0-9]*\) .*/stat <\1>/p' "$T/$name.report" >"$T/$name.stat"
	[ -s "$T/$name.stat" ] || { fail "$name: nothing staged"; return; }
	debugfs -f "$T/$name.stat" "$2" >"$T/$name.stat.before" 2>/dev/null
	debugfs -f "$T/$name.stat" "$img" >"$T/$name.stat.after" 2>/dev/null
	dumpe2fs "$img" >"$T/$name.after" 2>/dev/null
	backups "$img" "$bs" "$T/$name.bk.after"
	for b in $(cut -d' ' -f1 "$T/$name.bk.before"); do
		dd if="$img" bs="$bs" skip="$b" count=1 2>/dev/null | sha256sum
	done >"$T/$name.bkraw.after"
	python3 - "$T/$name" >"$T/$name.check" 2>&1 <<'EOF' ||
import re, sys
p = sys.argv[1]
read = lambda ext: open(p + ext).read()
report, bad = read(".report"), []

def dump(text):
    """dumpe2fs: the header as {key: value}, the groups as {n: {line key: line}}."""
    head, groups, g = {}, {}, None
    for line in text.split("\n"):
        m = re.match(r"Group (\d+): (.*)", line)
        if m:
            g = groups.setdefault(int(m[1]), {})
            g["group"] = m[2]
        elif g is not None and line.strip():
            key = re.match(r"\s*(Block bitmap|Inode bitmap|Free blocks:|Free inodes:|"
                           r"\d+ free blocks|[A-Za-z ]+)", line)[1]
            if re.match(r"\d+ free blocks", key):
                key = "counts"
            g[key] = line.strip()
        elif g is None:
            m = re.match(r"([^:]+):\s*(.*)", line)
            if m:
                head.setdefault(m[1], m[2])
    return head, groups

def blockset(ranges):
    s = set()
    for r in ranges.replace("Free blocks:", "").split(","):
        r = r.strip()
        if r:
            a, _, b = r.partition("-")
            s.update(range(int(a), int(b or a) + 1))
    return s

def stat_blocks(text, kinds):
    return {int(b) for k, b in re.findall(r"\((IND|DIND|TIND|ETB\d+)\):(\d+)", text)
            if re.match(kinds, k)}

m = re.search(r"^committed (\d+) inodes?: (\d+) data blocks?, (\d+) extents?, (\d+) index blocks?, "
              r"(\d+) indirect blocks? freed, used blocks ([-+]\d+)$", report, re.M)
if not m:
    sys.exit("no commit line in the report:\n" + report)
index, freed, used = int(m[4]), int(m[5]), int(m[6])
feats_on = re.findall(r"^feature: (\S+) turned on: ", report, re.M)
bk = re.search(r"^backups: (\d+) backup superblocks? .* rewritten to carry the new feature set$",
               report, re.M)
backups = int(bk[1]) if bk else 0

hb, gb = dump(read(".before"))
ha, ga = dump(read(".after"))
said = []
for k in sorted(set(hb) | set(ha)):
    b, a = hb.get(k), ha.get(k)
    if a == b:
        continue
    if k == "Filesystem features" and b and a:
        on, off = set(a.split()) - set(b.split()), set(b.split()) - set(a.split())
        if sorted(on) == sorted(feats_on) and not off:
            said.append("reported: features %s turned on" % sorted(on))
            continue
    elif k == "Free blocks" and int(a) == int(b) - used:
        said.append("reported: free blocks %s -> %s (used blocks %+d)" % (b, a, used))
        continue
    elif k == "Last write time":
        said.append("documented: s_wtime")
        continue
    elif k == "Lifetime writes":
        said.append("documented: s_kbytes_written")
        continue
    elif k == "Checksum":
        said.append("documented: superblock checksum")
        continue
    bad.append("superblock %s: [%s] -> [%s]" % (k, b, a))

newly_used, newly_free, free_delta = set(), set(), 0
for n in sorted(set(gb) | set(ga)):
    b, a = gb.get(n, {}), ga.get(n, {})
    fb, fa = blockset(b.get("Free blocks:", "")), blockset(a.get("Free blocks:", ""))
    used_here, newly_free_here = fb - fa, fa - fb
    newly_used |= used_here
    newly_free |= newly_free_here
    for k in sorted(set(b) | set(a)):
        x, y = b.get(k), a.get(k)
        if x == y or k == "Free blocks:":
            continue
        if k == "group":
            hx = re.match(r"(\(Blocks [^)]*\))(?: csum \S+)?(?: \[(.*)\])?$", x)
            hy = re.match(r"(\(Blocks [^)]*\))(?: csum \S+)?(?: \[(.*)\])?$", y)
            flx = set((hx[2] or "").split(", ")) - {""}
            fly = set((hy[2] or "").split(", ")) - {""}
            if hx[1] == hy[1] and (flx == fly or (flx - fly == {"BLOCK_UNINIT"}
                                                   and not fly - flx and used_here)):
                said.append("documented: group %d descriptor checksum%s" % (n,
                            "" if flx == fly else ", BLOCK_UNINIT cleared (an index block in it)"))
                continue
        elif k == "Block bitmap" and re.sub(r", csum \S+", "", x) == re.sub(r", csum \S+", "", y):
            said.append("documented: group %d block bitmap checksum" % n)
            continue
        elif k == "counts":
            cx, cy = re.match(r"(\d+) free blocks, (.*)", x), re.match(r"(\d+) free blocks, (.*)", y)
            if cx[2] == cy[2] and int(cx[1]) - int(cy[1]) == len(used_here) - len(newly_free_here):
                free_delta += int(cy[1]) - int(cx[1])
                continue
        bad.append("group %d %s: [%s] -> [%s]" % (n, k, x, y))

etb = stat_blocks(read(".stat.after"), r"ETB")
ind = stat_blocks(read(".stat.before"), r"IND|DIND|TIND")
if newly_used != etb or len(newly_used) != index:
    bad.append("blocks newly used %s are not the new trees' nodes %s (%d index blocks reported)"
               % (sorted(newly_used), sorted(etb), index))
else:
    said.append("reported: %d index blocks, the new trees' nodes" % index)
if newly_free != ind or len(newly_free) != freed:
    bad.append("blocks newly free %s are not the old indirect blocks %s (%d reported freed)"
               % (sorted(newly_free), sorted(ind), freed))
else:
    said.append("reported: %d indirect blocks freed, the old maps'" % freed)
if free_delta != -used:
    bad.append("group free counts changed by %+d, the report says used blocks %+d" % (free_delta, used))

# Backup superblocks: rewritten with the new features when reported,
# else untouched.
bkb = [l.split(" ", 1) for l in read(".bk.before").splitlines()]
bka = [l.split(" ", 1) for l in read(".bk.after").splitlines()]
if backups:
    if backups != len(bka):
        bad.append("%d backups reported rewritten, the fs has %d" % (backups, len(bka)))
    for blk, feats in bka:
        if feats != ha["Filesystem features"]:
            bad.append("backup at %s: features [%s], not the primary's" % (blk, feats))
    said.append("reported: %d backup superblocks rewritten" % backups)
elif read(".bkraw.before") != read(".bkraw.after"):
    bad.append("backup superblocks changed, none reported rewritten")
print("\n".join(said))
if bad:
    print("UNACCOUNTED:\n  " + "\n  ".join(bad))
    sys.exit(1)
EOF
	fail "$name: $(cat "$T/$name.check")"
	grep -q "^Filesystem state: *clean$" "$T/$name.after" || fail "$name: not clean after the commit"
	fsck_clean "$img"
}

# ext3, 1 KiB blocks, 4 groups: extent turned on, 2 backups rewritten.
mk_image "$T/ext3.img" ext3 1024 32M || fail "mk_image ext3"
check_commit ext3 "$T/ext3.img" 1024
assert_grep "^feature: extent turned on: " "$T/ext3.report" "ext3: the feature reported"
assert_grep "^backups: 2 backup superblocks " "$T/ext3.report" "ext3: the backups reported"

# ext4 without extents (metadata_csum, flex_bg), group 0 full: the index
# blocks go to group 1, whose BLOCK_UNINIT flag is cleared.
mk_image "$T/e4.img" ext4noext 1024 32M || fail "mk_image ext4noext"
free0=$(dumpe2fs "$T/e4.img" 2>/dev/null |
	sed -n '/^Group 0:/,/^Group 1:/s/^  \([0-9]*\) free blocks.*/\1/p')
# a file of n data blocks whose indirect blocks bring it to free0
n=$(python3 -c "
f = $free0
meta = lambda n: (n > 12) + (n > 268) * (1 + (n - 268 + 255) // 256)
n = f
while n + meta(n) > f: n -= 1
print(n if n + meta(n) == f else -1)")
head -c $((n * 1024)) /dev/zero | tr '\0' x >"$T/zfill"	# no holes
debugfs -w -R "write $T/zfill /zfill" "$T/e4.img" >/dev/null 2>&1
dumpe2fs "$T/e4.img" 2>/dev/null | grep -q "^Group 1: .*BLOCK_UNINIT" &&
	dumpe2fs "$T/e4.img" 2>/dev/null | grep -q "^  0 free blocks, .*" ||
	fail "ext4noext: group 0 not full, or group 1 not BLOCK_UNINIT (the case tests nothing)"
check_commit e4 "$T/e4.img" 1024
grep -q "BLOCK_UNINIT cleared" "$T/e4.check" || fail "ext4noext: no group had BLOCK_UNINIT cleared"

# extent on already, block-mapped files (tune2fs -O extent): no feature
# turned on, the backups untouched.
mk_image "$T/on.img" ext4noext 1024 32M || fail "mk_image on"
tune2fs -O extent "$T/on.img" >/dev/null 2>&1 || fail "tune2fs -O extent"
check_commit on "$T/on.img" 1024
grep -q "^feature:\|^backups:" "$T/on.report" && fail "extent on: $(grep "^feature:\|^backups:" "$T/on.report")"

# 4 KiB blocks, one group: extent turned on, no backup to rewrite.
mk_image "$T/one.img" ext3 4096 32M || fail "mk_image one"
check_commit one "$T/one.img" 4096
assert_grep "^feature: extent turned on: " "$T/one.report" "one group: the feature"
grep -q "^backups:" "$T/one.report" && fail "one group: $(grep "^backups:" "$T/one.report")"
finish
