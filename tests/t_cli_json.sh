#!/bin/sh
# t_cli_json.sh -- -j: every command's JSON parses, is valid for its
# definition in doc/json-schema.json, says what the text says (debugfs's,
# or e2lua's for the commands debugfs lacks: tests/json_agree.py) on four
# kinds of images, keeps non-UTF-8 names exact (_base64), fails as the
# text does; doc/json.md documents exactly the schema; the registry's -j
# for Lua commands (json = true, json = function).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
. "$TOP/tests/inspect_lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"
SCHEMA=$TOP/doc/json-schema.json

python3 "$TOP/tests/json_schema.py" doc "$SCHEMA" "$TOP/doc/json.md" >"$T/doc.out" 2>&1 ||
	fail "doc/json.md and the schema disagree: $(cat "$T/doc.out")"

# Every command with -j has its section in doc/json.md.
"$E2LUA" -e 'for k, d in pairs(e2.commands) do if k == d.name and d.json then print(k) end end' |
	sort >"$T/jcmds" || fail "listing the commands with -j"
[ "$(wc -l <"$T/jcmds")" -ge 13 ] || fail "too few commands with -j: $(cat "$T/jcmds")"
for c in $(cat "$T/jcmds"); do
	grep -q "^## \`$c -j" "$TOP/doc/json.md" || fail "doc/json.md has no section for $c -j"
done

# ---- images ------------------------------------------------------------

# a: ext3, 1 KiB blocks, with everything stat shows: symlinks fast and
# slow, a device, a fifo, extended attributes, a hard link, deleted
# entries, and a name that is not UTF-8 (caf\xe9).
a=$T/a.img
mk_image "$a" ext3 1024 || fail "mk_image a"
long=$(python3 -c 'print("t" * 300)')
printf 'x\n' >"$T/x"
printf '%s\n' "mkdir /misc" "write $T/x /misc/file" "symlink /misc/fast /misc/file" \
	"symlink /misc/slow /misc/$long" "mknod /misc/dev c 8 17" "mknod /misc/pipe p" \
	"ea_set /misc/file user.comment hello" "ea_set /misc/file user.bin -f $T/x" \
	"ln /misc/file /misc/link" "write $T/x /misc/gone" "rm /misc/gone" >"$T/a.cmds"
printf 'write %s /misc/caf\351\n' "$T/x" >>"$T/a.cmds"
debugfs -w -f "$T/a.cmds" "$a" >"$T/debugfs.out" 2>&1 || fail "debugfs a: $(tail -n 3 "$T/debugfs.out")"
# b: ext4 with extent trees of depth 1 and unwritten extents
b=$T/b.img
mk_test_image "$b" ext4 1024 || fail "mk_image b"
# c: 4 KiB blocks, metadata_csum (inode and directory block checksums)
c=$T/c.img
mk_image "$c" ext4noext 4096 || fail "mk_image c"
# d: inline data
d=$T/d.img
mkdir -p "$T/dtree/sub"
echo small >"$T/dtree/small"
echo tiny >"$T/dtree/sub/tiny"
mke2fs -q -F -t ext4 -O inline_data,^has_journal -b 1024 -d "$T/dtree" "$d" 8M >/dev/null 2>&1 ||
	fail "mke2fs d"

# ---- every command against its text --------------------------------------

# agree IMG NAME: the commands of $T/NAME.text (debugfs's syntax) through
# debugfs, the same with -j through e2lua; compared, and the JSON checked
# against the schema.
agree() {
	sed -E '/^cd /!s/^([a-z]+)/\1 -j/' "$T/$2.text" >"$T/$2.json"
	debugfs -f "$T/$2.text" "$1" >"$T/$2.dout" 2>/dev/null
	"$E2LUA" -f "$T/$2.json" "$1" >"$T/$2.eout" 2>"$T/$2.err" ||
		fail "$2: e2lua -j failed: $(head -c 400 "$T/$2.err")"
	python3 "$TOP/tests/json_agree.py" "$T/$2.dout" "$T/$2.eout" >"$T/$2.agree" 2>&1 ||
		fail "$2: text and JSON disagree: $(head -n 20 "$T/$2.agree")"
	python3 "$TOP/tests/json_schema.py" transcript "$SCHEMA" "$T/$2.eout" >"$T/$2.schema" 2>&1 ||
		fail "$2: invalid JSON: $(head -n 20 "$T/$2.schema")"
	note "$2: $(tail -n 1 "$T/$2.agree")"
}

