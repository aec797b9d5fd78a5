#!/bin/sh
# t_cli_commands.sh -- the shell's own commands (open, close, cd, pwd,
# source, run, help, quit, lua): usage errors with "Usage: NAME USAGE" and
# exit 1, the needs checks (fs open, writable, bitmaps), and help listing
# every command of e2.commands, from the same table.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"

img=$T/img
mk_small "$img"
s0=$(sum "$img")

# req RC PATTERN REQUEST [IMAGE]: e2lua -R REQUEST exits RC, stderr matches.
req() {
	rc=$1 pat=$2 r=$3; shift 3
	expect_rc "$rc" "$E2LUA" -R "$r" "$@"
	err_has "$pat" "-R '$r'"
}
req 1 "^e2lua: open: no image given \(and none is open\)$" "open"
req 1 "^e2lua: open: unknown option '-x'" "open -x $img"
req 1 "^e2lua: open: option '-b' needs an argument" "open -b"
req 1 "^e2lua: open: bad block size '3'" "open -b 3 $img"
req 1 "^e2lua: open: bad superblock '0'" "open -b 1024 -s 0 $img"
req 1 "^e2lua: open: -s needs -b" "open -s 8193 $img"
req 1 "^e2lua: open: -c \(catastrophic mode\) is read-only" "open -w -c $img"
req 1 "^e2lua: open: -z needs -w" "open -z $T/u $img"
req 1 "^e2lua: open: unexpected argument 'more'" "open $img more"
req 1 "^e2lua: open $T/nope: No such file or directory" "open $T/nope"
cp "$img" "$T/other.img"
req 1 "^e2lua: open: $img is still open \(close it first\)$" "open $T/other.img" "$img"
req 1 "^e2lua: Usage: close$" "close now" "$img"
req 1 "^e2lua: close: no filesystem is open \(use: open IMAGE\)" "close"
req 1 "^e2lua: Usage: cd <dir>$" "cd" "$img"
req 1 "^e2lua: Usage: cd <dir>$" "cd a b" "$img"
req 1 "^e2lua: cd: no filesystem is open" "cd /"
req 1 "^e2lua: cd /nope: File not found by ext2_lookup" "cd /nope" "$img"
req 1 "^e2lua: cd /hello.txt: Not a directory$" "cd /hello.txt" "$img"
req 1 "^e2lua: Usage: pwd \[-j\]$" "pwd x" "$img"
req 1 "^e2lua: pwd: no filesystem is open" "pwd"
req 1 "^e2lua: Usage: source FILE$" "source"
req 1 "^e2lua: Usage: source FILE$" "source a b"
req 1 "^e2lua: Usage: run SCRIPT \[ARGS...\]$" "run"
req 1 "^e2lua: Usage: help \[COMMAND\]$" "help a b"
req 1 "^e2lua: help: no such command: nope" "help nope"
req 1 "^e2lua: Usage: quit$" "quit now"
req 1 "^e2lua: Usage: q$" "q now"
req 1 "^e2lua: Usage: lua CHUNK$" "lua"

# The needs checks of other areas' declarations, through e2.command.
cat >"$T/needs.lua" <<'LUA'
for _, n in ipairs{"fs", "write", "bitmaps"} do
	e2.command{name = "need_" .. n, usage = "", help = "test", example = "need_" .. n, min = 0,
		max = 0, needs = n, run = function() print("ran " .. n) end}
end
LUA
for n in fs write bitmaps; do
	expect_rc 1 "$E2LUA" -e "dofile('$T/needs.lua')" -R "need_$n"
	err_has "^e2lua: need_$n: no filesystem is open" "needs $n without fs"
done
expect_rc 1 "$E2LUA" -e "dofile('$T/needs.lua')" -R need_write "$img"
err_has "^e2lua: need_write: filesystem is open read-only \(use: open -w, to reopen it for write\)$" "needs write"
expect_rc 1 "$E2LUA" -c -e "dofile('$T/needs.lua')" -R need_bitmaps "$img"
err_has "^e2lua: need_bitmaps: bitmaps not loaded \(filesystem opened with -c\)" "needs bitmaps"
expect_rc 0 "$E2LUA" -e "dofile('$T/needs.lua')" -R need_fs -R need_bitmaps "$img"
assert_eq "ran fs
ran bitmaps" "$(cat "$T/out")" "needs met"

