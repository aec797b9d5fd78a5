#!/bin/sh
# t_inspect_map.sh -- the block map pictures: fs:blockmap and the "map"
# command.
#   - every cell's kind and counts agree with tests/map_model.py, a model
#     built from dumpe2fs and debugfs stat alone (ext3 1 KiB, ext4 without
#     extents 4 KiB, ext4 with extents: chosen files, a directory tree,
#     every file, nothing, a group, a range);
#   - the terminal grid shows exactly the table's kinds, with the scale and
#     each row's block range; the picture of a small image matches the
#     reviewed transcript tests/map/small.txt;
#   - the SVG parses (python3's xml.etree) and its cells per kind are the
#     table's, names with markup, control characters and bytes that are
#     not UTF-8 included;
#   - map --plan shows as new and freed exactly the blocks the commit then
#     allocates and frees (dumpe2fs before and after), and as new exactly
#     the migrated files' new extent tree blocks (debugfs stat);
#   - colours: --color=always, auto on a terminal, NO_COLOR, --no-color;
#   - bad input is refused with a message, and nothing is ever written.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# The table of fs:blockmap{LUA_OPTS, start, count, per_cell} in
# map_model.py's line format.
dump_table() {	# img "lua opts" start count per_cell
	"$E2LUA" -e "
local bm = fs:blockmap{ $2, start = $3, count = $4, per_cell = $5 }
for _, c in ipairs(bm.cells) do
  print(string.format('%d %s free=%d meta=%d other=%d data=%d ind=%d',
    c.start, c.kind, c.free, c.meta, c.other, c.data, c.ind))
end" "$1"
}

# model_case IMG "LUA OPTS" START COUNT PER "MODEL CHOICE"
model_case() {
	dump_table "$1" "$2" "$3" "$4" "$5" >"$T/e.cells" 2>"$T/e.err" ||
		{ fail "blockmap {$2}: $(cat "$T/e.err")"; return; }
	python3 "$TOP/tests/map_model.py" "$1" "$3" "$4" "$5" $6 >"$T/m.cells" ||
		{ fail "map_model.py $6 failed"; return; }
	[ -s "$T/m.cells" ] || fail "model {$2}: no cells"
	cmp -s "$T/m.cells" "$T/e.cells" ||
		fail "blockmap {$2} $3+$4/$5 differs from the model: $(diff "$T/m.cells" "$T/e.cells" | head -n 6)"
}

# The kinds the grid of `map ... -w COLS --no-color` shows, one a line,
# from its rows' glyphs (the row labels checked against the cells).
grid_kinds() {	# output per_cell
	python3 - "$1" "$2" <<'PY'
import re, sys
glyph = {".": "free", "#": "meta", "o": "other", "D": "data", "I": "ind", "-": "freed", "+": "new"}
per = int(sys.argv[2])
nxt = None
for line in open(sys.argv[1]):
    m = re.match(r"^ *(\d+)-(\d+) +([.#oDI+-]+)$", line.rstrip("\n"))
    if not m:
        continue
    a, z, cells = int(m[1]), int(m[2]), m[3]
    if nxt is not None and a != nxt:
        sys.exit("row starts at %d, expected %d" % (a, nxt))
    if z - a + 1 > len(cells) * per or z - a + 1 <= (len(cells) - 1) * per:
        sys.exit("row %d-%d does not hold %d cells of %d" % (a, z, len(cells), per))
    nxt = z + 1
    for i, g in enumerate(cells):
        print(a + i * per, glyph[g])
PY
}