for img in "$a" "$b" "$c" "$d"; do
	n=$(basename "$img" .img)
	# every inode with a name: stat, blocks; ex of extent trees; bmap; imap;
	# dx_hash of some names;
	# ls of directories; ncheck and icheck of a sample; testb; stats
	"$E2LUA" -e '
	local seen, dirs, blks, inos = {}, {}, {}, {}
	for path, i in fs:walk("/") do
		if not seen[i.ino] then
			seen[i.ino] = true
			print("stat <" .. i.ino .. ">")
			-- (debugfs reads a fast symlink or a device as a map)
			if i.has_blocks then print("blocks <" .. i.ino .. ">") end
			if i.extent_mapped and i.has_blocks then print("ex <" .. i.ino .. ">") end
			if i.extent_mapped and i.has_blocks then print("ex -n <" .. i.ino .. ">") end
			if i.has_blocks then print("bmap <" .. i.ino .. "> 0") end
			print("imap <" .. i.ino .. ">")
			if i.type == "directory" then dirs[#dirs + 1] = i.ino end
			if #inos < 40 then inos[#inos + 1] = i.ino end
			for _, p in i:blocks() do
				if #blks < 40 and p % 7 == 0 then blks[#blks + 1] = p end
			end
		end
	end
	for _, d in ipairs(dirs) do
		print("ls -p <" .. d .. ">")
		print("ls -d -c <" .. d .. ">")
	end
	print("ncheck -c " .. table.concat(inos, " "))
	print("icheck " .. table.concat(blks, " ") .. " 1 " .. (fs.super.blocks_count - 1))
	print("testb " .. fs.super.first_data_block + 1 .. " 300")
	print("stats")
	print("stats -h")
	-- debugfs 1.47.0 hashes with legacy and a zero seed by default:
	-- each algorithm given, with the filesystem seed, names and all
	for _, alg in ipairs({"legacy", "half_md4", "tea"}) do
		for _, name in ipairs({"mbox", "lost+found", "f0001"}) do
			print("hash -h " .. alg .. " -s " .. fs.super.hash_seed .. " " .. name)
		end
	end
	print("cd /lost+found")
	print("pwd")' "$img" >"$T/$n.text" || fail "$n: listing the commands"
	agree "$img" "$n"
done
grep -q '^ex ' "$T/b.text" || fail "b: no extent-mapped inode to compare"
grep -q '"kind":"node"' "$T/b.eout" || fail "b: no index node in the ranges compared"
grep -q '"uninit":true' "$T/b.eout" || fail "b: no unwritten extent compared"
grep -q '"inode_checksum"' "$T/c.eout" || fail "c: no inode checksum compared"
grep -q '"checksum":' "$T/c.eout" || fail "c: no directory block checksum compared"
grep -q '"map":"inline"' "$T/d.eout" || fail "d: no inline data compared"
for f in '"target":"/misc/file"' '"major":8,' '"minor":17,' '"name":"user.comment","value":"hello"' \
	'"deleted":true' '"kind":"ind"'; do
	grep -q "$f" "$T/a.eout" || fail "a: no $f compared"
done

# ---- plan, pending, sum, frag, survey, freefrag: against e2lua's text ------

# mine IMG NAME CMDS...: the commands as text and with -j through e2lua
# (-w, on a copy), compared and checked.
mine() {
	m0=$1 n=$2
	shift 2
	cp "$m0" "$T/m.img"
	: >"$T/$n.text"
	for cmd in "$@"; do echo "$cmd" >>"$T/$n.text"; done
	sed -E 's/^(plan|pending|sum|frag|survey|freefrag|map)/\1 -j/' "$T/$n.text" >"$T/$n.json"
	"$E2LUA" -w -f "$T/$n.text" "$T/m.img" >"$T/$n.tout" 2>"$T/$n.terr"
	cp "$m0" "$T/m.img"
	"$E2LUA" -w -f "$T/$n.json" "$T/m.img" >"$T/$n.eout" 2>"$T/$n.err"
	python3 "$TOP/tests/json_agree.py" "$T/$n.tout" "$T/$n.eout" >"$T/$n.agree" 2>&1 ||
		fail "$n: text and JSON disagree: $(head -n 20 "$T/$n.agree")"
	python3 "$TOP/tests/json_schema.py" transcript "$SCHEMA" "$T/$n.eout" >"$T/$n.schema" 2>&1 ||
		fail "$n: invalid JSON: $(head -n 20 "$T/$n.schema")"
	note "$n: $(tail -n 1 "$T/$n.agree")"
}
mine "$a" plan_a "plan -r /" "plan /frag /misc/fast /misc/dev <7> /" "pending" \
	"migrate /frag /misc/file" "pending" "sum -r /misc" "sum -a md5 /frag /misc/slow"
grep -q '"ok":false' "$T/plan_a.eout" || fail "plan_a: no skipped plan compared"
grep -q '"reason":' "$T/plan_a.eout" || fail "plan_a: no skip reason compared"
grep -q '"not_planned":\[{' "$T/plan_a.eout" || fail "plan_a: no not_planned compared"
mine "$b" plan_b "plan -r /" "migrate -r /" "pending"
mine "$a" frag_a "frag /frag" "frag -v /frag /misc/file /nope" "frag -r /misc" "frag -a -n 5" \
	"survey /misc" "survey" "freefrag" "freefrag -c 64 -g" "freefrag 0"
grep -q '"run_list":\[{' "$T/frag_a.eout" || fail "frag_a: no runs compared"
grep -q '"top":\[{' "$T/frag_a.eout" || fail "frag_a: no most fragmented compared"
grep -q '"groups":\[{' "$T/frag_a.eout" || fail "frag_a: no groups compared"
mine "$b" frag_b "frag -v /prealloc /unwritten /frag" "frag -a" "survey" "freefrag -c 1024"
grep -q '"uninit":true' "$T/frag_b.eout" || fail "frag_b: no unwritten run compared"
mine "$d" frag_d "frag -r /" "survey" "freefrag 0"
mine "$a" map_a "map /frag /misc/file" "map -g 1 -s 32 -d /misc" "map -b 1000+300 -s 4 -a" \
	"migrate /frag" "map --plan"
grep -q '"kind":"ind"' "$T/map_a.eout" || fail "map_a: no indirect blocks compared"
grep -q '"freed":[1-9]' "$T/map_a.eout" || fail "map_a: no --plan with blocks freed"

# ---- names that are not UTF-8 --------------------------------------------

expect_rc 0 "$E2LUA" -R 'ls -j /misc' -R 'ncheck -j '"$(debugfs -R 'stat /misc/file' "$a" 2>/dev/null |
	sed -n 's/^Inode: \([0-9]*\).*/\1/p')" "$a"
