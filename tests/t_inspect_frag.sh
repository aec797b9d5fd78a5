#!/bin/sh
# t_inspect_frag.sh -- honest fragmentation.
#  - The whole-filesystem totals of `frag -a` and `survey` agree with
#    e2fsck -fnv's "non-contiguous files/directories" and e2fsck -fn's
#    percentage, on ext2, ext3, ext4 without extents and ext4 images with
#    1 and 4 KiB blocks, a fragmented directory and a fragmented file
#    larger than a group (which e2fsck leaves out).  (An indirect block
#    away from contiguous data, which e2fsck counts and frag does not, is
#    tests/unit/test_frag.c's: debugfs cannot lay one out.)
#  - A sparse file laid out in order is one fragment; its ideal is its
#    data islands.
#  - `frag -v` lists the runs debugfs's stat lists, and marks the ones
#    starting a fragment with where the run was expected (frag_from_stat
#    computes both from debugfs's lists; t_inspect_filefrag.sh compares
#    with filefrag on a loop mount where one is possible).
#  - `frag -r DIR` reports every file under DIR once; bad arguments fail;
#    the progress line shows on a terminal only; nothing is written.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# e2fsck's figures: "files dirs percent".
fsck_figures() {
	e2fsck -fnv "$1" >"$T/fsck.v" 2>&1 || fail "e2fsck -fnv $1: $(tail -n 5 "$T/fsck.v")"
	ff_files=$(sed -n 's/^ *\([0-9]*\) non-contiguous files\{0,1\} .*/\1/p' "$T/fsck.v")
	ff_dirs=$(sed -n 's/^ *\([0-9]*\) non-contiguous director.*/\1/p' "$T/fsck.v")
	ff_pct=$(e2fsck -fn "$1" 2>&1 | sed -n 's/.*files (\([0-9.]*%\) non-contiguous).*/\1/p')
	echo "$ff_files $ff_dirs $ff_pct"
}

# Our figures from a report: "files dirs percent".
our_figures() {
	sed -n 's/^  Non-contiguous as e2fsck counts them: \([0-9]*\) files\{0,1\}, \([0-9]*\) director[a-z]* (\([0-9.]*%\) of.*/\1 \2 \3/p' "$1"
}

check_totals() {	# img tag
	fsck_want=$(fsck_figures "$1")
	expect_rc 0 "$E2LUA" -R "frag -a" "$1"
	assert_eq "$fsck_want" "$(our_figures "$T/out")" "$2: frag -a vs e2fsck"
	expect_rc 0 "$E2LUA" -R "survey" "$1"
	assert_eq "$fsck_want" "$(our_figures "$T/out")" "$2: survey vs e2fsck"
	note "$2: e2fsck non-contiguous files, directories, share: $fsck_want"
}

for kind in ext2 ext3 ext4noext ext4; do
	for bs in 1024 4096; do
		img=$T/$kind.$bs.img
		mk_test_image "$img" $kind $bs || { fail "mk_test_image $kind $bs"; continue; }
		before=$(sum "$img")
		check_totals "$img" "$kind/$bs"
		assert_eq "$before" "$(sum "$img")" "$kind/$bs: image changed"
		[ "$kind/$bs" = ext3/1024 ] || [ "$kind/$bs" = ext4/4096 ] || rm -f "$img"
	done
done

