#!/bin/sh
# t_inspect_freefrag.sh -- `freefrag` prints what e2freefrag prints, byte
# for byte, with and without -c, on images with 1 KiB and 4 KiB blocks,
# flex_bg and not, free space fragmented by debugfs, a block count that is
# a multiple of the chunk size, a bitmap that disagrees with the free
# counts and a bitmap with no free block at all.  The per-group table (-g)
# and the report of one group are checked against dumpe2fs's lists of
# free blocks, group by group (an independent reading of the same
# bitmaps).  Bad arguments fail cleanly; nothing is written.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"
command -v e2freefrag >/dev/null || skip "no e2freefrag"

# The oracle for -g and for each group: dumpe2fs's free lists, and the
# report e2freefrag would print for that many blocks and those extents
# (its buckets and labels, written again here from its rules).
#   oracle.py IMG DIR CHUNK_KB...   for each chunk size C ("0": none),
#     DIR/table.C (the -g table) and DIR/want.C.G (group G's report);
#     prints how many groups there are
cat >"$T/oracle.py" <<'EOF'
import re, subprocess, sys
img, outdir, chunk_sizes = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3:]]
d = subprocess.run(["dumpe2fs", img], capture_output=True, text=True).stdout
bs = int(re.search(r"^Block size:\s+(\d+)", d, re.M).group(1))
groups = []
for m in re.finditer(r"^Group (\d+): \(Blocks (\d+)-(\d+)\).*?\n  Free blocks: ([^\n]*)", d, re.M | re.S):
    ext = []
    for r in filter(None, (x.strip() for x in m.group(4).split(","))):
        a, _, b = r.partition("-")
        ext.append((int(a), int(b or a) - int(a) + 1))
    groups.append((int(m.group(2)), int(m.group(3)), ext))