python3 - "$T/out" <<'PY' || fail "non-UTF-8 names: $(cat "$T/py.err" 2>/dev/null)"
import base64, json, sys
ls, nc = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
e = [e for e in ls["entries"] if e.get("name_base64")]
assert len(e) == 1, e
assert e[0]["name"] == "caf\ufffd", e[0]["name"]
assert base64.b64decode(e[0]["name_base64"]) == b"caf\xe9", e[0]
assert not any("name_base64" in x for x in ls["entries"] if x is not e[0])
# (debugfs ln leaves the link count at 1: ncheck stops at the first name)
assert [n["path"] for n in nc["names"]] in (["/misc/file"], ["/misc/link"]), nc
PY
ino=$(python3 -c "import json; print([e['ino'] for e in json.load(open('$T/out'))['entries'] if 'name_base64' in e][0])" <"$T/out" 2>/dev/null ||
	head -n 1 "$T/out" | python3 -c "import json,sys; print([e['ino'] for e in json.load(sys.stdin)['entries'] if 'name_base64' in e][0])")
expect_rc 0 "$E2LUA" -R "ncheck -j $ino" -R "plan -j -r /misc" "$a"
python3 - "$T/out" <<'PY' || fail "non-UTF-8 paths"
import base64, json, sys
nc, pl = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert base64.b64decode(nc["names"][0]["path_base64"]) == b"/misc/caf\xe9", nc
assert [base64.b64decode(p["file_base64"]) for p in pl["plans"] if "file_base64" in p] == [b"/misc/caf\xe9"], pl
PY

