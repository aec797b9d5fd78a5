# lib.sh -- shared helpers for the shell tests (sourced by tests/t_*.sh).
# Every test gets its own temporary directory $T, removed at exit unless
# KEEP=1.  Images are built at test time from tests/gen_tree.py with
# mke2fs -d and debugfs -w: small, deterministic, fast.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
E2LUA=${E2LUA:-$TOP/e2lua}
export E2LUA_SCRIPTS=${E2LUA_SCRIPTS:-$TOP/scripts}
export E2LUA_HISTORY=""		# never touch the user's history in tests
export E2FSPROGS_FAKE_TIME=1700000000	# deterministic mke2fs/debugfs times
export LC_ALL=C TZ=UTC
T=$(mktemp -d "${TMPDIR:-/tmp}/e2lua-test.XXXXXX")
export XDG_CONFIG_HOME="$T/config"	# never the user's init.lua
[ "${KEEP:-0}" = 1 ] && echo "keeping $T" >&2 || trap 'rm -rf "$T"' EXIT

# fail records in a file, not a variable, so that a failure inside a
# pipeline, a subshell or a command substitution counts too.
fail() { echo "FAIL: $*" >&2; echo x >>"$T/.fails"; }
note() { echo "# $*"; }
# End of a test: exit 1 if any fail was recorded.
finish() {
	[ -s "$T/.fails" ] || { echo "ok"; exit 0; }
	echo "$(wc -l <"$T/.fails") failure(s)"
	exit 1
}
skip() { echo "skip: $*"; exit 77; }

assert_eq() {	# expected actual what
	[ "$1" = "$2" ] || fail "$3: expected [$1], got [$2]"
}
# Run a command, check its exit status; stdout/stderr in $T/out, $T/err.
expect_rc() {	# rc command...
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "exit $got (wanted $want): $* -- stderr: $(head -c 400 "$T/err")"
}
assert_grep() {	# pattern file what
	grep -q -- "$1" "$2" || fail "$3: no [$1] in $2: $(head -c 400 "$2")"
}

# sum FILE: its sha256; a file that cannot be read is a failure (and
# its "sum" equals nothing, not even another unreadable file's).
sum() {
	sum_s=$(sha256sum <"$1") && { echo "${sum_s%% *}"; return; }
	fail "sum: cannot read $1"
	echo "unreadable-$1-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
}

# sanitized [FILE]: FILE (default $E2LUA) was built by make SANITIZE=1.
# Valgrind cannot run such a program (ASan checks the same things), and a
# stock lua5.4 loads such a module only with asan_preload's runtime first.
sanitized() { ldd "${1:-$E2LUA}" 2>/dev/null | grep -q 'libasan\.'; }
# asan_preload FILE: the ASan runtime FILE links, for LD_PRELOAD (empty
# when FILE is not sanitized).
asan_preload() { ldd "$1" 2>/dev/null | awk '/libasan\./ { print $3 }'; }

# debugfs_wf IMG CMDFILE: debugfs -w -f.  debugfs exits 0 even when a
# request fails and says so only on stderr, after its version banner: any
# other line there fails (return 1, the messages on stderr).  Stdout in
# $T/debugfs.out.
debugfs_wf() {
	debugfs -w -f "$2" "$1" >"$T/debugfs.out" 2>"$T/debugfs.err"
	dw_rc=$?
	grep -v '^debugfs [0-9]' "$T/debugfs.err" >"$T/debugfs.msg"
	[ "$dw_rc" = 0 ] && [ ! -s "$T/debugfs.msg" ] && return 0
	echo "debugfs -w $1 (exit $dw_rc): $(head -c 600 "$T/debugfs.msg")" >&2
	return 1
}
# debugfs_w IMG REQUEST...: the same for requests given as arguments.
debugfs_w() {
	dw_img=$1; shift
	printf '%s\n' "$@" >"$T/debugfs_w.cmds"
	debugfs_wf "$dw_img" "$T/debugfs_w.cmds"
}