# ---------------------------------------------------------------- model
# (ext4 with extents: the files and everything, the rest is the same code)
for kind_bs in "ext3 1024 full" "ext4noext 4096 full" "ext4 1024 some"; do
	set -- $kind_bs
	img=$T/$1-$2.img
	mk_image "$img" "$1" "$2" || { fail "mk_image $1 $2"; continue; }
	[ "$1" != ext4 ] || mk_uninit "$img" "$2" || fail "mk_uninit"
	first=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^First block: *//p')
	total=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block count: *//p')
	bpg=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Blocks per group: *//p')
	n=$((total - first))
	model_case "$img" "files = { '/dind', '/frag', '/sparse_tind', '/hardlink_a' }" \
		"$first" "$n" 64 "/dind /frag /sparse_tind /hardlink_a"
	model_case "$img" "all = true" "$first" "$n" 7 all
	[ "$3" = full ] || continue
	model_case "$img" "files = {}" "$first" "$n" 32 ""
	# the second group (the second half with a single group), block by
	# block; a range across a group boundary (or the middle)
	g1=$((first + bpg)) g1n=$bpg
	[ "$g1" -lt "$total" ] || g1=$((total / 2)) g1n=$((total / 2))
	[ "$g1n" -le $((total - g1)) ] || g1n=$((total - g1))
	model_case "$img" "files = { '/frag', '/dir/big' }" "$g1" "$g1n" 1 "/frag /dir/big"
	model_case "$img" "all = true" "$((g1 - 100))" 300 3 all
	# a directory's tree is its files by path
	dirfiles=$("$E2LUA" -e 'for p in fs:walk("/dir") do print(p) end' "$img" | tr '\n' ' ')
	model_case "$img" "dir = '/dir'" "$first" "$n" 16 "$dirfiles"
	# the command draws what the table says, with the right row labels
	expect_rc 0 "$E2LUA" -R "map -w 50 -s 16 --no-color /frag /dind" "$img"
	grid_kinds "$T/out" 16 >"$T/g.cells" || fail "$1: grid rows: $(cat "$T/g.cells")"
	dump_table "$img" "files = { '/frag', '/dind' }" "$first" "$n" 16 | cut -d' ' -f1-2 >"$T/t.cells"
	cmp -s "$T/t.cells" "$T/g.cells" || fail "$1: grid differs from the table: $(diff "$T/t.cells" "$T/g.cells" | head -n 4)"
	assert_grep "^Blocks $first-$((total - 1)), 1 cell = 16 blocks of $2 bytes$" "$T/out" "$1: header"
	# totals: every block counted once; free and used as the superblock says
	"$E2LUA" -e '
local bm = fs:blockmap{ all = true }
local t, sb = bm.totals, fs.super
local sum = t.free + t.meta + t.other + t.data + t.ind
assert(sum == sb.blocks_count - sb.first_data_block, "sum " .. sum)
assert(t.free == sb.free_blocks_count, "free " .. t.free .. " vs " .. sb.free_blocks_count)' "$img" ||
		fail "$1: totals do not add up"
done

# -------------------------------------------------------- the transcript
# A small image whose picture a person has checked (tests/map/small.txt):
# 8 MiB ext3, 1 KiB blocks, 4 groups of 2048 blocks (backup superblocks in
# groups 1 and 3), a 1024-block journal, a 13-block file (one IND), a
# double-indirect file, a tree, and /frag in 24 one-block fragments.
python3 - "$T/small" <<'PY'
import os, random, sys
d = sys.argv[1]
os.makedirs(d + "/dir/sub")
r = random.Random(5)
for path, n in (("small", 3000), ("thirteen", 13 * 1024), ("dind", (12 + 256 + 40) * 1024),
                ("dir/a", 5000), ("dir/sub/b", 20 * 1024)):
    open(os.path.join(d, path), "wb").write(r.randbytes(n))
PY
small=$T/small.img
mke2fs -q -F -t ext3 -J size=1 -b 1024 -g 2048 -N 128 \
	-U 6d2a4b3c-1111-4222-8333-444455556666 \
	-E hash_seed=6d2a4b3c-1111-4222-8333-444455556666 -d "$T/small" "$small" 8M \
	>"$T/mke2fs.out" 2>&1 || fail "mke2fs small: $(cat "$T/mke2fs.out")"
mk_frag_file "$small" /frag 24 || fail "mk_frag_file"
cp "$small" "$T/small0.img"
cat >"$T/small.cmds" <<'EOF'
map -w 64 --no-color /dind /frag
map -w 64 -a
map -b 1169+448 -s 1 -w 64 /frag
map -g 0 -s 16 -w 32 -d /dir
EOF
printf '%s\n' "migrate /frag /dind" "map --plan -b 1169+448 -s 4 -w 28" >"$T/small-plan.cmds"
cp "$small" "$T/small-plan.img"
{
	"$E2LUA" -f "$T/small.cmds" "$small"
	"$E2LUA" -w -f "$T/small-plan.cmds" "$T/small-plan.img"
} >"$T/small.txt" 2>&1
cmp -s "$TOP/tests/map/small.txt" "$T/small.txt" ||
	fail "the picture of the small image changed: $(diff "$TOP/tests/map/small.txt" "$T/small.txt" | head -n 20)"