scale = bs // 1024
def free_chunks(ext, cb):
    return sum(max(0, (s + n) // cb - (s + cb - 1) // cb) for s, n in ext) if cb else 0
def stats(ext):
    n, tot = len(ext), sum(l for _, l in ext)
    mn = min((l for _, l in ext), default=0)
    mx = max((l for _, l in ext), default=0)
    return n, tot, mn * scale, mx * scale, (tot // n * scale if n else 0)
def table(cb):
    out = ["", "FREE SPACE PER GROUP (free extents cut at group boundaries):",
           "%6s  %12s  %12s  %12s  %10s  %10s  %10s%s" % ("Group", "First block",
           "Free blocks", "Free extents", "Min KB", "Max KB", "Avg KB",
           "   Free chunks" if cb else "")]
    for g, (first, last, ext) in enumerate(groups):
        n, tot, mn, mx, avg = stats(ext)
        out.append("%6d  %12d  %12d  %12d  %10d  %10d  %10d%s" % (g, first, tot, n, mn, mx,
                   avg, "  %12d" % free_chunks(ext, cb) if cb else ""))
    return out
def label(nbytes):          # a bound in bytes, as "%5d" + unit
    u = 0
    while nbytes >= 1024 ** (u + 2) and u < 7:
        u += 1
    return "%5d%s" % (nbytes // 1024 ** (u + 1), "KMGTPEZY"[u])
def group_report(g, chunk_kb, cb):
    first, last, ext = groups[g]
    count = last - first + 1
    n, tot, mn, mx, avg = stats(ext)
    out = ["Device: " + img, "Blocksize: %d bytes" % bs,
           "Group: %d (blocks %d-%d)" % (g, first, last), "Total blocks: %d" % count,
           "Free blocks: %d (%.1f%%)" % (tot, tot * 100 / count)]
    if cb:
        chunks = max(0, (last + 1) // cb - (first + cb - 1) // cb)
        fc = free_chunks(ext, cb)
        out += ["", "Chunksize: %d bytes (%d blocks)" % (chunk_kb * 1024, cb),
                "Total chunks: %d" % chunks, "Free chunks: %d (%.1f%%)" % (fc, fc * 100 / chunks)]
    out += ["", "Min. free extent: %d KB " % mn, "Max. free extent: %d KB" % mx,
            "Avg. free extent: %d KB" % avg, "Num. free extent: %d" % n, "",
            "HISTOGRAM OF FREE EXTENT SIZES:",
            "Extent Size Range :  Free extents   Free Blocks  Percent"]
    hist = {}
    for _, l in ext:
        b = min(l.bit_length(), 31)
        e, blk = hist.get(b, (0, 0))
        hist[b] = (e + 1, blk + l)
    for b in sorted(hist):
        lo = label((1 << (b - 1)) * bs)
        hi = "max " if b == 31 else label((1 << b) * bs) + "-"
        e, blk = hist[b]
        out.append("%s...%7s  :  %12d  %12d  %6.2f%%" % (lo, hi, e, blk, blk * 100 / tot))
    return out
for c in chunk_sizes:
    cb = c * 1024 // bs
    open("%s/table.%d" % (outdir, c), "w").write("\n".join(table(cb)) + "\n")
    for g in range(len(groups)):
        open("%s/want.%d.%d" % (outdir, c, g), "w").write("\n".join(group_report(g, c, cb)) + "\n")
print(len(groups))
EOF

# compare IMG TAG: freefrag against e2freefrag (several chunk sizes), the
# -g table and each group's report against the dumpe2fs oracle.
compare() {
	img=$1 tag=$2
	before=$(sum "$img")
	for c in "" 4 1024; do
		opt=${c:+-c $c}
		e2freefrag $opt "$img" >"$T/want" 2>&1
		expect_rc 0 "$E2LUA" -R "freefrag $opt" "$img"
		cmp -s "$T/want" "$T/out" ||
			fail "$tag: freefrag $opt differs from e2freefrag: $(diff "$T/want" "$T/out" | head -n 12)"
	done
	ngroups=$(python3 "$T/oracle.py" "$img" "$T" 0 16)
	[ "${ngroups:-0}" -ge 1 ] || fail "$tag: the oracle found no group"
	for c in 0 16; do
		opt=-c$c
		[ $c = 0 ] && opt=""
		{ e2freefrag $opt "$img" 2>&1; cat "$T/table.$c"; } >"$T/want"
		expect_rc 0 "$E2LUA" -R "freefrag -g $opt" "$img"
		cmp -s "$T/want" "$T/out" ||
			fail "$tag: freefrag -g $opt: $(diff "$T/want" "$T/out" | head -n 12)"
		g=0
		while [ "$g" -lt "${ngroups:-0}" ]; do
			expect_rc 0 "$E2LUA" -R "freefrag $opt $g" "$img"
			cmp -s "$T/want.$c.$g" "$T/out" ||
				fail "$tag: freefrag $opt $g: $(diff "$T/want.$c.$g" "$T/out" | head -n 12)"
			g=$((g + 1))
		done
	done
	assert_eq "$before" "$(sum "$img")" "$tag: freefrag wrote to the image"
}

# debugfs fragments the free space: n one-block files, of which a repeating
# pattern is deleted, leaving holes of 1, 2, 3 and 7 blocks.
holes() {	# img bs n
	head -c "$2" /dev/urandom >"$T/one"
	i=0
	while [ $i -lt "$3" ]; do echo "write $T/one f$i"; i=$((i + 1)); done >"$T/h.cmds"
	i=0
	while [ $i -lt "$3" ]; do
		case $((i % 20)) in 0|3|4|7|8|9|12|13|14|15|16|17|18) echo "rm f$i" ;; esac
		i=$((i + 1))
	done >>"$T/h.cmds"
	debugfs_wf "$1" "$T/h.cmds" || fail "debugfs holes $1"
}

# ext3 with 1 KiB blocks and ext4 (flex_bg) with 4 KiB blocks as the
# other tests build them (mk_image's /fill leaves one-block holes).
for kb in ext3:1024 ext4:4096; do
	kind=${kb%:*} bs=${kb#*:}
	mk_image "$T/$kind.img" "$kind" "$bs" 32M || fail "mk_image $kind $bs"
	compare "$T/$kind.img" "$kind/$bs"
	rm -f "$T/$kind.img"
done

# ext2 without flex_bg over several groups, and ext4 with flex_bg and
# 1 KiB blocks, both with debugfs's holes.
mke2fs -q -F -t ext2 -b 4096 -g 8192 "$T/e2.img" 64M || fail "mke2fs ext2"
holes "$T/e2.img" 4096 600
compare "$T/e2.img" "ext2/4096, holes"
mke2fs -q -F -t ext4 -b 1024 -O flex_bg -G 4 "$T/e4.img" 40M || fail "mke2fs ext4"
holes "$T/e4.img" 1024 900
compare "$T/e4.img" "ext4/1024 flex_bg, holes"

# A block count that is a multiple of the chunk (e2freefrag then counts
# one chunk more than there is), and one that is not.
mke2fs -q -F -t ext2 -b 1024 "$T/m.img" 8192 || fail "mke2fs 8192"
holes "$T/m.img" 1024 300
compare "$T/m.img" "8192 blocks"
mke2fs -q -F -t ext2 -b 1024 "$T/m.img" 8195 || fail "mke2fs 8195"
compare "$T/m.img" "8195 blocks"

# The bitmap says more is used than the counts do (debugfs setb changes
# only the bitmap): e2freefrag prints the superblock's count and divides
# by it; so does freefrag.  Then nothing free at all in the bitmap.
cp "$T/e2.img" "$T/x.img"
debugfs_w "$T/x.img" "setb 9000 3000" || fail "setb 9000 3000"
compare "$T/x.img" "bitmap unlike the counts"
nb=$(dumpe2fs -h "$T/m.img" 2>/dev/null | sed -n 's/^Block count: *//p')
# (debugfs warns of every block already set: checked by the count below.)
debugfs -w -R "setb 1 $((nb - 1))" "$T/m.img" >/dev/null 2>&1
compare "$T/m.img" "no free block in the bitmap"
assert_grep "^Num. free extent: 0$" "$T/out" "no free block: no extent"

# Bad input.
img=$T/e2.img
for bad in "-c 3:power of 2" "-c 0:bad chunk size" "-c x:bad chunk size" \
	"-c 2:at least the block size" "-c:needs an argument" "-q:unknown option '-q'" \
	"999:no group 999" "-- -1:bad group" "-g 1:too many arguments" "1 2:too many arguments"; do
	args=${bad%%:*} msg=${bad#*:}
	expect_rc 1 "$E2LUA" -R "freefrag $args" "$img"
	assert_grep "$msg" "$T/err" "freefrag $args"
	assert_grep "Usage: freefrag" "$T/err" "freefrag $args: usage"
	[ -s "$T/out" ] && fail "freefrag $args printed: $(head -c 200 "$T/out")"
done
expect_rc 1 "$E2LUA" -c -R "freefrag" "$img"
assert_grep "bitmaps not loaded" "$T/err" "freefrag under -c"
finish
