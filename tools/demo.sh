#!/bin/sh
# demo.sh -- what `make demo` runs: make a small ext3 image from generated
# files, look at how they are mapped, migrate them to extents, and prove
# nothing was lost.  Everything happens in a temporary directory.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
E2LUA="$TOP/e2lua"
export E2LUA_SCRIPTS="$TOP/scripts" E2LUA_HISTORY=""
D=$(mktemp -d "${TMPDIR:-/tmp}/e2lua-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
img="$D/demo.img"

say() { printf '\n==> %s\n' "$*"; }

say "Generating files and an ext3 image (1 KiB blocks) with mke2fs -d"
python3 "$TOP/tests/gen_tree.py" "$D/tree" 1024
mke2fs -q -F -t ext3 -b 1024 -d "$D/tree" "$img" 32M
# A fragmented file: fill, punch every other filler, then write into the gaps.
head -c 1024 /dev/urandom >"$D/one"
head -c 204800 /dev/urandom >"$D/fragdata"
{
	echo "mkdir /fill"
	i=0; while [ $i -lt 400 ]; do echo "write $D/one /fill/$i"; i=$((i + 1)); done
	i=0; while [ $i -lt 400 ]; do echo "rm /fill/$i"; i=$((i + 2)); done
	echo "write $D/fragdata /frag"
} >"$D/frag.cmds"
# debugfs exits 0 even when a request fails: any message but its banner fails.
debugfs -w -f "$D/frag.cmds" "$img" >/dev/null 2>"$D/debugfs.err"
if grep -v '^debugfs [0-9]' "$D/debugfs.err"; then echo "demo: debugfs failed" >&2; exit 1; fi

say "Inspecting (read-only): the commands echo like debugfs -f"
cat >"$D/inspect.cmds" <<'CMDS'
ls -l /
stat /thirteen
blocks /sparse_tind
frag /frag
plan /frag /dind /fastlink
=fs.super.free_blocks_count
CMDS
"$E2LUA" -f "$D/inspect.cmds" "$img"

say "The same from Lua: the five most fragmented files"
"$E2LUA" "$img" -e '
local t = {}
for path, ino in fs:walk("/") do
  if ino.type == "regular" and ino.has_blocks then
    local n = 0
    for _ in ino:runs() do n = n + 1 end
    t[#t + 1] = { path = path, runs = n }
  end
end
table.sort(t, function(a, b) return a.runs > b.runs end)
for i = 1, math.min(5, #t) do print(string.format("%5d runs  %s", t[i].runs, t[i].path)) end'

say "Checksums of every file before migrating"
# Every regular file (the list from e2lua), dumped by one debugfs run (a
# file it cannot read stays empty), hashed by one sha256sum.
sums() {
	"$E2LUA" "$img" -e 'for p, i in fs:walk("/") do if i.type == "regular" then print(p) end end' >"$D/files"
	rm -rf "$D/dump" && mkdir "$D/dump"
	awk -v d="$D/dump" '{ printf "dump \"%s\" %s/%d\n", $0, d, NR; f = d "/" NR; printf "" >f; close(f) }' \
		"$D/files" >"$D/dump.cmds"
	debugfs -f "$D/dump.cmds" "$img" >/dev/null 2>&1
	(cd "$D/dump" && seq 1 "$(wc -l <"$D/files")" | xargs sha256sum) | cut -c1-16 | paste -d ' ' - "$D/files"
}
sums >"$D/before"
wc -l <"$D/before" | sed 's/$/ files/'

say "Dry run of the migrate-all policy"
"$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --dry-run

say "Migrating every block-mapped inode to extents, with an undo file"
orig=$(sha256sum <"$img")
"$E2LUA" -w -z "$D/demo.e2undo" "$img" "$TOP/scripts/migrate-all.lua"

say "After: the fragmented file is now an extent tree"
"$E2LUA" -R "ex /frag" "$img" | head -n 8

say "e2fsck -fn says:"
e2fsck -fn "$img" >"$D/fsck.out" 2>&1 || { cat "$D/fsck.out"; exit 1; }
tail -n 2 "$D/fsck.out"

say "Every file's content is unchanged:"
sums >"$D/after"
if cmp -s "$D/before" "$D/after"; then echo "identical ($(wc -l <"$D/after") files)"; else
	echo "CONTENT CHANGED"; diff "$D/before" "$D/after"; exit 1; fi

say "And e2undo puts the old image back, byte for byte:"
e2undo "$D/demo.e2undo" "$img" >/dev/null
if [ "$(sha256sum <"$img")" = "$orig" ]; then echo "image identical to the original"; else
	echo "IMAGE DIFFERS AFTER e2undo"; exit 1; fi