# ----------------------------------------------------------------- SVG
# Names with markup, a control character and a byte that is not UTF-8.
python3 - "$T/odd" <<'PY'
import os, sys
d = os.fsencode(sys.argv[1])
os.makedirs(d)
for name in (b"a&b<c>\"d'", b"ctl\x01x", b"bad\xffutf8", "caf\u00e9".encode()):
    open(os.path.join(d, name), "wb").write(os.urandom(0) + b"x" * 5000)
PY
odd=$T/odd.img
mke2fs -q -F -t ext2 -b 1024 -N 64 -d "$T/odd" "$odd" 2M >"$T/mke2fs.out" 2>&1 ||
	fail "mke2fs odd: $(cat "$T/mke2fs.out")"

# svg_check SVG TABLE_CMD...: the SVG parses, has as many cells of each
# kind per panel as the tables the Lua chunk prints (one "kind" a line,
# panels apart by a "--" line), a <title> per cell, and the legend.
svg_check() {	# svg what expected-kinds-file
	python3 - "$1" "$3" <<'PY' || fail "$2: $(cat "$T/svg.err")"
import sys, collections
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    open(sys.argv[1] + ".err", "w")
    sys.exit("not well-formed: %s" % e)
want = [collections.Counter(p.split()) for p in open(sys.argv[2]).read().split("--\n")]
panels = [g for g in root.iter(ns + "g") if g.get("class") == "panel"]
got = []
for g in panels:
    rects = [r for r in g.iter(ns + "rect") if (r.get("class") or "").startswith("cell ")]
    for r in rects:
        if r.find(ns + "title") is None or not r.find(ns + "title").text.startswith("blocks "):
            sys.exit("a cell without its title")
    got.append(collections.Counter(r.get("class").split()[1] for r in rects))
if got != want:
    sys.exit("cells per kind %s, the table says %s" % (got, want))
if not [r for r in root.iter(ns + "rect") if (r.get("class") or "").startswith("legend ")]:
    sys.exit("no legend")
PY
}
expect_rc 0 "$E2LUA" -R "map -a -o $T/odd.svg" "$odd"
assert_grep "^Wrote $T/odd.svg: " "$T/out" "map -o says what it wrote"
"$E2LUA" -e 'local bm = fs:blockmap{ all = true, per_cell = 1 }
for _, c in ipairs(bm.cells) do print(c.kind) end' "$odd" >"$T/odd.kinds"
svg_check "$T/odd.svg" "map -a -o (odd names)" "$T/odd.kinds" 2>"$T/svg.err"
python3 - "$T/odd.svg" <<'PY' || fail "odd names in the SVG titles: $(cat "$T/svg.err" 2>/dev/null)"
import sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
titles = "\n".join(t.text or "" for t in ET.parse(sys.argv[1]).getroot().iter(ns + "title"))
for name in ("/a&b<c>\"d'", "/ctl\\x01x", "/bad\\xFFutf8", "/caf\u00e9"):
    if name not in titles:
        sys.exit("no %r in the titles" % name)
PY
# the chosen file's name, as given, in an SVG of one file
expect_rc 0 "$E2LUA" -R "map -s 1 -o $T/one.svg \"/a&b<c>\\\"d'\"" "$odd"
grep -q "a&amp;b&lt;c&gt;&quot;d&apos;" "$T/one.svg" || fail "the file's name, escaped, in its cells' titles"
expect_rc 0 "$E2LUA" -R "map -g 1 -w 32 -o $T/g.svg /dind /frag" "$T/ext3-1024.img"
"$E2LUA" -e 'local r = require "e2.render"
local sb = fs.super
local bm = fs:blockmap{ files = { "/dind", "/frag" }, start = sb.first_data_block + sb.blocks_per_group,
  count = sb.blocks_per_group, per_cell = r.fit(sb.blocks_per_group, 32, 64) }