# open / cd / pwd / close in one session; cd relative to cwd.
expect_rc 0 "$E2LUA" -R "open $img" -R "cd dir" -R "cd sub" -R pwd -R close -R '=fs'
sub=$(debugfs -R 'stat /dir/sub' "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
assert_eq "$(printf '[pwd]   INODE: %6u  PATH: /dir/sub' "$sub")
[root]  INODE:      2  PATH: /
nil" "$(cat "$T/out")" "open, cd, pwd, close"
expect_rc 0 "$E2LUA" -R "open -c $img" -R '=fs.catastrophic'
assert_eq "true" "$(cat "$T/out")" "open -c"

# help: every canonical command of e2.commands with its aliases and help
# line, sorted; help NAME (or an alias) shows its usage.
expect_rc 0 "$E2LUA" -R help "$img"
"$E2LUA" -e 'local t = {}
for k, d in pairs(e2.commands) do
	if k == d.name then
		t[#t + 1] = table.concat({d.name, table.unpack(d.aliases)}, ", ")
	end
end
table.sort(t) print(table.concat(t, "\n"))' "$img" >"$T/names" || fail "list e2.commands"
[ "$(wc -l <"$T/names")" -ge 9 ] || fail "too few commands: $(cat "$T/names")"
while IFS= read -r names; do
	grep -q "^  $names  *[^ ]" "$T/out" || grep -q "^  $names$" "$T/out" ||
		fail "help does not list [$names]"
done <"$T/names"
assert_eq "$(cat "$T/names")" "$(sed -n 's/^  \([^ ].*[^ ]\)   *[A-Z].*/\1/p; s/^  \([^ ][^ ]*\(, [^ ]*\)*\)$/\1/p' "$T/out")" "help order"
expect_rc 0 "$E2LUA" -R 'help q'
assert_eq "Usage: q
Leave e2lua (asks before dropping staged work)
Names: quit, q
Example:
  quit" "$(cat "$T/out")" "help q"
expect_rc 0 "$E2LUA" -R '? cd'
out_has "^Usage: \? cd|^Usage: cd <dir>$" "? cd"

# Errors of commands name the command as typed: an alias, a Lua command's
# inner operation on an argument ("frag /nope", not "inode /nope"), an
# inner operation on something else after it; error() in a Lua command
# without the position inside its script; a Lua bug in one with it and a
# traceback.
cat >"$T/named.lua" <<'LUA'
e2.command{name = "oops", example = "oops", run = function() error("it broke") end}
e2.command{name = "buggy", example = "buggy", run = function() local t; return t.x end}
e2.command{name = "other", example = "other x", min = 1, max = 1, run = function() fs:inode("/elsewhere") end}
LUA
named() {	# request expected-stderr-first-line
	expect_rc 1 "$E2LUA" -e "dofile('$T/named.lua')" -R "$1" "$img"
	assert_eq "$2" "$(sed -n 1p "$T/err")" "error of '$1'"
}
named "show_inode_info /nope" "e2lua: show_inode_info /nope: File not found by ext2_lookup"
named "ex /nope" "e2lua: ex /nope: File not found by ext2_lookup"
named "frag /nope" "e2lua: frag /nope: File not found by ext2_lookup"
named "survey /nope" "e2lua: survey /nope: File not found by ext2_lookup"
named "other x" "e2lua: other: inode /elsewhere: File not found by ext2_lookup"
named "oops" "e2lua: oops: it broke"
[ "$(wc -l <"$T/err")" = 1 ] || fail "error() in a command: a traceback: $(cat "$T/err")"
named "buggy" "e2lua: buggy: $T/named.lua:2: attempt to index a nil value (local 't')"
err_has "^stack traceback:" "a Lua bug in a command: traceback"

# e2.run: a command's output as a string, byte for byte what -R prints
# (C and Lua commands, print and io.write), nothing on stdout meanwhile;
# its error is raised as raised (an e2.error keeps its code).
for c in "stat /dir/big.txt" "ls -l /dir" "blocks /dir/big.txt" "stats -h" \
	"pwd" "frag /dir/big.txt" "help cd" "icheck 1 2"; do
	"$E2LUA" -R "$c" "$img" >"$T/want" 2>&1 || fail "-R $c"
	expect_rc 0 "$E2LUA" -e "io.stdout:write(e2.run('$c'))" "$img"
	cmp -s "$T/want" "$T/out" || fail "e2.run('$c'): $(diff "$T/want" "$T/out" | head -5)"
done
cat >"$T/run.lua" <<'LUA'
e2.command{name = "twice", example = "twice", min = 1, max = 1, run = function(c)
	io.write("io.write ") print("print")
	io.write(e2.run(c), e2.run(c))
end}
local s = e2.run("twice pwd")
assert(s == "io.write print\n" .. string.rep("[pwd]   INODE:      2  PATH: /\n[root]  INODE:      2  PATH: /\n", 2), s)
local ok, err = pcall(e2.run, "stat /nope")
assert(not ok and err.code == e2.errors.EXT2_ET_FILE_NOT_FOUND and err.op == "stat", tostring(err))
ok, err = pcall(e2.run, "nosuch x")
assert(not ok and err:match("^nosuch: no such command"), err)
ok, err = pcall(e2.run, "stat")
assert(not ok and err == "Usage: stat [-j] <file>...", err)
ok, err = pcall(e2.run, "stat 'x")
assert(not ok and err:match("unterminated quote"), err)
-- a reference to the capture kept past the run is a closed file
local kept
e2.command{name = "keep", example = "keep", run = function() kept = io.output() end}
e2.run("keep")
assert(tostring(kept) == "file (closed)", tostring(kept))
assert(not pcall(kept.write, kept, "x"))
io.write("stdout is back\n")
LUA
expect_rc 0 "$E2LUA" "$img" "$T/run.lua"
assert_eq "stdout is back" "$(cat "$T/out")" "e2.run: nothing else on stdout"

# Patterns (*, ? and [...]) in the file arguments of commands, matched
# inside the image in sorted order, as a shell would on the host; quoting
# makes them literal; names starting with "." only when asked, "." and
# ".." never; a pattern matching nothing is an error naming it, and the
# command does not run.
mkdir -p "$T/g/dir/sub" "$T/g/dist" "$T/g/sp ace"
for f in b1 a2 a1 .hid 'x*y' 'q[1]'; do echo "$f" >"$T/g/dir/$f"; done
echo s >"$T/g/dir/sub/s1"
echo w >"$T/g/sp ace/w"
mke2fs -q -F -t ext3 -b 1024 -d "$T/g" "$T/g.img" 4M >/dev/null 2>&1 || fail "mke2fs g"
glob() {	# request expected-paths (those plan lists)
	expect_rc 0 "$E2LUA" -R "$1" "$T/g.img"
	assert_eq "$2" "$(sed -n 's/^ *[0-9][0-9]* [a-z]* .* [0-9-][0-9-]* \(.*\)$/\1/p' "$T/out" | tr '\n' ' ')" "$1"
}
glob "plan /dir/*" "/dir/a1 /dir/a2 /dir/b1 /dir/q[1] /dir/sub /dir/x*y "
glob "plan /dir/a? /dir/b*" "/dir/a1 /dir/a2 /dir/b1 "
glob "plan /dir/[ab]1" "/dir/a1 /dir/b1 "
glob "plan /dir/.*" "/dir/.hid "
glob "plan /*/s*" "/dir/sub "
glob "plan /di*/" "/dir/ /dist/ "
glob "plan '/dir/x*y' /dir/x\\*y \"/dir/q[1]\"" "/dir/x*y /dir/x*y /dir/q[1] "
glob "plan \"/sp ace\"/*" "/sp ace/w "
glob "plan /dir/sub/../a*" "/dir/sub/../a1 /dir/sub/../a2 "
expect_rc 0 "$E2LUA" -R "cd /dir" -R "plan ?1" "$T/g.img"
out_has " a1$" "relative pattern after cd"
expect_rc 1 "$E2LUA" -R "plan /dir/a* /nope*" "$T/g.img"
assert_eq "e2lua: plan /nope*: no such file (nothing matches the pattern)" "$(cat "$T/err")" "no match"
[ -s "$T/out" ] && fail "a pattern matching nothing ran the command: $(cat "$T/out")"
expect_rc 1 "$E2LUA" -R "plan /dir/q[1]" "$T/g.img"
err_has "plan /dir/q\[1\]: no such file" "an unquoted [1] is a pattern"
expect_rc 1 "$E2LUA" -R "cd /di*" "$T/g.img"
err_has "^e2lua: cd: 2 files match, at most 1 allowed here$" "cd with a pattern matching two"
expect_rc 0 "$E2LUA" -R "cd /dis?" -R pwd "$T/g.img"
out_has "PATH: /dist$" "cd with a pattern matching one"
expect_rc 1 "$E2LUA" -R "icheck 1*" "$T/g.img"
err_has "icheck 1\*: invalid block number" "no patterns in block arguments"
# stat and frag take several files (so patterns): stat of each in turn,
# frag one line per file (as filefrag) and the total.
for f in a1 a2 b1; do debugfs -R "stat /dir/$f" "$T/g.img" 2>/dev/null; done >"$T/want"
expect_rc 0 "$E2LUA" -R "stat /dir/[ab]?" "$T/g.img"
cmp -s "$T/want" "$T/out" || fail "stat /dir/[ab]?: $(diff "$T/want" "$T/out" | head -5)"
expect_rc 0 "$E2LUA" -R "frag /dir/a*" "$T/g.img"
assert_eq "/dir/a1: /dir/a2: 2 files:" "$(cut -d' ' -f1,2 "$T/out" | sed 's/ [0-9]*$//' | tr '\n' ' ' | sed 's/ $//')" "frag /dir/a*"
expect_rc 1 "$E2LUA" -R "stat /dir/a1 /nope /dir/b1" "$T/g.img"
assert_eq 2 "$(grep -c '^Inode:' "$T/out")" "stat goes on after a failure"
assert_eq "stat /nope: File not found by ext2_lookup
e2lua: stat: 1 of 3 files failed (see above)" "$(cat "$T/err")" "stat of several, one failing"
expect_rc 1 "$E2LUA" -R "frag /dir/a1 /nope" "$T/g.img"
assert_eq "frag /nope: File not found by ext2_lookup
e2lua: frag: 1 of 2 files failed (see above)" "$(cat "$T/err")" "frag of several, one failing"

# e2.command and e2.commands as scripts see them (a stock lua5.4 has
# neither: tests/lua/api_spec.lua).
LUA_PATH="$TOP/tests/lua/?.lua;;" expect_rc 0 "$E2LUA" "$img" "$TOP/tests/lua/shell_registry.lua"
out_has "^[0-9]+ passed, 0 failed$" "shell_registry.lua"

assert_eq "$s0" "$(sum "$img")" "read-only runs left the image unchanged"
finish