# ---- failures --------------------------------------------------------------

expect_rc 1 "$E2LUA" -R 'stat -j /nope' "$a"
[ -s "$T/out" ] && fail "stat -j of a missing file printed: $(cat "$T/out")"
err_has "^e2lua: stat /nope: File not found by ext2_lookup$" "stat -j /nope"
expect_rc 1 "$E2LUA" -R 'stat -j /misc/file /nope /misc' "$a"
python3 -c "import json,sys; d=json.load(open('$T/out')); assert [f['file'] for f in d['files']] == ['/misc/file', '/misc']" ||
	fail "stat -j with a failure: the others are printed: $(cat "$T/out")"
err_has "^stat /nope: File not found by ext2_lookup$" "stat -j: the failure said"
err_has "^e2lua: stat: 1 of 3 files failed \(see above\)$" "stat -j: fails at the end"
expect_rc 1 "$E2LUA" -R 'sum -j /misc/file /nope' "$a"
python3 -c "import json; d=json.load(open('$T/out')); assert [f['path'] for f in d['files']] == ['/misc/file']" ||
	fail "sum -j with a failure: $(cat "$T/out")"
err_has "sum /nope: File not found" "sum -j: the failure said"
expect_rc 1 "$E2LUA" -R 'ex -j /misc/file' "$a"
err_has "^e2lua: /misc/file: does not uses extent block maps$" "ex -j of a block map: the text's message"
expect_rc 1 "$E2LUA" -R 'ls -j /misc/file' "$a"
err_has "^e2lua: ls /misc/file: Ext2 inode is not a directory$" "ls -j of a file"
expect_rc 1 "$E2LUA" -R 'bmap -j /misc/fast 0' "$a"
err_has "^e2lua: bmap /misc/fast: " "bmap -j of a fast symlink"
expect_rc 1 "$E2LUA" -R 'imap -j /nope' "$a"
[ -s "$T/out" ] && fail "imap -j of a missing file printed: $(cat "$T/out")"
expect_rc 1 "$E2LUA" -R 'imap /nope' "$a"
cp "$T/err" "$T/imap.text.err"
expect_rc 1 "$E2LUA" -R 'imap -j /nope' "$a"
cmp -s "$T/imap.text.err" "$T/err" || fail "imap -j /nope: not the text's message: $(cat "$T/err")"
expect_rc 1 "$E2LUA" -R 'imap -j <0>' "$a"
err_has "^e2lua: imap <0>: " "imap -j <0>"
expect_rc 1 "$E2LUA" -R 'dx_hash -j -h md5 x' "$a"
err_has "^e2lua: dx_hash: unknown hash algorithm 'md5'" "dx_hash -j: the text's message"
[ -s "$T/out" ] && fail "dx_hash -j of a bad algorithm printed: $(cat "$T/out")"
expect_rc 0 "$E2LUA" -R 'dx_hash -j -v -h tea -s 11111111-2222-4333-8444-555555555555 x' "$a"
out_has '"hash_alg":2,"hash_seed":"11111111-2222-4333-8444-555555555555"' "dx_hash -j: the algorithm and seed given"
expect_rc 0 "$E2LUA" -R 'dx_hash -j x'
out_has '"hash_alg":0,"hash_seed":"00000000-0000-0000-0000-000000000000"' "dx_hash -j with no filesystem"
expect_rc 1 "$E2LUA" -R 'ls -jl /' "$a"
err_has "^e2lua: ls: unknown option '-j'" "-j is a word of its own"
expect_rc 1 "$E2LUA" -R 'blocks -j' "$a"
err_has "^e2lua: Usage: blocks \[-j\] <file>$" "blocks -j alone: usage"
expect_rc 1 "$E2LUA" -R 'ls -- -j' "$a"
err_has "^e2lua: ls -j: File not found" "-j after --: an operand"
expect_rc 0 "$E2LUA" -R 'ls --json -d /misc' "$a"
out_has '^\{"dir":"/misc"' "--json"
expect_rc 0 "$E2LUA" -R 'stat -j <2>' -R 'stat -j <2>' "$a"
[ "$(sed -n 1p "$T/out")" = "$(sed -n 2p "$T/out")" ] || fail "the same command gives the same text"
[ "$(wc -l <"$T/out")" = 2 ] || fail "one line per command"

