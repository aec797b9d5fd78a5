#!/bin/sh
# run.sh -- `make fuzz`: seed the corpus once, then run the libFuzzer
# harness (build/fuzz/fuzz_e2c, tests/fuzz/fuzz_e2c.c) for FUZZ_SECONDS
# (default 60).  Everything lives in build/fuzz/: seeds/ (made once),
# corpus/ (grows from run to run), crashes/ (what libFuzzer found; each
# crash-* file is an image that reproduces with `build/fuzz/fuzz_e2c FILE`).
#
# Seeds: the test images (tests/lib.sh mk_image, 1 KiB blocks, 4 MiB: ext2,
# ext3, ext4 without extents with metadata_csum, ext4) and tiny 256 KiB
# images (ext2, ext4 without extents, ext4 with inline data) with one file
# of each shape, where a mutation is likely to land in
# metadata rather than file data.  Plus the regression inputs in
# tests/fuzz/regress/.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
F=$TOP/build/fuzz
BIN=$F/fuzz_e2c
SECS=${FUZZ_SECONDS:-60}
[ -x "$BIN" ] || { echo "run.sh: $BIN missing (make fuzz builds it)" >&2; exit 2; }
mkdir -p "$F/seeds" "$F/corpus" "$F/crashes"
cd "$TOP" || exit 2

# tiny KIND IMG: a 256 KiB image with one file of each shape.
tiny() {
	d=$F/seeds/tree.$1
	rm -rf "$d" && mkdir -p "$d/dir" || return 1
	python3 - "$d" <<'EOF' || return 1
import os, random, sys
d, r = sys.argv[1], random.Random(5)
def put(name, chunks, size=None):
    with open(os.path.join(d, name), "wb") as f:
        for off, n in chunks:
            f.seek(off * 1024)
            f.write(r.randbytes(n * 1024))
        if size is not None:
            f.truncate(size * 1024)
put("thirteen", [(0, 13)])
put("ind", [(0, 20)])
put("sparse_dind", [(0, 1), (12 + 256 + 3, 1)])
put("sparse_tind", [(12 + 256 + 65536 + 5, 2)])
put("sparse_tail", [(1, 1)], 40)
for i in range(12):
    put("dir/f%d" % i, [(0, 1)])
os.symlink("dir/" + "x" * 80, os.path.join(d, "slowlink"))
os.symlink("dir", os.path.join(d, "fastlink"))
for dd, ds, fs in os.walk(d):
    for n in ds + fs:
        os.utime(os.path.join(dd, n), (1700000000, 1700000000), follow_symlinks=False)
EOF
	case $1 in
	ext2) o="-t ext2" ;;
	ext4noext) o="-t ext4 -O ^extent,^64bit,^has_journal,metadata_csum,huge_file,flex_bg" ;;
	ext4inline) o="-t ext4 -O inline_data,^has_journal" ;;
	esac
	E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F $o -b 1024 -N 64 \
		-U 6d2a4b3c-1111-4222-8333-444455556666 \
		-E hash_seed=6d2a4b3c-1111-4222-8333-444455556666 \
		-d "$d" "$2" 256K >/dev/null 2>&1 || return 1
	rm -rf "$d"
	# A fragmented file: fillers, every other one deleted, then /frag.
	python3 -c "import random; open('$F/seeds/frag.data','wb').write(random.Random(3).randbytes(24*1024))"
	{
		i=0; while [ $i -lt 48 ]; do echo "write $F/seeds/frag.one f$i"; i=$((i + 1)); done
		i=0; while [ $i -lt 48 ]; do echo "rm f$i"; i=$((i + 2)); done
		echo "write $F/seeds/frag.data frag"
	} >"$F/seeds/frag.cmds"
	head -c 1024 "$F/seeds/frag.data" >"$F/seeds/frag.one"
	debugfs -w -f "$F/seeds/frag.cmds" "$2" >/dev/null 2>&1
	rm -f "$F/seeds/frag.cmds" "$F/seeds/frag.data" "$F/seeds/frag.one"
}

if [ ! -f "$F/seeds.done" ]; then
	echo "run.sh: making the seed images in $F/seeds"
	for k in ext2 ext3 ext4noext ext4; do
		FRAG_BLOCKS=100 sh -c '. tests/lib.sh; mk_image "$1" "$2" 1024 4M' \
			tests/fuzz-seed "$F/seeds/$k.img" $k >/dev/null ||
			{ echo "run.sh: mk_image $k failed" >&2; exit 1; }
	done
	# Hash-indexed directories (dir/big among them) for the htree reader.
	e2fsck -fyD "$F/seeds/ext4.img" >/dev/null 2>&1
	for k in ext2 ext4noext ext4inline; do
		tiny $k "$F/seeds/tiny-$k.img" ||
			{ echo "run.sh: tiny $k failed" >&2; exit 1; }
	done
	touch "$F/seeds.done"
fi

regress=""
[ -d tests/fuzz/regress ] && regress=tests/fuzz/regress
echo "run.sh: fuzzing for ${SECS}s; findings go to $F/crashes/"
"$BIN" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 \
	-artifact_prefix="$F/crashes/" -print_final_stats=1 \
	"$F/corpus" "$F/seeds" $regress
rc=$?
n=$(find "$F/crashes" -type f | wc -l)
echo "run.sh: exit $rc; $n input(s) in $F/crashes"
exit $rc
