# inspect_lib.sh -- helpers of the inspection and bad-input tests
# (t_inspect_*.sh, t_badinput_*.sh); sourced after lib.sh.

# VG: prefix that runs a program under valgrind (a memory error exits 99);
# empty when valgrind is missing, so the cases still run natively, and
# when e2lua is built with SANITIZE=1 (ASan checks them instead).
VG=""
command -v valgrind >/dev/null 2>&1 && ! sanitized &&
	VG="valgrind --error-exitcode=99 -q --num-callers=30"

# The -f transcripts of debugfs and e2lua differ only in the prompt echoed
# before each command; normalize both to "> command".
norm() { sed -E 's/^(debugfs|e2lua): /> /' "$1"; }

# transcripts CMDS IMG [options]: the command file through debugfs and
# e2lua (same options); normalized transcripts in $T/d.out and $T/e.out,
# e2lua's stderr in $T/e.err and its exit status in $erc.
transcripts() {
	cmds=$1 img=$2
	shift 2
	debugfs "$@" -f "$cmds" "$img" >"$T/d.raw" 2>"$T/d.err"
	"$E2LUA" "$@" -f "$cmds" "$img" >"$T/e.raw" 2>"$T/e.err"
	erc=$?
	norm "$T/d.raw" >"$T/d.out"
	norm "$T/e.raw" >"$T/e.out"
	# Equal transcripts prove nothing if debugfs could not run them.
	grep -q 'open_filesys\|Filesystem not open' "$T/d.err" &&
		fail "transcripts: debugfs cannot open $img: $(head -c 300 "$T/d.err")"
	[ "$(grep -c '^> ' "$T/d.out")" = "$(grep -c '^[^#]' "$cmds")" ] ||
		fail "transcripts: debugfs did not echo every command of $cmds"
}

# same TAG IMG CMDFILE [options]: both tools run the same command file;
# the transcripts must be equal.
same() {
	tag=$1 img=$2 cmds=$3
	shift 3
	transcripts "$cmds" "$img" "$@"
	[ "$erc" = 0 ] || fail "$tag: e2lua failed: $(head -c 300 "$T/e.err")"
	cmp -s "$T/d.out" "$T/e.out" ||
		fail "$tag: differs from debugfs: $(diff "$T/d.out" "$T/e.out" | head -n 20)"
}

# mk_test_image IMG KIND BS: mk_image, plus (ext4) the unwritten extents of
# mk_uninit.
mk_test_image() {
	mk_image "$1" "$2" "$3" || return 1
	[ "$2" != ext4 ] || mk_uninit "$1" "$3"
}

# frag_from_stat TRANSCRIPT IMG: the fragmentation figures of every file
# of a `debugfs -f` transcript of stat commands, computed from debugfs's
# own block lists (walk order: a map block before what it maps) and
# dumpe2fs's metadata, by the rules of doc/lua-api.md (ino:frag), as
# "path blocks runs fragments holes needed ideal contiguous" lines; with
# a third argument "runs", also "R lblk pblk len fragment expected" per run.
frag_from_stat() {
	python3 - "$1" "$2" "${3:-}" <<'PYEOF'
import re, subprocess, sys
text, img, want_runs = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3] == "runs"
d = subprocess.run(["dumpe2fs", img], capture_output=True, text=True).stdout
bs = int(re.search(r"^Block size:\s+(\d+)", d, re.M).group(1))
meta = set()
def mark(a, b=None):
    meta.update(range(int(a), int(b if b is not None else a) + 1))
for m in re.finditer(r"(?:superblock|descriptors|GDT blocks|bitmap|Inode table) at (\d+)(?:-(\d+))?", d):
    mark(m.group(1), m.group(2))
def all_meta(a, b):
    return b > a and all(x in meta for x in range(a, b))
item = re.compile(r"\((\d+)(?:-(\d+))?(\[u\])?\):(\d+)(?:-(\d+))?|\((?:IND|DIND|TIND|ETB\d*)\):(\d+)")
for sec in re.split(r"^(?:debugfs:|>) stat ", text, flags=re.M)[1:]:
    lines = sec.split("\n")
    size = int(re.search(r"Size: (\d+)", sec).group(1))
    lst = [lines[i + 1] for i, l in enumerate(lines) if l in ("BLOCKS:", "EXTENTS:")]
    run, runs, dense, frag, rows = None, 0, 0, 0, []
    isl, ideal, needed, holes, nxt, blocks = None, 0, 0, 0, 0, 0
    end = (size + bs - 1) // bs
    cap = lambda u: 32767 if u else 32768
    def close():
        global runs, needed
        if run:
            runs += 1
            needed += -(-run[2] // cap(run[3]))
            rows.append(run)
    for it in (lst[0].split(", ") if lst and lst[0] else []):
        m = item.fullmatch(it)
        if not m:
            continue
        if m.group(6):                      # a map block
            if run and int(m.group(6)) == dense:
                dense += 1
            continue
        l0, l1, u, p = int(m.group(1)), int(m.group(2) or m.group(1)), bool(m.group(3)), int(m.group(4))
        n = l1 - l0 + 1
        blocks += n
        if l0 > nxt and nxt < end:
            holes += 1
        nxt = max(nxt, l0 + n)
        if isl and isl[0] + isl[1] == l0 and isl[2] == u:
            isl[1] += n
        else:
            if isl:
                ideal += -(-isl[1] // cap(isl[2]))
            isl = [l0, n, u]
        if run and run[0] + run[2] == l0 and run[1] + run[2] == p and run[3] == u:
            run[2] += n
            dense = run[1] + run[2]
            continue
        if run:
            f = not (p == dense or p == run[1] + (l0 - run[0]) or all_meta(dense, p))
            exp = dense
        else:
            f, exp = True, 0
        close()
        run = [l0, p, n, u, f, exp]
        frag += f
        dense = p + n
    close()
    if isl:
        ideal += -(-isl[1] // cap(isl[2]))
    if nxt < end and lst:
        holes += 1
    print(lines[0], blocks, runs, frag, holes, needed, ideal, "yes" if frag <= 1 else "no")
    if want_runs:
        for l, p, n, u, f, exp in rows:
            print("R", l, p, n, "yes" if f else "no", exp if f and exp else "-")
PYEOF
}
