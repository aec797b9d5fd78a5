#!/bin/sh
# t_doc_json.sh -- the examples of doc/json.md (its sh blocks) and the
# lua-api.md examples of e2.json, e2.pretty and the data methods behind -j
# run as written on the image they name (exit 0, nothing on stderr).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v jq >/dev/null 2>&1 || skip "no jq (tools/deps.sh check installs it)"

mk_example_dir "$T/ex" || { fail "mk_example_dir"; finish; }
mkdir -p "$T/bin"
ln -s "$E2LUA" "$T/bin/e2lua"

# blocks FILE KIND PATTERN: the fenced blocks of KIND in FILE whose text
# matches PATTERN (a regex; "" for all), one file each in $T/blk.N
blocks() {
	rm -f "$T"/blk.*
	python3 - "$@" "$T/blk" <<'PY'
import re, sys
path, kind, pat, out = sys.argv[1:5]
text = open(path, encoding="utf-8").read()
n = 0
for m in re.finditer(r"^( *)```(\S+)[^\n]*\n(.*?)^\1```", text, re.M | re.S):
    body = "\n".join(l[len(m.group(1)):] for l in m.group(3).split("\n"))
    if m.group(2) == kind and re.search(pat, body):
        n += 1
        open("%s.%d" % (out, n), "w").write(body)
print(n)
PY
}

n=$(blocks "$TOP/doc/json.md" sh "")
[ "$n" -ge 10 ] || fail "doc/json.md: only $n sh examples found"
for f in "$T"/blk.*; do
	rm -rf "$T/run"
	cp -R --sparse=always "$T/ex" "$T/run"
	(cd "$T/run" && PATH="$T/bin:$PATH" sh -e "$f" >out 2>err) ||
		fail "doc/json.md example failed: $(cat "$f"): $(head -c 300 "$T/run/err")"
	[ -s "$T/run/err" ] && fail "doc/json.md example wrote to stderr: $(cat "$f"): $(head -c 300 "$T/run/err")"
	[ -s "$T/run/out" ] || fail "doc/json.md example printed nothing: $(cat "$f")"
done

n=$(blocks "$TOP/doc/lua-api.md" lua 'e2\.json|e2\.pretty|:names|:owners|:stat\(|:entries|:xattrs|:ranges|json = true')
[ "$n" -ge 5 ] || fail "lua-api.md: only $n examples of -j's data found"
for f in "$T"/blk.*; do
	rm -rf "$T/run"
	cp -R --sparse=always "$T/ex" "$T/run"
	(cd "$T/run" && "$E2LUA" -w -e "$(cat "$f")" disk.img >out 2>err) ||
		fail "lua-api.md example failed: $(cat "$f"): $(head -c 300 "$T/run/err")"
	[ -s "$T/run/err" ] && fail "lua-api.md example wrote to stderr: $(cat "$f"): $(head -c 300 "$T/run/err")"
done
# the e2.json example prints what its comment says
blocks "$TOP/doc/lua-api.md" lua 'e2\.json\(\{ size' >/dev/null
(cd "$T/ex" && "$E2LUA" -e "$(cat "$T/blk.1")" disk.img) >"$T/out" 2>&1
grep -qF -- "-- $(cat "$T/out")" "$T/blk.1" || fail "the e2.json example prints $(cat "$T/out")"
finish
