#!/bin/sh
# t_inspect_contents.sh -- cat, dump, dump -p, rdump and sum against
# debugfs and sha256sum (and md5sum, sha1sum, sha512sum, b2sum, xxhsum), and
# ino:read / ino:lines / ino:chunks against the real bytes, on images made
# with mke2fs -d from tests/gen_contents.py: ext3 with 1 KiB blocks (block
# maps), ext4 with 4 KiB blocks (extents, inline data, an unwritten extent
# over non-zero blocks, preallocation past EOF) and ext4 with 1 KiB blocks
# (a tree with index nodes).  Files of every size class, holes, a hole at the
# end, fast/slow/inline symlinks, names with spaces, newlines, tabs,
# backslashes and UTF-8, modes, owners and times, a fifo.  Then: sum -r is
# the same before and after migrate-all (the doc/migration.md workflow, run
# as written); rdump refuses names that would leave OUT; bad input fails
# cleanly and writes nothing.  Every image stays byte-identical.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"
command -v xxhsum >/dev/null || skip "xxhsum not installed (Debian package xxhash)"
umask 022

# The regular files and slow symlinks cat and sum compare (no blanks).
FILES="/empty /tiny /oneblock /twelve /thirteen /dind /sparse /sparse_tail
/mid /lines.txt /nl.txt /nonl.txt /tree/exec /tree/private
/tree/readonly /tree/hardlink /tree/sub/deeper/leaf /tree/sub/small
/tree/ro_dir/inside /tree/slow"

# debugfs 1.47.0 pads inline-data files to the inline area (fixed in
# 1.47.4): for those the real bytes are the source's, and debugfs's output
# must be them plus zeros.

# The Lua side: ino:read windows, lines, chunks against the source files.
cat >"$T/read.lua" <<'EOF'
local src, extra_path, extra_ref = arg[1], arg[2], arg[3]
local bs = fs.block_size
local function slurp(p) local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end
local function check(cond, ...) if not cond then error(string.format(...), 2) end end
local rng, checked = 12345, 0
local function rand(n)		-- deterministic, no math.random state
	rng = (rng * 1103515245 + 12345) % 2147483648
	return rng % n
