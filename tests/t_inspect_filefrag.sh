#!/bin/sh
# t_inspect_filefrag.sh -- frag against filefrag on a loop mount (where one
# is possible: root, and a kernel that mounts the image; skipped, saying
# so, otherwise).  For every regular file of an ext3 (1 KiB blocks) and an
# ext4 (4 KiB) image with a fragmented file, sparse files and unwritten extents:
#  - `frag -v` lists the runs filefrag -v lists (logical, physical,
#    length): the kernel's FIEMAP is an independent reader of the maps;
#  - filefrag's count ("N extents found": one plus each physical
#    discontinuity, or a run past a hole where the hole would put it)
#    equals ours, but for the gaps frag does not call a
#    fragment because only the file's own indirect or index blocks, or
#    filesystem metadata, sit in them (doc/lua-api.md, ino:frag): each
#    such gap is checked to hold nothing else, against debugfs's list of
#    the file's map blocks and dumpe2fs's of the metadata.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: no loop mount"
mnt=$T/mnt
mkdir "$mnt"
trap 'umount "$mnt" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT

for case in ext3/1024 ext4/4096; do
	kind=${case%/*} bs=${case#*/}
	{
		img=$T/$kind.$bs.img tag=$case
		mk_test_image "$img" $kind $bs || { fail "$tag: mk_test_image"; continue; }
		before=$(sum "$img")
		if ! mount -o loop,ro,noload -t "$kind" "$img" "$mnt" 2>"$T/mount.err"; then
			skip "cannot loop-mount an image here: $(cat "$T/mount.err")"
		fi
		(cd "$mnt" && find . -type f | sed 's|^\.||' | sort) >"$T/files"
		(cd "$mnt" && sed 's|^/||' "$T/files" | xargs filefrag -v) >"$T/filefrag" 2>&1 ||
			fail "$tag: filefrag: $(tail -n 3 "$T/filefrag")"
		umount "$mnt" || fail "$tag: umount"
		sed 's/^/frag -v /' "$T/files" >"$T/cmds"
		expect_rc 0 "$E2LUA" -f "$T/cmds" "$img"
		cp "$T/out" "$T/ours"
		sed 's/^/stat /' "$T/files" | debugfs -f - "$img" >"$T/stat" 2>/dev/null
		dumpe2fs "$img" >"$T/dumpe2fs" 2>/dev/null || fail "$tag: dumpe2fs"
		python3 - "$T/filefrag" "$T/ours" "$T/stat" "$tag" "$T/dumpe2fs" <<'EOF' >"$T/verdict" || fail "$tag: the comparison failed"
import re, sys
ff, ours, stat = (open(p).read() for p in sys.argv[1:4])
tag = sys.argv[4]
row = re.compile(r"^\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):[ \t]+(?:(\d+):)?", re.M)
def files(text):
    """name -> (runs [(logical, physical, length, expected or None)], text)."""
    out = {}
    for part in re.split(r"^File size of ", text, flags=re.M)[1:]:
        name = "/" + re.match(r"(\S+) is", part).group(1).lstrip("/")
        out[name] = ([(int(a), int(b), int(c), int(e) if e else None)
                      for a, b, c, e in row.findall(part)], part)
    return out
theirs, mine = files(ff), files(ours)
# The file's own map blocks (indirect, extent index) from debugfs stat.
mapb = {}
for sec in re.split(r"^debugfs: +stat ", stat, flags=re.M)[1:]:
    name = sec.split("\n", 1)[0].strip()
    blocks = set()
    for m in re.finditer(r"\((?:IND|DIND|TIND|ETB\d*)\):(\d+)(?:-(\d+))?", sec):
        blocks.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    mapb[name] = blocks
# Filesystem metadata (superblock backups, descriptors, bitmaps, tables).
meta = set()
for m in re.finditer(r"(?:superblock|descriptors|GDT blocks|bitmap|Inode table) at (\d+)(?:-(\d+))?",
                     open(sys.argv[5]).read()):
    meta.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
bad = 0
def say(msg):
    global bad
    bad += 1
    print("FAIL: %s: %s" % (tag, msg))
if sorted(theirs) != sorted(mine):
    say("files differ: filefrag %s, frag %s" % (sorted(theirs), sorted(mine)))
checked = excused = 0
for name in sorted(set(theirs) & set(mine)):
    (truns, ttext), (mruns, mtext) = theirs[name], mine[name]
    if [r[:3] for r in truns] != [r[:3] for r in mruns]:
        say("%s: runs differ:\n  filefrag %s\n  frag     %s" % (name, truns[:8], mruns[:8]))
        continue
    count = re.search(r"^\S+: (\d+) extents? found", ttext, re.M)
    frags = re.search(r"^Fragments: (\d+)", mtext, re.M)
    if not count or not frags:
        say("%s: no count (filefrag %s, frag %s)" % (name, count, frags))
        continue
    # Where filefrag sees a discontinuity (it prints where the run was
    # expected) and frag does not, only the file's own map blocks lie
    # between the runs; frag never sees one filefrag does not.
    own = 0
    # (filefrag prints an expected block on a first run past logical 0,
    # counted as its first extent all the same.)
    for prev, t, m in zip(truns, truns[1:], mruns[1:]):
        if m[3] is not None and t[3] is None:
            say("%s: frag starts a fragment at logical %d, filefrag does not" % (name, m[0]))
        elif t[3] is not None and m[3] is None:
            gap = range(prev[1] + prev[2], t[1])
            if len(gap) and all(b in mapb.get(name, ()) or b in meta for b in gap):
                own += 1
            else:
                say("%s: logical %d: filefrag expected %d, frag calls it contiguous" % (name, t[0], t[3]))
    if mruns and int(frags.group(1)) != int(count.group(1)) - own:
        say("%s: %s fragments, filefrag %s extents, %d gaps of its own map blocks or metadata"
            % (name, frags.group(1), count.group(1), own))
    excused += own
    checked += 1
print("%d gaps of the files' own map blocks or metadata" % excused)
print("checked %d files, %d differences" % (checked, bad))
EOF
		cat "$T/verdict"
		grep -q '^FAIL' "$T/verdict" && fail "$tag: frag disagrees with filefrag"
		grep -q '^checked [1-9][0-9]* files' "$T/verdict" || fail "$tag: no file compared"
		assert_eq "$before" "$(sum "$img")" "$tag: the image changed"
		rm -f "$img"
	}
done
finish