# A fragmented directory and a fragmented file larger than a group.
img=$T/odd.img
mke2fs -q -F -t ext3 -b 1024 -N 512 "$img" 24M || fail "mke2fs odd"
python3 -c "
import random
r = random.Random(3)
open('$T/one', 'wb').write(r.randbytes(1024))
open('$T/big', 'wb').write(r.randbytes(9000 * 1024))"
{
	echo "mkdir /d"
	i=0; while [ $i -lt 300 ]; do echo "write $T/one /f$i"; i=$((i + 1)); done
	i=0; while [ $i -lt 300 ]; do echo "rm /f$i"; i=$((i + 2)); done
	echo "cd /d"
	i=0; while [ $i -lt 120 ]; do echo "mknod name_long_enough_to_fill_directory_blocks_$i p"; i=$((i + 1)); done
	echo "cd /"
	echo "write $T/big /big"
} >"$T/odd.cmds"
debugfs_wf "$img" "$T/odd.cmds" || fail "debugfs odd"
expect_rc 0 "$E2LUA" -R "frag /big" "$img"
assert_grep "^Contiguous: no" "$T/out" "the big file is fragmented"
blocks=$(sed -n 's/^Data blocks: //p' "$T/out")
[ "${blocks:-0}" -ge 8192 ] || fail "the big file is smaller than a group ($blocks)"
assert_grep "^e2fsck: contiguous" "$T/out" "e2fsck leaves out a file larger than a group"
expect_rc 0 "$E2LUA" -R "frag /d" "$img"
assert_grep "^Contiguous: no" "$T/out" "the directory is fragmented"
check_totals "$img" "odd"
fsck_clean "$img"

# Sparse files laid out in order: one fragment, the ideal their islands.
img=$T/ext3.1024.img
for f in /sparse_ind /sparse_tind /sparse_tail; do
	expect_rc 0 "$E2LUA" -R "frag $f" "$img"
	assert_grep "^Fragments: 1$" "$T/out" "$f: one fragment"
	assert_grep "^Contiguous: yes$" "$T/out" "$f: contiguous"
	holes=$(sed -n 's/^Holes: \([0-9]*\) .*/\1/p' "$T/out")
	[ "${holes:-0}" -ge 1 ] || fail "$f has no hole: the test shape is gone"
done
expect_rc 0 "$E2LUA" -R "frag /sparse_ind" "$img"
assert_grep "^Runs: 2$" "$T/out" "/sparse_ind: two runs"
assert_grep "^Ideal extents: 2$" "$T/out" "/sparse_ind: two islands"

# -v: the runs of debugfs's stat, the fragments and where they were
# expected (ext3 with indirect blocks inline, ext4 with unwritten
# extents), against frag_from_stat.
for img in "$T/ext3.1024.img" "$T/ext4.4096.img"; do
	files="/thirteen /ind_edge /dind /sparse_ind /sparse_dind /sparse_tind /frag /dir/big"
	case $img in *ext4*) files="$files /prealloc /unwritten" ;; esac
	for f in $files; do echo "stat $f"; done >"$T/v.cmds"
	debugfs -f "$T/v.cmds" "$img" >"$T/v.raw" 2>/dev/null
	frag_from_stat "$T/v.raw" "$img" runs | awk '
		/^R / { print; next }
		{ if (f) print f; f = "F " $1 " " $4 " " $7 }
		END { print f }' >"$T/v.want"
	# shellcheck disable=SC2086
	"$E2LUA" -R "frag -v $files" "$img" >"$T/v.out" 2>"$T/err" || fail "frag -v: $(cat "$T/err")"
	python3 - "$T/v.out" >"$T/v.got" <<'PYEOF'
import re, sys
row = re.compile(r"^\s*(\d+):\s*(\d+)\.\.\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+):\s*(?:(\d+):)?")
line = re.compile(r"^(/\S*): (\d+) fragments?, \d+ extents? \(ideal (\d+)\)")
for l in open(sys.argv[1]):
    m = row.match(l)
    if m:
        first = m.group(1) == "0"
        frag = "yes" if first or m.group(5) else "no"
        print("R", m.group(2), m.group(3), m.group(4), frag, m.group(5) or "-")
        continue
    m = line.match(l)
    if m:
        print("F", m.group(1), m.group(2), m.group(3))
PYEOF
	cmp -s "$T/v.want" "$T/v.got" ||
		fail "$img: frag -v differs from debugfs's lists: $(diff "$T/v.want" "$T/v.got" | head -n 12)"
	grep -q "unwritten" "$T/v.out" || case $img in *ext4*) fail "no unwritten run flagged" ;; esac