end
local function windows(size)
	local w = { {0}, {0, 0}, {0, 1}, {1, bs}, {bs - 1, 2}, {bs, bs},
		{bs + 1, 3 * bs + 5}, {size}, {size, 10}, {size + 1, 5},
		{size > 0 and size - 1 or 0, 10}, {2^40, 1}, {3, 2^40} }
	for _ = 1, 12 do
		local off = size > 0 and rand(size + bs) or rand(bs)
		w[#w + 1] = { off, rand(4 * bs) }
	end
	return w
end
local function lines_of(ino, fmt)
	local t = {}
	for l in ino:lines(fmt) do t[#t + 1] = l end
	return t
end
local function host_lines(path, fmt)
	local t = {}
	for l in io.lines(path, fmt or "l") do t[#t + 1] = l end
	return t
end
local function same_list(a, b, what)
	check(#a == #b, "%s: %d lines, io.lines %d", what, #a, #b)
	for i = 1, #a do check(a[i] == b[i], "%s: line %d differs", what, i) end
end

local function one(path, ino, ref_path)
	local ref = slurp(ref_path)
	local size = #ref
	check(ino.size == size, "%s: size %d, real %d", path, ino.size, size)
	check(ino:read() == ref, "%s: read() differs", path)
	for _, w in ipairs(windows(size)) do
		local off, len = w[1], w[2]
		local want = ref:sub(off + 1, len and off + len or -1)
		local got = len and ino:read(off, len) or ino:read(off)
		check(got == want, "%s: read(%s, %s): %d bytes, want %d", path, off,
			tostring(len), #got, #want)
	end
	local parts = {}
	for s in ino:chunks(bs + 3) do parts[#parts + 1] = s end
	check(table.concat(parts) == ref, "%s: chunks differ", path)
	same_list(lines_of(ino), host_lines(ref_path), path .. " lines()")
	same_list(lines_of(ino, "L"), host_lines(ref_path, "L"), path .. " lines(L)")
	check(ino:checksum() == e2.hash("sha256", ref), "%s: checksum", path)
	checked = checked + 1
end

for path, ino in fs:walk("/") do
	local f = ino.type == "regular" and io.open(src .. path, "rb")
	if f then
		f:close()
		one(path, ino, src .. path)
	end
end
check(checked >= 24, "only %d files checked", checked)
if extra_path then one(extra_path, fs:inode(extra_path), extra_ref) end

-- Symlinks read as their target, directories as their raw blocks.
check(fs:inode("/tree/fast"):read() == "a b", "fast symlink")
check(fs:inode("/tree/slow"):read() == "sub/deeper/" .. ("long_target_"):rep(8) .. "leaf", "slow symlink")
check(fs:inode("/tree/fifo"):read() == "", "fifo")
check(fs:inode("/tree/new\nline"):read() == "a name with a newline\n", "newline name")

-- A break, or an error, in the loop closes the reader.
local lt = fs:inode("/lines.txt")
local it, st, ctl, r = lt:lines()
for _ in it, st, ctl, r do break end
check(tostring(r):find("closed"), "break left %s", tostring(r))
it, st, ctl, r = lt:chunks()
check(not pcall(function() for _ in it, st, ctl, r do error("x") end end), "error lost")
check(tostring(r):find("closed"), "error left %s", tostring(r))
-- An unfinished reader is closed by fs:close() (nothing leaks, no crash).
local it2, st2 = lt:lines()
check(it2(st2) ~= nil, "first line")

-- Misuse and unknown algorithms.
check(not pcall(lt.read, lt, -1), "negative offset")
check(not pcall(lt.read, lt, 0, -1), "negative length")
check(not pcall(lt.lines, lt, "n"), "bad lines format")
check(not pcall(lt.chunks, lt, 0), "chunk size 0")
local ok, err = pcall(lt.checksum, lt, "nope")
check(not ok and err.code == e2.errors.E2C_ERR_UNKNOWN_ALGO, "unknown algorithm: %s", tostring(err))
print("read ok " .. checked)
fs:close()
check(tostring(r):find("closed"), "reader open after fs:close")
check(not pcall(it2, st2), "a reader of a closed fs must fail")
EOF

# stat fields dump -p / rdump set: mode, owner, atime, mtime, size (not
# of OUT itself).
stats() {	# dir
	(cd "$1" && find . -mindepth 1 ! -type l -printf '%P|%y|%m|%U|%G|%A@|%T@|%s\n' | sort)
}

# The inline-data files of a debugfs rdump tree cut to their size (their
# padding checked to be zeros first), atime and mtime kept: debugfs 1.47.0
# pads them (see above).
unpad() {	# debugfs-tree source-tree
	python3 - "$1" "$2" <<'PYEOF'
import os, stat, sys
top, src = sys.argv[1], sys.argv[2]
def fix(p):
    st = os.lstat(p)		# first: reading changes atime
    ref = os.path.join(src, os.path.relpath(p, top))
    if stat.S_ISDIR(st.st_mode):
        for n in os.listdir(p):
            fix(os.path.join(p, n))
    elif not stat.S_ISREG(st.st_mode) or not os.path.isfile(ref) or \
            st.st_size == os.path.getsize(ref):
        return
    else:
        want = open(ref, "rb").read()
        got = open(p, "rb").read()
        if not (got.startswith(want) and not got[len(want):].strip(b"\0")):
            sys.exit("%s: not the source's bytes plus zeros" % p)
        os.truncate(p, len(want))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
for n in os.listdir(top):
    fix(os.path.join(top, n))
PYEOF
}

check_image() {	# tag img src bs
	tag=$1 img=$2 src=$3 bs=$4
	before=$(sum "$img")
	mkdir -p "$T/$tag" && w=$T/$tag

	# cat: debugfs's bytes (inline data: the source's), sum: sha256sum
	# of them; dump and dump -p (each tool one -f run): debugfs's bytes
	# and stat fields.
	printf 'stat %s\n' $FILES | debugfs -f - "$img" 2>/dev/null | awk '
		/^debugfs: stat / { f = $3 } /Size of inline data/ { print f }' >"$w/inline"
	: >"$w/want.sum"
	: >"$w/d.cmds"
	: >"$w/e.cmds"
	i=0 dumped=""
	for f in $FILES; do
		i=$((i + 1))
		debugfs -R "cat $f" "$img" >"$w/d.$i" 2>/dev/null
		expect_rc 0 "$E2LUA" -R "cat $f" "$img"
		if grep -qx -- "$f" "$w/inline"; then
			[ "$f" = /tree/slow ] && printf '%s' "$(readlink "$src/tree/slow")" >"$w/real.$i" ||
				cp "$src$f" "$w/real.$i"
			n=$(wc -c <"$w/real.$i")
			head -c "$n" "$w/d.$i" | cmp -s - "$w/real.$i" &&
				[ -z "$(tail -c +$((n + 1)) "$w/d.$i" | tr -d '\0')" ] ||
				fail "$tag: debugfs cat $f is not the real bytes plus zeros"
			cp "$w/real.$i" "$w/d.$i"
			inline=$((inline + 1))
		fi
		cmp -s "$w/d.$i" "$T/out" || fail "$tag: cat $f differs from debugfs"
		echo "$(sha256sum <"$w/d.$i" | cut -d' ' -f1)  $f" >>"$w/want.sum"
		[ "$f" = /tree/slow ] && continue
		echo "dump -p $f $w/dp.$i" >>"$w/d.cmds"
		printf 'dump -p %s %s\ndump %s %s\n' "$f" "$w/ep.$i" "$f" "$w/e.$i" >>"$w/e.cmds"
		dumped="$dumped $i"
	done
	debugfs -f "$w/d.cmds" "$img" >/dev/null 2>&1
	expect_rc 0 "$E2LUA" -f "$w/e.cmds" "$img"
	# stat before anything reads the files (atime).
	(cd "$w" && for i in $dumped; do stat -c '%a %U %G %X %Y' dp.$i; done) >"$w/dp.st"
	(cd "$w" && for i in $dumped; do stat -c '%a %U %G %X %Y' ep.$i; done) >"$w/ep.st"
	cmp -s "$w/dp.st" "$w/ep.st" || fail "$tag: dump -p stat fields: $(diff "$w/dp.st" "$w/ep.st" | head -5)"
	(cd "$w" && for i in $dumped; do stat -c '%a %u' e.$i; done | sort -u) >"$w/e.st"
	assert_eq "644 $(id -u)" "$(cat "$w/e.st")" "$tag: dump: mode, owner"
	for i in $dumped; do
		cmp -s "$w/d.$i" "$w/ep.$i" || fail "$tag: dump -p of file $i: bytes differ"
		cmp -s "$w/d.$i" "$w/e.$i" || fail "$tag: dump of file $i: bytes differ"
	done
	# Holes stay holes: /sparse_tail (50 blocks, one of data) is sparse.
	[ "$(stat -c %b "$w/e.8")" -le 16 ] ||
		fail "$tag: dump of /sparse_tail is not sparse ($(stat -c %b "$w/e.8") sectors)"
	# An unwritten extent over non-zero blocks reads as zeros.
	cmp -s "$w/d.9" "$src/mid" || fail "$tag: /mid is not the source's bytes"
	# sum: sha256sum's lines; other algorithms: their tools' hashes.
	expect_rc 0 "$E2LUA" -R "sum $(echo $FILES)" "$img"
	cmp -s "$w/want.sum" "$T/out" || fail "$tag: sum: $(diff "$w/want.sum" "$T/out" | head -5)"
	for a in md5 sha1 sha512 blake2b512 xxh64 xxh128; do
		case $a in
		xxh64) tool="xxhsum -H1" ;; xxh128) tool="xxhsum -H2" ;;
		blake2b512) tool=b2sum ;; *) tool=${a}sum ;;
		esac
		expect_rc 0 "$E2LUA" -R "sum -a $a /dind /tiny /empty" "$img"
		want=$(for n in 6 2 1; do $tool <"$w/d.$n" | cut -d' ' -f1; done | tr '\n' ' ')
		assert_eq "$want" "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" "$tag: sum -a $a"
	done

	# rdump: the same tree as debugfs's (contents, types, symlink
	# targets, mode, owner, times); symlinks also get their owner and
	# times (debugfs leaves them to the user and the clock).
	mkdir "$w/drd" "$w/erd"
	debugfs -R "rdump /tree $w/drd" "$img" >/dev/null 2>&1
	unpad "$w/drd" "$src" || fail "$tag: debugfs rdump"
	expect_rc 0 "$E2LUA" -R "rdump /tree $w/erd" "$img"
	assert_grep "^rdump: 1 special file (device, fifo, socket) not dumped" "$T/err" "$tag: rdump note"
	stats "$w/drd" >"$w/drd.st"		# before diff reads them (atime)
	stats "$w/erd" >"$w/erd.st"
	cmp -s "$w/drd.st" "$w/erd.st" ||
		fail "$tag: rdump stat fields: $(diff "$w/drd.st" "$w/erd.st" | head -6)"
	[ "$(wc -l <"$w/erd.st")" -ge 17 ] || fail "$tag: rdump made too little: $(cat "$w/erd.st")"
	diff -r --no-dereference "$w/drd" "$w/erd" >"$w/diff" 2>&1 ||
		fail "$tag: rdump differs from debugfs: $(head -5 "$w/diff")"
	(cd "$src" && find tree -type l -printf '%p|%l|%U|%G|%T@\n' | sort) >"$w/src.ln"
	(cd "$w/erd" && find tree -type l -printf '%p|%l|%U|%G|%T@\n' | sort) >"$w/erd.ln"
	cmp -s "$w/src.ln" "$w/erd.ln" || fail "$tag: rdump symlinks: $(diff "$w/src.ln" "$w/erd.ln")"
	# sum -r: sha256sum of the extracted regular files, paths escaped
	# as sha256sum escapes them; symlinks as their target text.
	expect_rc 0 "$E2LUA" -R "sum -r /tree" "$img"
	(cd "$w/drd" && find tree -type f -exec sha256sum {} + | sed 's|^\([^ ]*\)  tree|\1  /tree|') |
		sort >"$w/want.r"
	grep -v -e '  /tree/fast$' -e '  /tree/slow$' -e '  /tree/dirlink$' "$T/out" | sort >"$w/got.r"
	cmp -s "$w/want.r" "$w/got.r" || fail "$tag: sum -r: $(diff "$w/want.r" "$w/got.r" | head -5)"
	grep -q '^\\[0-9a-f]*  /tree/new\\nline$' "$T/out" || fail "$tag: sum -r: newline not escaped"
	assert_eq "$(printf 'sub' | sha256sum | cut -d' ' -f1)  /tree/dirlink" \
		"$(grep '/tree/dirlink$' "$T/out")" "$tag: sum of a symlink"

	# rdump of "/" puts the root's entries into OUT; of a file, the file.
	mkdir "$w/dr" "$w/er" "$w/ef"
	debugfs -R "rdump / $w/dr" "$img" >/dev/null 2>&1
	unpad "$w/dr" "$src" || fail "$tag: debugfs rdump /"
	expect_rc 0 "$E2LUA" -R "rdump / $w/er" "$img"
	expect_rc 0 "$E2LUA" -R "rdump /tiny /tree/sub/ $w/ef" "$img"
	cmp -s "$w/ef/tiny" "$w/d.2" || fail "$tag: rdump of a file"
	[ -f "$w/ef/sub/deeper/leaf" ] || fail "$tag: rdump of dir/ did not make sub"
	diff -r --no-dereference "$w/dr" "$w/er" >"$w/diff" 2>&1 ||
		fail "$tag: rdump / differs: $(head -5 "$w/diff")"

	# The Lua API against the real bytes.
	expect_rc 0 "$E2LUA" "$img" "$T/read.lua" "$src" ${EXTRA:-}
	assert_grep "^read ok" "$T/out" "$tag: read.lua"
	# Directories read as their raw blocks, as debugfs cat gives them.
	debugfs -R "cat /tree/sub" "$img" >"$w/dir.d" 2>/dev/null
	"$E2LUA" -e 'io.write(fs:inode("/tree/sub"):read())' "$img" >"$w/dir.e"
	cmp -s "$w/dir.d" "$w/dir.e" || fail "$tag: read of a directory differs from debugfs cat"

	assert_eq "$before" "$(sum "$img")" "$tag: image changed by reading"
}

mk() {	# img bs src mke2fs-options...
	img=$1 bs=$2 src=$3
	shift 3
	[ -d "$src" ] || python3 "$TOP/tests/gen_contents.py" "$src" "$bs" || return 1
	mke2fs -q -F "$@" -b "$bs" -d "$src" "$img" 32M >"$T/mke2fs.out" 2>&1 ||
		{ cat "$T/mke2fs.out" >&2; return 1; }
	# mke2fs 1.47.0 -d drops a hole at the end: give the size back.
	debugfs_w "$img" "sif /sparse_tail size $((50 * bs))"
}

# ext3, 1 KiB blocks: block maps up to double indirect.
inline=0
mk "$T/ext3.img" 1024 "$T/src1" -t ext3 -J size=1 || fail "mk ext3"
debugfs -R "stat /dind" "$T/ext3.img" 2>/dev/null | grep -q "(DIND)" || fail "ext3: /dind has no DIND block"
check_image ext3 "$T/ext3.img" "$T/src1" 1024
assert_eq 0 "$inline" "ext3: no inline data"

# ext4, 4 KiB blocks, inline data; /mid's hole fallocated (unwritten) over
# blocks filled with garbage first; /prealloc has blocks past its end.
mk "$T/ext4.img" 4096 "$T/src4" -t ext4 -O inline_data -J size=4 || fail "mk ext4"
debugfs_w "$T/ext4.img" "fallocate /mid 10 19" || fail "fallocate /mid"
u=$(debugfs -R "bmap /mid 10" "$T/ext4.img" 2>/dev/null | cut -d' ' -f1)
python3 -c "
import random
with open('$T/ext4.img', 'r+b') as f:
    f.seek($u * 4096); f.write(random.Random(9).randbytes(10 * 4096))"
debugfs -R "stat /mid" "$T/ext4.img" 2>/dev/null | grep -q '(10-19\[u\])' || fail "ext4: no unwritten extent in /mid"
debugfs -R "bd -f /mid 10" "$T/ext4.img" 2>/dev/null | grep -qv '0000 0000 0000 0000 0000 0000 0000 0000' ||
	fail "ext4: the unwritten blocks hold only zeros (the test could not fail)"
inline=0
check_image ext4 "$T/ext4.img" "$T/src4" 4096
[ "$inline" -ge 5 ] || fail "ext4: only $inline inline-data files"

# ext4, 1 KiB blocks: a 400-fragment file (a tree with index nodes).
mk "$T/ext4k.img" 1024 "$T/src1" -t ext4 -J size=1 || fail "mk ext4 1k"
mk_frag_file "$T/ext4k.img" /frag 400 || fail "mk_frag_file"
debugfs -R "ex /frag" "$T/ext4k.img" 2>/dev/null | grep -q '^ 0/ [12] ' || fail "ext4k: /frag has no index nodes"
debugfs -R "cat /frag" "$T/ext4k.img" >"$T/frag.bin" 2>/dev/null
cmp -s "$T/frag.bin" "$T/fragfile" || fail "ext4k: debugfs cat /frag is not what was written"
EXTRA="/frag $T/fragfile" check_image ext4k "$T/ext4k.img" "$T/src1" 1024

# Reading past EOF stops at i_size: /prealloc is written 5003 bytes long
# (so not inline data: the fallocate of a 3-byte inline file failed and
# the case tested nothing), cut to 3; block 1 holds its old bytes past
# i_size and blocks 2-9 are allocated past its end.
img=$T/ext4.img
cp "$img" "$T/pre.img"
{ printf 'abc'; head -c 5000 /dev/zero | tr '\0' 'g'; } >"$T/abc"
debugfs_w "$T/pre.img" "write $T/abc /prealloc" "sif /prealloc size 3" \
	"fallocate /prealloc 2 9" || fail "/prealloc"
debugfs -R "stat /prealloc" "$T/pre.img" 2>/dev/null | grep -q "(2-9" ||
	fail "/prealloc has no blocks past its end"
expect_rc 0 "$E2LUA" -R "cat /prealloc" "$T/pre.img"
assert_eq abc "$(cat "$T/out")" "cat of a file with blocks past its end"

"$E2LUA" -R "sum -r /" "$T/ext3.img" >"$T/ext3.sum" || fail "sum -r / of ext3"

# A migration keeps every byte: doc/migration.md's workflow, as written.
cp "$T/ext3.img" "$T/disk.img"
sed -n '/^<!-- test: sum-workflow -->$/,/^```$/p' "$TOP/doc/migration.md" |
	sed '1,2d;$d' >"$T/workflow.sh"
[ -s "$T/workflow.sh" ] || fail "doc/migration.md has no sum workflow"
(cd "$T" && PATH="$(dirname "$E2LUA"):$PATH" sh -e ./workflow.sh) >"$T/wf.out" 2>&1 ||
	fail "the workflow failed: $(tail -5 "$T/wf.out")"
assert_grep "every byte kept" "$T/wf.out" "workflow"
[ "$(wc -l <"$T/before.sum")" -ge 25 ] || fail "before.sum too short"
fsck_clean "$T/disk.img"
debugfs -R "stat /dind" "$T/disk.img" 2>/dev/null | grep -q "Flags: 0x80000" || fail "migration did not migrate /dind"

# The examples of the README, the man page and lua-api.md, as written, on
# an image with /etc/hostname and /etc/passwd.
ex_run() {	# what file-of-commands [where rdump put /etc]
	rm -rf "$T/ex" && mkdir "$T/ex" && cp "$T/ext3.img" "$T/ex/disk.img"
	(cd "$T/ex" && PATH="$(dirname "$E2LUA"):$PATH" sh -e "$2") >"$T/ex.out" 2>&1 ||
		fail "$1 examples: $(tail -5 "$T/ex.out")"
	[ -s "$T/ex/etc.sum" ] && ! grep -q '  /etc/passwd$' "$T/ex/etc.sum" &&
		fail "$1: etc.sum has no /etc/passwd"
	[ -f "$T/ex/${3:-restore/etc}/passwd" ] || fail "$1: no ${3:-restore/etc}/passwd"
}
grep -E "^(mkdir restore && )?e2lua -R '(cat|dump|rdump|sum) " "$TOP/README.md" >"$T/readme.sh"
assert_eq 4 "$(wc -l <"$T/readme.sh" | tr -d ' ')" "README: contents examples"
sed -n "/^e2lua -e 'for line in fs:inode/,/disk.img\$/p" "$TOP/README.md" >>"$T/readme.sh"
ex_run README "$T/readme.sh"
grep -qx "e2lua-test" "$T/ex.out" || fail "README: cat /etc/hostname"
assert_eq "root:x:0:0:root:/root:/bin/sh toor:x:0:0:also root:/root:/bin/sh $(sha256sum <"$T/src1/etc/passwd" | cut -d' ' -f1)" \
	"$(grep -e '^root' -e '^toor' -e '^[0-9a-f]\{64\}$' "$T/ex.out" | tr '\n' ' ' | sed 's/ $//')" "README: the Lua example"
cmp -s "$T/ex/passwd.copy" "$T/src1/etc/passwd" || fail "README: dump -p"
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$TOP/doc/e2lua.1" |
	sed -e 's/\\(aq/'"'"'/g' -e 's/\\-/-/g' |
	grep -E "^(mkdir restore && )?e2lua -R '(cat|dump|rdump|sum) " >"$T/man.sh"
assert_eq 5 "$(wc -l <"$T/man.sh" | tr -d ' ')" "man page: contents examples"
ex_run "man page" "$T/man.sh"
sed -n '/^### Contents/,/^A reader reads/p' "$TOP/doc/lua-api.md" |
	awk '/^  ```lua/ { on = 1; next } /^  ```/ { on = 0 } on' >"$T/api.lua"
[ "$(grep -c . "$T/api.lua")" -ge 9 ] || fail "lua-api.md: contents examples missing"
printf 'e2lua -e "$(cat %s)" disk.img\n' "$T/api.lua" >"$T/api.sh"
ex_run lua-api.md "$T/api.sh" etc
grep -qx "root" "$T/ex.out" && grep -qx "toor" "$T/ex.out" || fail "lua-api.md: the lines() example"

# rdump refuses a name that would leave OUT ("../escape", named by its
# inode), skips a second ".." entry and dumps the rest.
img=$T/evil.img
cp "$T/ext3.img" "$img"
printf 'x' >"$T/x"
debugfs_w "$img" "mkdir /evil" "write $T/x /evil/..Xescape" "write $T/x /evil/xx" \
	"write $T/x /evil/ok" || fail "/evil"
eb=$(debugfs -R "blocks /evil" "$img" 2>/dev/null | tr -d ' \n')
python3 - "$img" "$eb" <<'EOF'
import sys
img, blk = sys.argv[1], int(sys.argv[2])
with open(img, "r+b") as f:
    f.seek(blk * 1024)
    b = bytearray(f.read(1024))
    for old, new in ((b"..Xescape", b"../escape"), (b"\x02\x01xx", b"\x02\x01..")):
        i = b.find(old)
        assert i >= 0, old
        b[i:i + len(old)] = new
    f.seek(blk * 1024)
    f.write(b)
EOF
mkdir "$T/evout"
expect_rc 1 "$E2LUA" -R "rdump /evil $T/evout" "$img"
assert_eq 1 "$(grep -c "rdump $T/evout/evil/<[0-9]*>: Name unusable on the host" "$T/err")" "unsafe name reported"
[ -e "$T/escape" ] || [ -e "$T/evout/escape" ] && fail "rdump wrote outside OUT"
assert_eq "evil evil/ok" "$(cd "$T/evout" && find . -mindepth 1 | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"rdump made only the safe entries"

# A bad block pointer: the commands name the file and fail, dump leaves
# nothing, rdump and sum -r do the rest; ino:read of the blocks before it
# works.
img=$T/bad.img
cp "$T/ext3.img" "$img"
debugfs_w "$img" "sif /twelve block[2] 99999999" || fail "sif /twelve"
expect_rc 1 "$E2LUA" -R "cat /twelve" "$img"
assert_grep "^e2lua: cat /twelve: Block pointer outside the filesystem" "$T/err" "cat of a bad map"
expect_rc 1 "$E2LUA" -R "dump /twelve $T/bad.out" "$img"
assert_grep "^e2lua: dump /twelve: Block pointer outside the filesystem" "$T/err" "dump of a bad map"
[ -e "$T/bad.out" ] && fail "a failed dump left its output"
expect_rc 1 "$E2LUA" -R "sum -r /" "$img"
assert_grep "^e2lua: sum /twelve: Block pointer outside the filesystem" "$T/err" "sum -r of a bad map"
assert_eq "$(grep -v '  /twelve$' "$T/ext3.sum" | grep -v '^.*  /evil' )" "$(cat "$T/out")" "sum -r goes on past a bad map"
mkdir "$T/badrd"
expect_rc 1 "$E2LUA" -R "rdump / $T/badrd" "$img"
assert_grep "rdump $T/badrd/twelve: Block pointer outside the filesystem" "$T/err" "rdump of a bad map"
[ -e "$T/badrd/twelve" ] && fail "rdump left a partial file"
[ -f "$T/badrd/thirteen" ] || fail "rdump stopped at a bad map"
expect_rc 0 "$E2LUA" -e 'local i = fs:inode("/twelve")
	assert(#i:read(0, 2 * fs.block_size) == 2 * fs.block_size)
	local ok, err = pcall(i.read, i, 0, 3 * fs.block_size)
	assert(not ok and err.code == e2.errors.E2C_ERR_PTR_RANGE, tostring(err))' "$img"

# Bad input: clear messages, exit 1, nothing written.
img=$T/ext3.img
before=$(sum "$img")
expect_rc 1 "$E2LUA" -R "cat /nope" "$img"
assert_grep "^e2lua: cat /nope: File not found by ext2_lookup" "$T/err" "cat of a missing file"
expect_rc 1 "$E2LUA" -R "cat /tree" "$img"
assert_grep "cat /tree: Is a directory" "$T/err" "cat of a directory"
[ -s "$T/out" ] && fail "cat of a directory wrote output"
expect_rc 1 "$E2LUA" -R "cat /tiny /tree /nl.txt" "$img"
assert_eq "$(cat "$T/ext3/d.2" "$T/ext3/d.11" | sha256sum)" "$(sha256sum <"$T/out")" "cat goes on past a directory"
expect_rc 1 "$E2LUA" -R "dump /nope $T/o1" "$img"
assert_grep "dump /nope: File not found" "$T/err" "dump of a missing file"
expect_rc 1 "$E2LUA" -R "dump /tree $T/o1" "$img"
assert_grep "dump /tree: Is a directory (use rdump)" "$T/err" "dump of a directory"
expect_rc 1 "$E2LUA" -R "dump /tiny $T/ext3/d.1/o1" "$img"
assert_grep "dump $T/ext3/d.1/o1: Not a directory" "$T/err" "dump to an unwritable place"
expect_rc 1 "$E2LUA" -R "dump /tiny $T/no/such/dir" "$img"
assert_grep "No such file or directory" "$T/err" "dump into a missing directory"
[ -e "$T/o1" ] && fail "a failed dump left $T/o1"
echo keep >"$T/exists"
expect_rc 1 "$E2LUA" -R "dump /tiny $T/exists" "$img"
assert_grep "dump $T/exists: Output file exists (not overwritten); dump -f replaces it" "$T/err" "dump over a file"
assert_eq keep "$(cat "$T/exists")" "dump overwrote a file"
expect_rc 0 "$E2LUA" -R "dump -f -p /tiny $T/exists" "$img"
cmp -s "$T/exists" "$T/ext3/d.2" || fail "dump -f did not replace the file"
ls "$T" | grep -q 'e2lua-' && fail "dump -f left a temporary file"
mkdir "$T/adir"
expect_rc 1 "$E2LUA" -R "dump -f /tiny $T/adir" "$img"
assert_grep "Is a directory" "$T/err" "dump -f over a directory"
expect_rc 1 "$E2LUA" -R "dump -x /tiny $T/o1" "$img"
assert_grep "dump: unknown option '-x'" "$T/err" "dump -x"
assert_grep "^Usage: dump \[-p\] \[-f\] <file> <out>" "$T/err" "dump usage"
expect_rc 1 "$E2LUA" -R "dump /tiny" "$img"
assert_grep "Usage: dump" "$T/err" "dump without OUT"
expect_rc 1 "$E2LUA" -R "rdump /tree $T/nodir" "$img"
assert_grep "rdump $T/nodir: No such file or directory" "$T/err" "rdump into a missing directory"
[ -e "$T/nodir" ] && fail "rdump created its OUT"
expect_rc 1 "$E2LUA" -R "rdump /tree $T/exists" "$img"
assert_grep "rdump $T/exists: Not a directory" "$T/err" "rdump into a file"
expect_rc 1 "$E2LUA" -R "rdump /tree $T/ext3/erd" "$img"
assert_grep "rdump $T/ext3/erd/tree: File exists" "$T/err" "rdump over an existing tree"
expect_rc 1 "$E2LUA" -R "sum -a nope /tiny" "$img"
assert_grep "sum -a nope: unknown checksum algorithm" "$T/err" "sum -a nope"
[ -s "$T/out" ] && fail "sum with a bad algorithm printed"
expect_rc 1 "$E2LUA" -R "sum /tree" "$img"
assert_grep "sum /tree: Is a directory (sum -r reads directories)" "$T/err" "sum of a directory"
expect_rc 1 "$E2LUA" -R "sum /tiny /nope /nl.txt" "$img"
assert_grep "sum /nope: File not found" "$T/err" "sum of a missing file"
assert_eq 2 "$(wc -l <"$T/out" | tr -d ' ')" "sum goes on past a missing file"
expect_rc 1 "$E2LUA" -R "sum -a" "$img"
assert_grep "option '-a' needs an argument" "$T/err" "sum -a without a value"
# libcrypto is loaded at first use (core/content.c): where it cannot be
# (here an empty file of its soname found first), what needs it fails
# naming it and what it is for; libxxhash's digests go on.
mkdir "$T/nocrypto"
: >"$T/nocrypto/libcrypto.so.3"
nocrypto() { rc=$1; shift; expect_rc "$rc" env LD_LIBRARY_PATH="$T/nocrypto" "$@"; }
nocrypto 1 "$E2LUA" -R "sum -a sha1 /tiny" "$img"
assert_grep "sum -a sha1: Cannot load libcrypto.so.3 (OpenSSL), which the digests other than xxh64 and xxh128, and JSON's base64, need" \
	"$T/err" "sum -a sha1 without libcrypto"
[ -s "$T/out" ] && fail "sum without libcrypto printed"
expect_rc 0 "$E2LUA" -R "sum -a xxh64 /tiny" "$img"
mv "$T/out" "$T/xxh64"
nocrypto 0 "$E2LUA" -R "sum -a xxh64 /tiny" "$img"
cmp -s "$T/xxh64" "$T/out" || fail "sum -a xxh64 without libcrypto: $(cat "$T/out")"
nocrypto 1 "$E2LUA" -e 'print(e2.json({name = "\255"}))' "$img"
assert_grep "e2.json: Cannot load libcrypto.so.3 (OpenSSL).* (at .name)" "$T/err" "JSON's base64 without libcrypto"
nocrypto 1 "$E2LUA" -e 'e2.hash("md5", "")' "$img"
assert_grep "hash md5: Cannot load libcrypto.so.3" "$T/err" "e2.hash without libcrypto"
assert_eq "$before" "$(sum "$img")" "bad input changed the image"
finish