for _, c in ipairs(bm.cells) do print(c.kind) end' "$T/ext3-1024.img" >"$T/g.kinds"
svg_check "$T/g.svg" "map -g 1 -o" "$T/g.kinds" 2>"$T/svg.err"

# ---------------------------------------------------------------- plan
# Stage files with indirect blocks (freed) and a fragmented one (a new
# index block) on a copy; map --plan block by block; commit; the blocks
# whose bitmap bit changed are exactly the new and freed cells.
plan=$T/plan.img
cp "$T/ext3-1024.img" "$plan"
# a dump of the blocks dumpe2fs says are in use
used() {
	python3 - "$1" <<'PY'
import re, subprocess, sys
t = subprocess.run(["dumpe2fs", sys.argv[1]], capture_output=True, text=True).stdout
total = int(re.search(r"^Block count:\s+(\d+)", t, re.M)[1])
first = int(re.search(r"^First block:\s+(\d+)", t, re.M)[1])
free = set()
for m in re.finditer(r"^  Free blocks: ?(.*)$", t, re.M):
    for part in m[1].replace(" ", "").split(","):
        if part:
            a, _, b = part.partition("-")
            free.update(range(int(a), int(b or a) + 1))
print("\n".join(str(b) for b in range(first, total) if b not in free))
PY
}
used "$plan" >"$T/used.before"
cat >"$T/plan.cmds" <<EOF
migrate /dind /frag /sparse_tind /thirteen
map --plan -s 1 -w 64 --no-color
map --plan -o $T/plan.svg
commit
EOF
expect_rc 0 "$E2LUA" -w -f "$T/plan.cmds" "$plan"
cp "$T/out" "$T/plan.out"
used "$plan" >"$T/used.after"
fsck_clean "$plan"
python3 - "$T/plan.out" "$T/used.before" "$T/used.after" <<'PY' >"$T/plan.check" 2>&1 || fail "map --plan: $(cat "$T/plan.check")"
import re, sys
out = open(sys.argv[1]).read()
before = set(map(int, open(sys.argv[2]).read().split()))
after = set(map(int, open(sys.argv[3]).read().split()))
new, freed, seen = set(), set(), 0
for line in out.splitlines():
    m = re.match(r"^ *(\d+)-(\d+) +([.#oDI+-]+) +([.#oDI+-]+)$", line)
    if not m:
        continue
    a = int(m[1])
    seen += len(m[4])
    for i, g in enumerate(m[4]):
        if g == "+":
            new.add(a + i)
        elif g == "-":
            freed.add(a + i)
    # before the commit nothing is new or freed yet
    if "+" in m[3] or "-" in m[3]:
        sys.exit("the before picture shows new or freed blocks")
if not seen:
    sys.exit("no side-by-side picture")
if new != after - before or freed != before - after:
    sys.exit("new %s vs allocated %s; freed %s vs released %s" % (
        sorted(new), sorted(after - before), sorted(freed), sorted(before - after)))
if not new or not freed:
    sys.exit("the case allocates or frees nothing: it proves nothing")
m = re.search(r"The commit frees (\d+) blocks? .* and allocates (\d+) blocks?", out)
if not m or int(m[1]) != len(freed) or int(m[2]) != len(new):
    sys.exit("the summary line disagrees: %s" % (m and m[0]))
print(" ".join(map(str, sorted(new))))
PY
# the new blocks are the migrated files' extent tree blocks now
debugfs -R "stat /frag" "$plan" 2>/dev/null | grep -o '(ETB[0-9]*):[0-9]*' | sed 's/.*://' |
	sort -n | tr '\n' ' ' | sed 's/ $//' >"$T/etb"
assert_eq "$(cat "$T/etb")" "$(tail -n 1 "$T/plan.check")" "map --plan's new blocks vs /frag's ETBs after the commit"
"$E2LUA" -e 'local b = fs:blockmap{ per_cell = 1 } print(b.after)' "$plan" >/dev/null ||
	fail "blockmap after a commit"
