#!/bin/sh
# Crash at a sample of the writes and fsyncs of an unmigrate-all
# commit (every extent-mapped inode back to a block map, the extent
# feature cleared at its end), with an undo file and without one (every
# write and fsync with CRASH_ALL=1, as `make crash-test` runs it, which
# adds a 4 KiB image to the 1 KiB one): after each stop, torn write, EIO or full undo
# disk, every file reads back identical, e2fsck repairs without loss, and
# with an undo file the recovery doc/crash.md gives restores the original
# or refuses without writing.  The images are ext3 images migrated first
# (trees of depth 0-2, sparse files up to TIND), so the unmigrate builds
# IND, DIND and TIND blocks.  See doc/crash.md.
. "$(dirname "$0")/lib.sh"
drv=$TOP/build/crash/crashmig
[ -x "$drv" ] || { fail "$drv missing: build it with make check or make crash-test"; finish; }
all=""
[ "${CRASH_ALL:-0}" = 1 ] && all=--all

# mk_extents IMG BS SIZE: an ext3 image, every inode migrated.
mk_extents() {
	mk_image "$1" ext3 "$2" "$3" || return 1
	"$drv" "$1" >"$T/mig.out" 2>&1 || { cat "$T/mig.out" >&2; return 1; }
	e2fsck -fn "$1" >/dev/null 2>&1
}

FRAG_BLOCKS=480 mk_extents "$T/img" 1024 8M || { fail "mk_extents 1k"; finish; }
depth=$(debugfs -R 'ex /frag' "$T/img" 2>/dev/null | sed -n '2s|^ *[0-9]*/ *\([0-9]*\).*|\1|p')
[ "${depth:-0}" -ge 2 ] || fail "/frag at depth ${depth:-none}, wanted >= 2"
# The full run covers the shapes: TIND, DIND, the feature cleared.
cp "$T/img" "$T/full"
"$drv" -U -C "$T/full" >"$T/out" 2>&1 || fail "full run: $(cat "$T/out")"
debugfs -R "stat /sparse_tind" "$T/full" 2>/dev/null | grep -q "(TIND)" ||
	fail "/sparse_tind has no TIND after the full run"
debugfs -R "stat /frag" "$T/full" 2>/dev/null | grep -q "(DIND)" ||
	fail "/frag has no DIND after the full run"
dumpe2fs -h "$T/full" 2>/dev/null | grep '^Filesystem features:' | grep -qw extent &&
	fail "extent feature left after the full run"
fsck_clean "$T/full"

python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img" \
	--work "$T/work" $all --max-points 8 ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -U -C ||
	fail "crash points failed (above)"
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img" \
	--work "$T/work.noundo" --no-undo $all --max-points 6 --kinds write,torn,flush \
	${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -U -C ||
	fail "crash points without an undo file failed (above)"

# 4 KiB blocks (the superblock written through a 1 KiB channel): with
# CRASH_ALL=1 only (make crash-test), to keep make check short.
[ -n "$all" ] || finish
python3 "$TOP/tests/gen_tree.py" "$T/tree.4096" 1024 || { fail "gen_tree"; finish; }
mk_extents "$T/img4k" 4096 24M || { fail "mk_extents 4k"; finish; }
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img4k" \
	--work "$T/work.4k" $all --max-points 4 --kinds write,flush,undo \
	${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -U -C ||
	fail "crash points (4 KiB blocks) failed (above)"
python3 "$TOP/tests/crash/crashtest.py" --driver "$drv" --image "$T/img4k" \
	--work "$T/work.4k.noundo" --no-undo $all --max-points 4 --kinds write,flush \
	${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -U -C ||
	fail "crash points (4 KiB blocks, no undo file) failed (above)"
finish