# ---- under valgrind (ASan instead under SANITIZE=1) -------------------------

if [ -n "$VG" ]; then
	cp "$a" "$T/vg.img"
	$VG "$E2LUA" -w -R 'stat -j /misc/file /misc/slow /misc/dev /nope' -R 'ls -j -d -c /misc' \
		-R 'ncheck -j -c 2 11 12' -R 'icheck -j 1 2000 99999999' -R 'plan -j -r /misc' \
		-R 'migrate /frag' -R 'pending -j' -R 'sum -j -r /misc' -R 'blocks -j /frag' \
		-R 'testb -j 100 20' -R 'stats -j' -R 'frag -j -v /frag' -R 'survey -j /misc' \
		-R 'freefrag -j -g' -R 'map -j --plan' -R '=fs' -R '=fs:inode("/misc/file")' \
		-e 'local t = {} t.t = t print(e2.pretty(t), pcall(e2.json, t), e2.json({"caf\xe9"}))' \
		"$T/vg.img" >"$T/vg.out" 2>"$T/vg.err"
	[ $? = 1 ] || fail "under valgrind: $(grep -v 'nope\|failed\|rolled back' "$T/vg.err" | head -c 600)"
fi

# ---- the registry: Lua commands with json ----------------------------------

cat >"$T/cmds.lua" <<'LUA'
e2.command{name = "jt", example = "jt a", min = 0, max = -1, json = true,
	run = function(...)
		print("text of jt")
		io.write("more text\n")
		return { args = { ... }, empty = setmetatable({}, { __json = "object" }) }
	end}
e2.command{name = "jf", example = "jf", min = 0, max = 0,
	run = function() print("jf text") end,
	json = function() return { from = "json function" } end}
e2.command{name = "jerr", example = "jerr", json = true,
	run = function() print("partial") return { done = 1 }, e2.error("half of it failed", "jerr") end}
e2.command{name = "jbad", example = "jbad", json = function() return "no table" end, run = print}
e2.command{name = "jbug", example = "jbug", json = true, run = function() local t; return t.x end}
LUA
expect_rc 0 "$E2LUA" -e "dofile('$T/cmds.lua')" -R 'jt a -j b -- -j' -R jt -R 'jf -j' -R jf "$a"
assert_eq '{"args":["a","b","--","-j"],"empty":{}}
text of jt
more text
{"from":"json function"}
jf text' "$(cat "$T/out")" "json = true and a json function"
expect_rc 1 "$E2LUA" -e "dofile('$T/cmds.lua')" -R 'jerr -j' "$a"
assert_eq '{"done":1}' "$(cat "$T/out")" "the data, then the failure"
err_has "^e2lua: jerr: half of it failed$" "the failure after the data"
expect_rc 1 "$E2LUA" -e "dofile('$T/cmds.lua')" -R 'jerr' "$a"
assert_eq 'partial' "$(cat "$T/out")" "json = true: the failure without -j too"
err_has "^e2lua: jerr: half of it failed$" "the failure without -j"
expect_rc 1 "$E2LUA" -e "dofile('$T/cmds.lua')" -R 'jbad -j' "$a"
err_has "^e2lua: jbad -j: the command gave no data \(got string\)$" "no data"
expect_rc 1 "$E2LUA" -e "dofile('$T/cmds.lua')" -R 'jbug -j' -R 'print("after")' "$a"
err_has "attempt to index a nil value" "a bug under -j"
out_has "^after$" "the output is back after a failed -j"
# e2.run gets the JSON; io.output and print go back to where they were
expect_rc 0 "$E2LUA" -e "dofile('$T/cmds.lua')" -e 'local s = e2.run("jt -j x")
	io.write("captured ", s) print("print is back") io.write("io.write is back\n")' "$a"
assert_eq 'captured {"args":["x"],"empty":{}}
print is back
io.write is back' "$(cat "$T/out")" "e2.run of -j"
finish