# the SVG of the plan: two panels, each matching the tables
"$E2LUA" -w -e '
local r = require "e2.render"
local tx <close> = fs:begin()
for _, f in ipairs{ "/dind", "/frag", "/sparse_tind", "/thirteen" } do tx:migrate(f) end
local sb = fs.super
local o = { staged = true, per_cell = r.fit(sb.blocks_count - sb.first_data_block, 64, 64) }
for _, c in ipairs(fs:blockmap(o).cells) do print(c.kind) end
print("--")
o.after = true
for _, c in ipairs(fs:blockmap(o).cells) do print(c.kind) end' "$T/ext3-1024.img" >"$T/plan.kinds"
svg_check "$T/plan.svg" "map --plan -o" "$T/plan.kinds" 2>"$T/svg.err"

# ---------------------------------------------------------------- colour
expect_rc 0 "$E2LUA" -R "map -w 40 --no-color /frag" "$small"
cp "$T/out" "$T/plain"
grep -q "$(printf '\033')" "$T/plain" && fail "--no-color output has escape sequences"
expect_rc 0 "$E2LUA" -R "map -w 40 --color=always /frag" "$small"
cp "$T/out" "$T/color"
for sgr in "42;30mD" "44;97m#" "2m." "41;97mI"; do
	grep -q "$(printf '\033')\[$sgr" "$T/color" || fail "--color=always: no [$sgr"
done
sed "s/$(printf '\033')\[[0-9;]*m//g" "$T/color" >"$T/stripped"
cmp -s "$T/plain" "$T/stripped" || fail "--color=always differs from --no-color beyond the colours"
expect_rc 0 "$E2LUA" -R "map -w 40 /frag" "$small"
cmp -s "$T/plain" "$T/out" || fail "not a terminal: colours by default"
# On a terminal (80x30): colour by default and the width filled; NO_COLOR,
# --no-color and TERM=dumb turn it off.
onpty() {	# env... -- command...
	python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
args = sys.argv[1:]
cut = args.index("--")
env = dict(os.environ, TERM="xterm")
for kv in args[:cut]:
    k, _, v = kv.partition("=")
    env[k] = v
pid, fd = pty.fork()
if pid == 0:
    # the size first: the program asks for it as soon as it runs
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 80, 0, 0))
    os.execvpe(args[cut + 1], args[cut + 1:], env)
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
sys.stdout.buffer.write(out.replace(b"\r\n", b"\n"))
PY
}
esc=$(printf '\033')
onpty -- "$E2LUA" -R "map /frag" "$small" >"$T/tty"
grep -q "$esc\[" "$T/tty" || fail "a terminal gets no colours"
width=$(sed "s/$esc\[[0-9;]*m//g" "$T/tty" | grep -E '^ *[0-9]+-[0-9]+ ' | awk '{ print length($0) }' | sort -n | tail -n 1)
[ "$width" -ge 70 ] && [ "$width" -le 80 ] || fail "a terminal of 80 columns gets rows of $width"
rows=$(grep -cE '^ *[0-9]+-[0-9]+ ' "$T/tty")
[ "$rows" -le 18 ] || fail "a terminal of 30 lines gets $rows rows"
onpty NO_COLOR=1 -- "$E2LUA" -R "map /frag" "$small" >"$T/tty"
grep -q "$esc\[" "$T/tty" && fail "NO_COLOR: colours all the same"
onpty -- "$E2LUA" -R "map --no-color /frag" "$small" >"$T/tty"
grep -q "$esc\[" "$T/tty" && fail "--no-color on a terminal: colours all the same"
onpty TERM=dumb -- "$E2LUA" -R "map /frag" "$small" >"$T/tty"
grep -q "$esc\[" "$T/tty" && fail "TERM=dumb: colours all the same"
onpty NO_COLOR=1 -- "$E2LUA" -R "map --color=always /frag" "$small" >"$T/tty"
grep -q "$esc\[" "$T/tty" || fail "--color=always loses to NO_COLOR"

