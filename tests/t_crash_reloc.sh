# Crash the relocating commit (core/reloc.c, doc/migration.md) at a spread
# sample of its writes and fsyncs (every one with CRASH_ALL=1, as `make
# crash-test` runs it), with and without an undo file: relocations mixed
# with in-place migrations in one transaction on a 1 KiB ext3 image, and
# offline defragmentation of extent-mapped files (uninitialized extents
# too) with --verify on a 4 KiB ext4 image.  After each stop, torn write,
# EIO or full undo disk, every file reads back identical, e2fsck -fy
# repairs without loss, and e2undo restores the original
# (tests/crash/crashtest.py).  Then --verify against a corrupted copy: the
# crash io manager flips a byte of the copy's write, the commit stops
# before any inode points at it, and nothing changed but free blocks.
. "$(dirname "$0")/lib.sh"
drv=$TOP/build/crash/crashmig
[ -x "$drv" ] || { fail "$drv missing: build it with make check or make crash-test"; finish; }
crash=$TOP/tests/crash/crashtest.py
all=""
[ "${CRASH_ALL:-0}" = 1 ] && all=--all

flags() { debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p'; }

# A small tree (every point reads every file back): a plain file, a sparse
# one with holes up to the double-indirect range, a directory, a slow
# symlink; mk_frag_file adds the fragmented files.
small_image() {	# IMG TYPE BS SIZE
	mkdir -p "$T/small.$3/dir"
	python3 -c "
import random, sys
r = random.Random(5)
d = sys.argv[1]
open(d + '/plain', 'wb').write(r.randbytes(50000))
with open(d + '/sparse', 'wb') as f:
    for off in (0, 40000, 300000, 5000000):
        f.seek(off); f.write(r.randbytes(3000))
for i in range(3):
    open('%s/dir/f%d' % (d, i), 'wb').write(r.randbytes(5000 * (i + 1)))
" "$T/small.$3" || return 1
	ln -sf "$(printf 'x%.0s' $(seq 1 100))" "$T/small.$3/slowlink"
	# No metadata_csum: half a superblock would fail its checksum, and a
	# filesystem this small has no backup to repair it from (the
	# checksummed path is crash-tested by t_crash_sample.sh, relocation's
	# by t_migrate_reloc.sh).
	mke2fs -q -F -t "$2" -O ^metadata_csum -b "$3" -N 128 -d "$T/small.$3" "$1" "$4" \
		>"$T/mke2fs.out" 2>&1 ||
		{ cat "$T/mke2fs.out" >&2; return 1; }
}

# 1 KiB blocks: /frag (300 one-block fragments) and /frag2 relocate, the
# rest migrates in place, in the same commit.
small_image "$T/img" ext3 1024 8M || { fail "small_image"; finish; }
mk_frag_file "$T/img" /frag 300 || fail "mk_frag_file /frag"
mk_frag_file "$T/img" /dir/frag2 40 || fail "mk_frag_file /dir/frag2"
cp "$T/img" "$T/full"
"$drv" -R "$T/full" >"$T/out" 2>&1 || fail "full run: $(cat "$T/out")"
fsck_clean "$T/full"
assert_eq 0x80000 "$(flags "$T/full" /frag)" "/frag extent-mapped after the full run"
debugfs -R "ex /frag" "$T/full" 2>/dev/null | sed 1d >"$T/ex"
assert_eq 1 "$(wc -l <"$T/ex")" "/frag relocated into one extent"
assert_eq "$(debugfs -R 'cat /frag' "$T/img" 2>/dev/null | sum /dev/stdin)" \
	"$(debugfs -R 'cat /frag' "$T/full" 2>/dev/null | sum /dev/stdin)" "/frag content"
python3 "$crash" --driver "$drv" --image "$T/img" --work "$T/work" $all \
	--max-points 2 --kinds write,flush,undo ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -R ||
	fail "crash points (relocation, 1 KiB) failed (above)"
python3 "$crash" --driver "$drv" --image "$T/img" --work "$T/work.nz" $all \
	--no-undo --max-points 2 --kinds write,flush ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -R ||
	fail "crash points (relocation, 1 KiB, no undo file) failed (above)"

# 4 KiB blocks, extent-mapped: defragmenting /frag2 (200 extents) and
# the preallocated files, the copies verified.
small_image "$T/img4" ext4 4096 16M || { fail "small_image 4k"; finish; }
mk_uninit "$T/img4" 4096 || fail "mk_uninit"
mk_frag_file "$T/img4" /frag2 200 || fail "mk_frag_file"
python3 "$crash" --driver "$drv" --image "$T/img4" --work "$T/work.4k" $all \
	--max-points 1 --kinds write,flush,undo ${CRASH_JOBS:+--jobs "$CRASH_JOBS"} -- -R -V ||
	fail "crash points (defragmentation, 4 KiB) failed (above)"

# --verify: the write of /frag's copy (to its new place, as the full run
# put it); flipped, the commit must stop before the point of no return.
cp "$T/img" "$T/v"
"$drv" -R -t "$T/trace" "$T/v" >/dev/null 2>&1 || fail "trace run"
at=$(awk '{ print $8 * 1024; exit }' "$T/ex")
n=$(awk -v at="$at" '$1 == "write" && $3 == at { print $2; exit }' "$T/trace")
[ -n "$n" ] || fail "no write of /frag's copy (byte $at) in the trace"
cp "$T/img" "$T/v"
expect_rc 1 "$drv" -R -V -n "$n" -a flip "$T/v"
grep -q "crashmig: commit .*read back different" "$T/err" ||
	fail "verify: no mismatch reported: $(cat "$T/err")"
fsck_clean "$T/v"
assert_eq 0x0 "$(flags "$T/v" /frag)" "/frag still block-mapped after the verify failure"
assert_eq "$(debugfs -R 'cat /frag' "$T/img" 2>/dev/null | sum /dev/stdin)" \
	"$(debugfs -R 'cat /frag' "$T/v" 2>/dev/null | sum /dev/stdin)" "/frag content after the verify failure"
# The injection does hit the copy: without -V the corrupted copy lands.
cp "$T/img" "$T/nv"
"$drv" -R -n "$n" -a flip "$T/nv" >/dev/null 2>&1 || fail "flip without verify failed"
[ "$(debugfs -R 'cat /frag' "$T/img" 2>/dev/null | sum /dev/stdin)" != \
  "$(debugfs -R 'cat /frag' "$T/nv" 2>/dev/null | sum /dev/stdin)" ] ||
	fail "the flipped write was not /frag's copy"
finish