# sigint_at WHAT IMG ARGS...: run e2lua ARGS and send it a real SIGINT
# right after one I/O call on IMG (tests/sigint/sigint_at.c, preloaded):
# WHAT is read@BYTE[#K] or write@BYTE[#K] (the K-th read or write covering
# byte BYTE of IMG, default the first) or sync#K.  No sleep, no race: the
# signal lands at that call every time.  Exit status in $rc, output in
# $T/out and $T/err, IMG's I/O calls in $T/io.log ("SIGINT" where it was
# sent).  Fails if the call never came.
SIGINT_LIB=$TOP/build/testlib/sigint_at.so
sigint_at() {
	sa_what=$1 sa_img=$2
	shift 2
	rc=""
	[ -f "$SIGINT_LIB" ] || { fail "$SIGINT_LIB missing (make check builds it)"; return; }
	rm -f "$T/io.log"
	SIGINT_AT=$sa_what SIGINT_AT_FILE=$sa_img SIGINT_AT_LOG=$T/io.log \
	LD_PRELOAD="$(asan_preload "$E2LUA") $SIGINT_LIB" \
		"$E2LUA" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	grep -q '^SIGINT$' "$T/io.log" 2>/dev/null ||
		fail "SIGINT at $sa_what: that call never came: $(head -c 300 "$T/err")"
}

# itable_byte IMG INO: the byte offset of inode INO in IMG's inode table.
itable_byte() {
	ib_bs=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Block size: *//p')
	ib_at=$(debugfs -R "imap <$2>" "$1" 2>/dev/null |
		sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
	[ -n "$ib_bs" ] && [ -n "$ib_at" ] || { fail "itable_byte: no inode $2 in $1"; echo -1; return; }
	set -- $ib_at
	echo $(($1 * ib_bs + $2))
}

# fsck_clean IMG: e2fsck -fn must exit 0.
fsck_clean() {
	e2fsck -fn "$1" >"$T/fsck.out" 2>&1 ||
		fail "e2fsck -fn $1: $(tail -n 15 "$T/fsck.out")"
}

# mk_image IMG KIND BLOCKSIZE [SIZE]
# KIND: ext2 | ext3 | ext4noext (ext4 without extents, with metadata_csum,
# huge_file, flex_bg) | ext4 (extents).  The tree is tests/gen_tree.py's;
# then debugfs adds a fragmented file "frag" (FRAG_BLOCKS one-block
# fragments, default 400) by filling gaps left by deleted files.
# Under tests/run.sh ($E2LUA_FIXTURES set), an image of the tree mk_image
# makes itself is built once per run for each recipe (KIND, BLOCKSIZE,
# SIZE, FRAG_BLOCKS) and copied; $T/tree.BLOCKSIZE is then a symbolic link
# to the run's one tree: read it, never write into it (copy it first).  A
# copy of its 423 files for every image cost more than the rest of most
# tests' file work with TMPDIR on a disk (0.1 s of system time each).
mk_image() {
	[ -n "${E2LUA_FIXTURES:-}" ] && [ ! -d "$T/tree.$3" ] || { mk_image_build "$@"; return; }
	mi_fx=$E2LUA_FIXTURES/$2.$3.${4:-64M}.${FRAG_BLOCKS:-400}
	mi_tree=$E2LUA_FIXTURES/tree.$3
	if [ -f "$mi_fx.img" ]; then
		# the variables a build leaves set, as it leaves them
		img=$1 kind=$2 bs=$3 size=${4:-64M} tree=$T/tree.$3 jsz=$(($3 / 1024)) n=${FRAG_BLOCKS:-400}
		ln -s "$mi_tree" "$T/tree.$3" && cp --sparse=always "$mi_fx.img" "$1"
		return
	fi
	mk_image_build "$@" || return 1
	# Published by renames, the tree first: a test building the same at
	# once uses a whole one or its own.
	[ -d "$mi_tree" ] || { cp -a "$T/tree.$3" "$mi_tree.$$" &&
		{ mv -T "$mi_tree.$$" "$mi_tree" 2>/dev/null || rm -rf "$mi_tree.$$"; }; }
	cp --sparse=always "$1" "$mi_fx.img.$$" && mv -f "$mi_fx.img.$$" "$mi_fx.img"
	return 0
}
mk_image_build() {	# mk_image's arguments: the image built
	img=$1 kind=$2 bs=$3 size=${4:-64M}
	tree="$T/tree.$bs"
	jsz=$((bs / 1024))	# MiB: the smallest journal (1024 blocks)
	[ -d "$tree" ] || python3 "$TOP/tests/gen_tree.py" "$tree" "$bs" || return 1
	case $kind in
	ext2) opts="-t ext2" ;;
	ext3) opts="-t ext3 -J size=$jsz" ;;
	ext4noext) opts="-t ext4 -O ^extent,^64bit,metadata_csum,huge_file,flex_bg -J size=$jsz" ;;
	ext4) opts="-t ext4 -J size=$jsz" ;;
	*) echo "mk_image: unknown kind $kind" >&2; return 1 ;;
	esac
	rm -f "$img"
	mke2fs -q -F $opts -b "$bs" -U 6d2a4b3c-1111-4222-8333-444455556666 \
		-E hash_seed=6d2a4b3c-1111-4222-8333-444455556666 -N 2048 \
		-d "$tree" "$img" "$size" >"$T/mke2fs.out" 2>&1 ||
		{ cat "$T/mke2fs.out" >&2; return 1; }
	mk_fragmented "$img" "${FRAG_BLOCKS:-400}" "$bs" || return 1
}