done

# -r: every file with blocks under /dir once (hard links once), then the
# total; the source tree says how many.
img=$T/ext3.1024.img
expect_rc 0 "$E2LUA" -R "frag -r /dir" "$img"
nwant=$(python3 - "$T/tree.1024/dir" <<'EOF'
import os, stat, sys
seen, n = set(), 0
for d, dirs, files in os.walk(sys.argv[1]):
    for p in [d] + [os.path.join(d, f) for f in files]:
        st = os.lstat(p)
        if st.st_ino in seen:
            continue
        seen.add(st.st_ino)
        if stat.S_ISLNK(st.st_mode) and len(os.readlink(p)) < 60:
            continue	# a fast symlink: no blocks
        if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            n += 1
print(n)
EOF
)
got=$(grep -c '^/dir.*: [0-9]* fragments\{0,1\}, ' "$T/out")
assert_eq "$nwant" "$got" "frag -r /dir: one line per file"
assert_grep "^$nwant files: [0-9]* fragmented" "$T/out" "frag -r /dir: the total"
# The same file twice, and a file under a directory given too: once.
expect_rc 0 "$E2LUA" -R "frag -r /dir/sub /dir/sub/deep/x /dir/sub" "$img"
assert_eq 1 "$(grep -c '^/dir/sub/deep/x: ' "$T/out")" "a file reached twice is reported once"

# survey -n N: at most N of the most fragmented.
expect_rc 0 "$E2LUA" -R "survey -n 2" "$img"
assert_eq 2 "$(sed -n '/^Most fragmented:/,$p' "$T/out" | grep -c '^  *[0-9]')" "survey -n 2"
expect_rc 0 "$E2LUA" -R "frag -a -n 0" "$img"
grep -q "^Most fragmented" "$T/out" && fail "frag -a -n 0 lists files"