# ------------------------------------------------------------ bad input
bad() {	# pattern args...
	pat=$1
	shift
	expect_rc 1 "$E2LUA" -R "$*" "$small"
	assert_grep "$pat" "$T/err" "$*"
}
bad "unknown option '-q'" map -q /frag
bad "unknown option '--bogus'" map --bogus
bad "option '-w' needs an argument" map -w
bad "option '--plan' takes no value" map --plan=yes
bad "give --color or --no-color, not both" map --color --no-color
bad "bad width 'x'" map -w x /frag
bad "bad width '0'" map -w 0 /frag
bad "bad scale '0'" map -s 0
bad "no group 9 (the filesystem has 4)" map -g 9
bad "bad block range '12'" map -b 12
bad "goes past the end of the filesystem" map -b 8000+500
bad "block 0 is outside the filesystem" map -b 0+5
bad "give -g or -b, not both" map -g 1 -b 1+5
bad "bad --color 'sometimes'" map --color=sometimes
bad "File not found by ext2_lookup" map /nope
bad "nothing staged" map --plan
bad "give no FILE, -d or -a with it" map --plan /frag
expect_rc 1 "$E2LUA" -R "map -o /nonexistent/dir/x.svg /frag" "$small"
assert_grep "/nonexistent/dir/x.svg: No such file or directory" "$T/err" "an SVG that cannot be written"
expect_rc 1 "$E2LUA" -c -R "map /frag" "$small"
assert_grep "bitmaps not loaded" "$T/err" "map under -c"
# a map that cannot be walked: the picture still, its error, exit 1
cp "$small" "$T/corrupt.img"
debugfs -w -R "sif /thirteen block[IND] 99999999" "$T/corrupt.img" >/dev/null 2>&1
expect_rc 1 "$E2LUA" -R "map /thirteen /dind" "$T/corrupt.img"
assert_grep "^map: /thirteen <[0-9]*>: Block pointer outside the filesystem" "$T/err" "a corrupt map named"
assert_grep "could not be read whole" "$T/err" "a corrupt map fails the command"
assert_grep "^  D  data of the chosen files" "$T/out" "the picture is drawn all the same"

# ---------------------------------------------------------- the docs
# Every map example of the README, the man page and doc/lua-api.md runs
# (against an image of tests/gen_tree.py's tree named disk.img).
mkdir -p "$T/docs/bin"
ln -s "$E2LUA" "$T/docs/bin/e2lua"
cp "$T/ext3-1024.img" "$T/docs/disk.img"
python3 - "$TOP" "$T/docs" <<'PY' || fail "extracting the doc examples"
import re, sys
top, out = sys.argv[1], sys.argv[2]
cmds = []
for line in open(top + "/README.md"):
    m = re.match(r"^ *(?:\$ )?(e2lua .*'map .*?)(?:\s+#.*)?$", line)
    if m:
        cmds.append(m[1])
man = open(top + "/doc/e2lua.1").read().split(".SH EXAMPLES")[1].split(".fi")[0]
for line in man.splitlines():
    line = line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    m = re.match(r"^(e2lua .*'map .*?)(?:\s+#.*)?$", line)
    if m:
        cmds.append(m[1])
open(out + "/cmds", "w").write("\n".join(cmds) + "\n")
api = open(top + "/doc/lua-api.md").read()
n = 0
for block in re.findall(r"```lua\n(.*?)```", api, re.S):
    if "blockmap" in block or "e2.render" in block or "e2.getopt" in block:
        n += 1
        open("%s/api%d.lua" % (out, n), "w").write(block)
if len(cmds) < 6 or n < 4:
    sys.exit("only %d commands and %d Lua examples found" % (len(cmds), n))
PY
while IFS= read -r cmd; do
	(cd "$T/docs" && PATH="$T/docs/bin:$PATH" sh -c "$cmd") >"$T/doc.out" 2>"$T/doc.err" ||
		fail "doc example [$cmd]: $(head -c 300 "$T/doc.err")"
	[ -s "$T/doc.out" ] || fail "doc example [$cmd] printed nothing"
done <"$T/docs/cmds"
for f in "$T"/docs/api*.lua; do
	(cd "$T/docs" && "$E2LUA" -w disk.img "$f") >"$T/doc.out" 2>"$T/doc.err" ||
		fail "doc example $(basename "$f"): $(head -c 300 "$T/doc.err")"
done
[ -s "$T/docs/disk.svg" ] && [ -s "$T/docs/dir.svg" ] || fail "the SVG examples wrote nothing"

cmp -s "$T/small0.img" "$small" || fail "map wrote to the image"
finish
