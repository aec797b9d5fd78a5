# inspect_lib.sh -- helpers of the inspection and bad-input tests
# (t_inspect_*.sh, t_badinput_*.sh); sourced after lib.sh.

# VG: prefix that runs a program under valgrind (a memory error exits 99);
# empty when valgrind is missing, so the cases still run natively.
VG=""
command -v valgrind >/dev/null 2>&1 &&
	VG="valgrind --error-exitcode=99 -q --num-callers=30"

# The -f transcripts of debugfs and e2lua differ only in the prompt echoed
# before each command; normalize both to "> command".
norm() { sed -E 's/^(debugfs|e2lua): /> /' "$1"; }

# runs_from_stat TRANSCRIPT BS: data runs and holes computed from debugfs's
# own stat output.  TRANSCRIPT is a `debugfs -f` transcript of stat
# commands (echo lines "debugfs: stat X" or "> stat X").  Prints, per stat,
# "I X", then "R lblk pblk len [u]" per run (ranges merged while logically
# and physically contiguous with the same unwritten state, as ino:runs())
# and "H lblk len" per hole below ceil(i_size / BS), as ino:holes().
runs_from_stat() {
	python3 - "$1" "$2" <<'PYEOF'
import re, sys
text, bs = open(sys.argv[1]).read(), int(sys.argv[2])
rng = re.compile(r"\((\d+)(?:-(\d+))?(\[u\])?\):(\d+)(?:-(\d+))?")
for sec in re.split(r"^(?:debugfs:|>) stat ", text, flags=re.M)[1:]:
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