# Bad input: nothing on stdout, a usage or the reason on stderr.
for bad in ":no file given" "-a /frag:-a takes no files" "-n 3 /frag:-n goes with -a" \
	"-q /frag:unknown option '-q'" "-a -n x:bad count" "/nope:File not found"; do
	args=${bad%%:*} msg=${bad#*:}
	expect_rc 1 "$E2LUA" -R "frag $args" "$img"
	assert_grep "$msg" "$T/err" "frag $args"
done
expect_rc 1 "$E2LUA" -R "frag /frag /nope /twelve" "$img"
assert_eq "frag /nope: File not found by ext2_lookup
e2lua: frag: 1 of 3 files failed (see above)" "$(cat "$T/err")" "frag: the bad file named, then the count"
assert_grep "^/twelve: 1 fragment, 1 extent" "$T/out" "frag goes on after a bad file"
expect_rc 1 "$E2LUA" -R "survey -n x" "$img"
assert_grep "bad count 'x'" "$T/err" "survey -n x"
expect_rc 1 "$E2LUA" -R "survey /a /b" "$img"
assert_grep "too many arguments" "$T/err" "survey with two directories"

# The examples of doc/lua-api.md's "Free space and fragmentation", and
# the command lines of the README and the man page (on /frag and /dir
# where they name /var/log files).
awk '/^## Free space and fragmentation/ { on = 1; next } /^## / { on = 0 }
	on && /^  ```lua/ { n++; inlua = 1; next } inlua && /^  ```/ { inlua = 0; next }
	inlua { sub(/^  /, ""); print > (dir "/ex" n ".lua") }' dir="$T" "$TOP/doc/lua-api.md"
nex=0
for ex in "$T"/ex*.lua; do
	[ -f "$ex" ] || continue
	nex=$((nex + 1))
	expect_rc 0 "$E2LUA" "$img" "$ex"
	[ -s "$T/out" ] || fail "doc example $(basename "$ex") printed nothing"
done
[ "$nex" -ge 4 ] || fail "only $nex examples found in doc/lua-api.md"
# The README's and the man page's command lines, as written, on a copy
# named disk.img with a /var/log/syslog and a /home.
mkdir "$T/ex" && cp "$img" "$T/ex/disk.img"
head -c 300000 /dev/urandom >"$T/syslog"
debugfs_w "$T/ex/disk.img" "mkdir /var" "mkdir /var/log" "write $T/syslog /var/log/syslog" \
	"mkdir /home" || fail "debugfs: the examples' image"
grep -E "^e2lua -R '(survey|frag|freefrag) " "$TOP/README.md" >"$T/ex.sh"
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$TOP/doc/e2lua.1" |
	sed -e 's/\\(aq/'"'"'/g' -e 's/\\-/-/g' |
	grep -E "^e2lua -R '(survey|frag|freefrag) " >>"$T/ex.sh"
assert_eq 7 "$(wc -l <"$T/ex.sh" | tr -d ' ')" "README and man page: fragmentation examples"
while read -r line; do
	(cd "$T/ex" && PATH="$(dirname "$E2LUA"):$PATH" eval "$line") >"$T/out" 2>"$T/err" ||
		fail "example [$line]: $(head -c 300 "$T/err")"
	[ -s "$T/out" ] || fail "example [$line] printed nothing"
done <"$T/ex.sh"

# e2.run gives what -R prints, byte for byte.
for c in "frag -v /frag" "frag -a -n 3" "survey" "freefrag -c 64 -g"; do
	"$E2LUA" -R "$c" "$img" >"$T/want" 2>&1 || fail "-R $c"
	expect_rc 0 "$E2LUA" -e "io.stdout:write(e2.run('$c'))" "$img"
	cmp -s "$T/want" "$T/out" || fail "e2.run('$c'): $(diff "$T/want" "$T/out" | head -5)"
done

# A map that cannot be walked: frag of that file fails and says why; the
# whole-filesystem report counts it apart and goes on.
cp "$img" "$T/bad.img"
debugfs_w "$T/bad.img" "sif /thirteen block[IND] 99999999" || fail "sif /thirteen"
bad_ino=$(debugfs -R "stat /thirteen" "$T/bad.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
expect_rc 1 "$E2LUA" -R "frag /thirteen" "$T/bad.img"
assert_grep "frag <$bad_ino>: " "$T/err" "frag of a corrupt map names the inode"
expect_rc 0 "$E2LUA" -R "frag -a" "$T/bad.img"
assert_grep "^  Maps that could not be walked: 1 (the first: <$bad_ino>: " "$T/out" "frag -a: the corrupt map"

# A corrupt extent header: the cursor is never opened (e2c_map_each once
# closed it all the same: valgrind saw it), and the report goes on.
cp "$T/ext4.4096.img" "$T/bad4.img"
debugfs_w "$T/bad4.img" "sif /dind block[0] 0x12345" || fail "sif /dind"
expect_rc 1 $VG "$E2LUA" -R "frag /dind" "$T/bad4.img"
assert_grep "Corrupt extent header" "$T/err" "frag of a corrupt extent header"
expect_rc 0 $VG "$E2LUA" -R "frag -a" "$T/bad4.img"
assert_grep "^  Maps that could not be walked: 1 .*Corrupt extent header" "$T/out" \
	"frag -a: the corrupt extent header"

# Progress: on a terminal only.
expect_rc 0 "$E2LUA" -R "survey" "$img"
grep -q "survey:" "$T/err" && fail "progress written when stderr is not a terminal"
echo "wait" >"$T/steps"
python3 "$TOP/tests/pty_session.py" "$T/steps" -- "$E2LUA" -R "survey" "$img" >"$T/tty" 2>&1 ||
	fail "survey on a terminal: $(tail -n 5 "$T/tty")"
grep -q "survey: 100%" "$T/tty" || fail "no progress on a terminal: $(head -c 300 "$T/tty")"
finish