# mk_fragmented IMG N BS: a file /frag of N blocks in N pieces.  Writes N
# one-block fillers, deletes every other one, then writes /frag, which the
# allocator spreads over the gaps.
mk_fragmented() {
	img=$1 n=$2 bs=$3
	python3 -c "
import random, sys
r = random.Random(7)
open('$T/one', 'wb').write(r.randbytes($bs))
open('$T/fragdata', 'wb').write(r.randbytes($n * $bs))
" || return 1
	{
		echo "mkdir /fill"
		i=0; while [ $i -lt $((2 * n)) ]; do echo "write $T/one /fill/$i"; i=$((i + 1)); done
		i=0; while [ $i -lt $((2 * n)) ]; do echo "rm /fill/$i"; i=$((i + 2)); done
		echo "write $T/fragdata /frag"
	} >"$T/frag.cmds"
	debugfs_wf "$img" "$T/frag.cmds"
}

# mk_uninit IMG BS: unwritten (uninit) extents on an extent-capable image,
# made with debugfs fallocate (mke2fs -d cannot copy them): /prealloc has 3
# written blocks, a hole and blocks 10-30 preallocated past its end;
# /unwritten is 100 blocks, all preallocated.
mk_uninit() {
	img=$1 bs=$2
	python3 -c "
import random
open('$T/three', 'wb').write(random.Random(3).randbytes(3 * $bs))" || return 1
	debugfs_w "$img" "write $T/three /prealloc" "fallocate /prealloc 10 30" \
		"write /dev/null /unwritten" "fallocate /unwritten 0 99" \
		"sif /unwritten size $((100 * bs))"
}

# mk_frag_file IMG PATH N: a file of N one-block fragments, whatever the
# free space looks like (mk_fragmented's gaps run out on small groups).
# Every other free block of the fs is marked in the bitmap only while
# debugfs writes the file, then cleared again: the counts stay right and
# e2fsck stays clean.
mk_frag_file() {
	img=$1 path=$2 n=$3
	bs=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block size: *//p')
	nfree=$(free_blocks "$img")
	[ -n "$bs" ] && [ -n "$nfree" ] || { echo "mk_frag_file: dumpe2fs -h $img" >&2; return 1; }
	python3 -c "
import random
open('$T/fragfile', 'wb').write(random.Random(11).randbytes($n * $bs))
" || return 1
	debugfs -R "ffb $nfree 1" "$img" 2>/dev/null |
		sed 's/^Free blocks found: //' | tr ' ' '\n' | grep . |
		awk 'NR % 2 == 0 { print }' >"$T/fragholes"
	[ "$(wc -l <"$T/fragholes")" -ge "$n" ] ||
		{ echo "mk_frag_file: $(wc -l <"$T/fragholes") holes for $n blocks" >&2; return 1; }
	{
		sed 's/^/setb /' "$T/fragholes"
		echo "write $T/fragfile $path"
		sed 's/^/freeb /' "$T/fragholes"
	} >"$T/fragfile.cmds"
	debugfs_wf "$img" "$T/fragfile.cmds"
}

