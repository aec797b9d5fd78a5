# Crash at a spread sample of the writes and fsyncs of a migrate-all
# commit with an undo file (every write and fsync with CRASH_ALL=1, as
# `make crash-test` runs it), on 1 KiB and 4 KiB images: after each stop,
# torn write, EIO or full undo disk, every file reads back identical,
# e2fsck repairs without loss, and the recovery doc/crash.md gives (e2undo,
# -f when the superblock no longer matches) restores the original or
# refuses without writing.  See doc/crash.md.
. "$(dirname "$0")/lib.sh"
drv=$TOP/build/crash/crashmig
[ -x "$drv" ] || { fail "$drv missing: build it with make check or make crash-test"; finish; }

# 1 KiB blocks: every shape (sparse, triple indirect, directories, slow
# symlinks, and /frag: 480 fragments, over the 4 * 84 extents a depth-1
# tree holds) in one 8 MiB group, so all the gaps /frag fills are in reach.
FRAG_BLOCKS=480 mk_image "$T/img" ext3 1024 8M || { fail "mk_image"; finish; }
# The commit really covers the shapes: a depth-2 tree for /frag, and the
# triple-indirect sparse file and the slow symlink become extent-mapped.
cp "$T/img" "$T/full"
"$drv" "$T/full" >"$T/out" 2>&1 || fail "full run: $(cat "$T/out")"
depth=$(debugfs -R 'ex /frag' "$T/full" 2>/dev/null | sed -n '2s|^ *[0-9]*/ *\([0-9]*\).*|\1|p')
[ "${depth:-0}" -ge 2 ] || fail "/frag migrated to depth ${depth:-none}, wanted >= 2"
for f in /sparse_tind /slowlink /dir/big; do
	debugfs -R "stat $f" "$T/full" 2>/dev/null | grep -q 'Flags: 0x80000' ||
		fail "$f not extent-mapped after the full run"
done
all=""
[ "${CRASH_ALL:-0}" = 1 ] && all=--all
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img" \
	--work "$T/work" $all ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} ||
	fail "crash points failed (above)"

# The checksummed write path: ext4 without extents, metadata_csum,
# huge_file, flex_bg; two block groups, so a torn primary superblock has a
# backup (without one, no writer's torn superblock can be repaired).
mk_image "$T/csum" ext4noext 1024 16M || { fail "mk_image csum"; finish; }
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/csum" \
	--work "$T/work.csum" $all --max-points 12 ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} ||
	fail "crash points (metadata_csum) failed (above)"

# 4 KiB blocks: libext2fs writes the superblock through a channel set to
# 1 KiB; with an undo file that must not reach its header (a kill at the
# fsync after it made e2undo -f replay every block at a quarter of its
# offset: the flush points catch it).  The tree of 1 KiB shapes: 4 KiB
# ones reach the triple-indirect range only past 4 GiB, and every point reads
# every file back.
python3 "$TOP/tests/gen_tree.py" "$T/tree.4096" 1024 || { fail "gen_tree"; finish; }
mk_image "$T/img4k" ext3 4096 24M || { fail "mk_image 4k"; finish; }
# Sampled: the stops, the flushes and the undo file (every point with
# CRASH_ALL=1).
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img4k" \
	--work "$T/work.4k" $all --max-points 4 --kinds write,flush,undo \
	${CRASH_JOBS:+--jobs "$CRASH_JOBS"} ||
	fail "crash points (4 KiB blocks) failed (above)"
finish