# runs_from_stat TRANSCRIPT BS: data runs and holes computed from debugfs's
# own stat output.  TRANSCRIPT is a `debugfs -f` transcript of stat
# commands (echo lines "debugfs: stat X" or "> stat X").  Prints, per stat,
# "I X", then "R lblk pblk len [u]" per run (ranges merged while logically
# and physically contiguous with the same unwritten state, as ino:runs())
# and "H lblk len" per hole below ceil(i_size / BS), as ino:holes().
runs_from_stat() {
	python3 - "$1" "$2" <<'PYEOF' || fail "runs_from_stat: cannot read the stat transcript $1"
import re, sys
text, bs = open(sys.argv[1]).read(), int(sys.argv[2])
rng = re.compile(r"\((\d+)(?:-(\d+))?(\[u\])?\):(\d+)(?:-(\d+))?")
secs = re.split(r"^(?:debugfs:|>) stat ", text, flags=re.M)[1:]
if not secs:
    sys.exit("runs_from_stat: no stat in %s" % sys.argv[1])
for sec in secs:
    lines = sec.split("\n")
    size = int(re.search(r"Size: (\d+)", sec).group(1))
    m = [lines[i + 1] for i, l in enumerate(lines) if l in ("BLOCKS:", "EXTENTS:")]
    runs = []
    for item in (m[0].split(", ") if m and m[0] else []):
        r = rng.fullmatch(item)
        if not r:
            continue	# (IND):n, (ETB0):n ...
        l0, l1, u, p0 = int(r[1]), int(r[2] or r[1]), bool(r[3]), int(r[4])
        n = l1 - l0 + 1
        if runs and runs[-1][0] + runs[-1][2] == l0 and \
           runs[-1][1] + runs[-1][2] == p0 and runs[-1][3] == u:
            runs[-1][2] += n
        else:
            runs.append([l0, p0, n, u])
    print("I", lines[0])
    for l, p, n, u in runs:
        print("R", l, p, n, *(["u"] if u else []))
    end, nxt = (size + bs - 1) // bs, 0
    for l, p, n, u in sorted(runs):
        if l > nxt and nxt < end:
            print("H", nxt, min(l, end) - nxt)
        nxt = max(nxt, l + n)
    if nxt < end:
        print("H", nxt, end - nxt)
PYEOF
}

# snapshot IMG OUT.json: every inode of IMG (tests/verify.py snapshot).
snapshot() {
	python3 "$TOP/tests/verify.py" snapshot "$1" >"$2" || fail "snapshot of $1"
}

# check_migrated BEFORE.json IMG INOS WHAT: e2fsck -fn is clean, every
# content is identical, exactly INOS (comma-separated) went from block map
# to extents and every other inode is byte-identical (tests/verify.py).
check_migrated() { check_converted --expect-extent "$@"; }

# check_unmigrated BEFORE.json IMG INOS WHAT: the same, INOS having gone
# from extents to block maps (unmigrate).
check_unmigrated() { check_converted --expect-blockmap "$@"; }
check_converted() {	# --expect-extent|--expect-blockmap BEFORE IMG INOS WHAT
	fsck_clean "$3"
	snapshot "$3" "$T/after.json"
	python3 "$TOP/tests/verify.py" compare "$2" "$T/after.json" \
		"$1" "$4" >"$T/compare.out" 2>&1 ||
		fail "$5: $(grep -v '^changed inodes' "$T/compare.out" | head -n 12)"
}

# free_blocks IMG: the superblock's free block count.
free_blocks() {
	fb_n=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Free blocks: *//p')
	[ -n "$fb_n" ] || fail "free_blocks: no count from dumpe2fs -h $1"
	echo "$fb_n"
}

# fill_fs IMG: no free block left (1 KiB blocks), e2fsck still clean:
# every free block goes to /filler, an empty file fallocated past the free
# space, then given a size covering its blocks.
fill_fs() {
	ff_n=$(free_blocks "$1")
	printf '%s\n' "write /dev/null /filler" "fallocate /filler 0 $((ff_n + 100))" \
		"sif /filler size $(( (ff_n + 100) * 1024 ))" >"$T/fill.cmds"
	debugfs -w -f "$T/fill.cmds" "$1" >"$T/debugfs.out" 2>&1
	assert_eq 0 "$(free_blocks "$1")" "free blocks after filling"
	fsck_clean "$1"
}

# mk_frag_dir IMG DIR N: a directory DIR of N + 1 blocks in N runs (each
# block it grows by, expand_dir, followed by a one-block file DIR.fN).
mk_frag_dir() {
	printf x >"$T/one"
	{
		echo "mkdir $2"
		i=1; while [ $i -le "$3" ]; do
			echo "expand_dir $2"; echo "write $T/one $2.f$i"; i=$((i + 1))
		done
	} >"$T/fragdir.cmds"
	debugfs -w -f "$T/fragdir.cmds" "$1" >"$T/debugfs.out" 2>&1 ||
		{ cat "$T/debugfs.out" >&2; return 1; }
}

# policy_case BASE.json BASEIMG NAME "MODEL ARGS" POLICY ARGS...
# Runs scripts/NAME.lua with ARGS on a copy of BASEIMG, first --dry-run
# (with -w: the image must stay byte-identical all the same), then for real.  The inodes it
# must migrate and the free blocks it must leave come from tests/verify.py
# expect BASE.json MODEL ARGS (an independent model); checks check_migrated,
# the dry run's file count, that the dry run's summary is the run's but
# for the tense, and that the free block count equals the dry run's
# prediction, the model's and e2fsck's, and the summary's count of
# inodes by type ("3 inodes (2 files, 1 directory)") against the model's
# inodes' types.  EMPTY_OK=1 allows a model that selects nothing; PC_RC=N
# expects exit status N of both runs (3: inodes left for want of space).
policy_case() {
	pc_base=$1 pc_img0=$2 pc_name=$3 pc_margs=$4
	shift 4
	pc_what="$pc_name $*"
	pc_img=$T/case.img
	cp "$pc_img0" "$pc_img"
	(set -f; python3 "$TOP/tests/verify.py" expect "$pc_base" $pc_margs) >"$T/model" ||
		{ fail "$pc_what: model failed"; return; }
	pc_inos=$(sed -n 1p "$T/model")
	pc_model_free=$(sed -n 2p "$T/model")
	pc_count=$(python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))['inodes']
inos = [i for i in sys.argv[2].split(',') if i]
n = lambda k, one, many: '%d %s' % (k, one if k == 1 else many)
ts = [s[i]['type'] for i in inos]
kinds = [n(ts.count(t), one, many) for t, one, many in (('regular', 'file', 'files'),
         ('directory', 'directory', 'directories'), ('symlink', 'symlink', 'symlinks')) if t in ts]
print(n(len(inos), 'inode', 'inodes') + (' (%s)' % ', '.join(kinds) if kinds else ''))" "$pc_base" "$pc_inos")
	[ -n "$pc_inos" ] || [ "${EMPTY_OK:-0}" = 1 ] ||
		fail "$pc_what: the model selects nothing (the test could not fail)"
	expect_rc "${PC_RC:-0}" "$E2LUA" -w "$pc_img" "$TOP/scripts/$pc_name.lua" --dry-run "$@"
	cmp -s "$pc_img0" "$pc_img" || fail "$pc_what --dry-run: the image changed"
	pc_dry_free=$(sed -n 's/^  free blocks: *[0-9]* -> \([0-9]*\).*/\1/p' "$T/out")
	assert_grep "dry run, nothing written: $pc_count would be migrated$" "$T/out" "$pc_what --dry-run"
	cp "$T/out" "$T/dry.out"
	expect_rc "${PC_RC:-0}" "$E2LUA" -w "$pc_img" "$TOP/scripts/$pc_name.lua" "$@"
	cp "$T/out" "$T/run.out"
	assert_grep "migrated $pc_count in " "$T/run.out" "$pc_what"
	# The dry run said what the run did (its features, backups, ...),
	# but for the tense: the output but the summary's first line is the
	# same.
	sed "/^$pc_name: dry run, nothing written: /d; s/would be //" "$T/dry.out" >"$T/dry.said"
	sed "/^$pc_name: migrated /d" "$T/run.out" | diff "$T/dry.said" - >"$T/said.diff" ||
		fail "$pc_what: the dry run's summary is not the run's: $(head -n 12 "$T/said.diff")"
	check_migrated "$pc_base" "$pc_img" "$pc_inos" "$pc_what"
	pc_fsck_used=$(sed -n 's|.* \([0-9]*\)/\([0-9]*\) blocks$|\1 \2|p' "$T/fsck.out")
	assert_eq "$pc_model_free" "$pc_dry_free" "$pc_what: dry-run free blocks vs the model's"
	assert_eq "$pc_dry_free" "$(free_blocks "$pc_img")" "$pc_what: free blocks vs the dry run's"
	assert_eq "$pc_dry_free" "$(echo "$pc_fsck_used" | awk '{ print $2 - $1 }')" \
		"$pc_what: free blocks vs e2fsck's count"
}

# extent_inos OLD.json NEW.json: the inodes extent-mapped in NEW and not
# in OLD (comma-separated), for runs whose selection is not known ahead.
extent_inos() {
	python3 -c "
import json, sys
a = json.load(open(sys.argv[1]))['inodes']; b = json.load(open(sys.argv[2]))['inodes']
print(','.join(k for k in sorted(b, key=int) if b[k]['extent'] and not a[k]['extent']))" "$1" "$2"
}
