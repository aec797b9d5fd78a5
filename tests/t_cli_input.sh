#!/bin/sh
# t_cli_input.sh -- the input sources: -R, -f (transcript echo, file:line
# messages, exit 1 on a failure, --bail), -e, script mode with arg, piped
# stdin (commands and multi-line Lua, no prompts), source and run, the line
# rules (#, =, bare expressions, lua CHUNK, quoting), and staged migration
# work rolled back when a non-interactive session ends.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"

img=$T/img
mk_small "$img"
s0=$(sum "$img")

# -R: one request each, in order; a failure is exit 1 and says what.
expect_rc 0 "$E2LUA" -R 'pwd' -R '=fs.super.blocks_count' "$img"
assert_eq "[pwd]   INODE:      2  PATH: /
[root]  INODE:      2  PATH: /
4096" "$(cat "$T/out")" "-R pwd, -R =expr"
expect_rc 1 "$E2LUA" -R 'stat /nope' -R '=1+1' "$img"
assert_eq "e2lua: stat /nope: File not found by ext2_lookup" "$(cat "$T/err")" "-R failing command"
assert_eq "2" "$(cat "$T/out")" "-R goes on after a failure"
expect_rc 1 "$E2LUA" --bail -R 'stat /nope' -R '=1+1' "$img"
[ -s "$T/out" ] && fail "--bail ran the second -R"
expect_rc 1 "$E2LUA" -R 'sta /hello.txt' "$img"
err_has "^e2lua: sta: no such command \(help lists them\)" "-R mistyped command"

# -f: a transcript (echo as "e2lua: LINE", comments verbatim), messages
# with file:line, exit 1 when a line failed.
cat >"$T/cmds.txt" <<'CMDS'
# a comment
cd /dir

stat /nope
for i = 1, 2 do
  print("i=" .. i)
end
=#fs.groups
x.y = 1
pwd
CMDS
expect_rc 1 "$E2LUA" -f "$T/cmds.txt" "$img"
cat >"$T/want" <<'WANT'
# a comment
e2lua: cd /dir
e2lua: 
e2lua: stat /nope
e2lua: for i = 1, 2 do
...>   print("i=" .. i)
...> end
i=1
i=2
e2lua: =#fs.groups
1
e2lua: x.y = 1
e2lua: pwd
[pwd]   INODE:     12  PATH: /dir
[root]  INODE:      2  PATH: /
WANT
assert_eq "$(cat "$T/want")" "$(cat "$T/out")" "-f transcript"
assert_eq "$T/cmds.txt:4: stat /nope: File not found by ext2_lookup" \
	"$(sed -n 1p "$T/err")" "-f command error with file:line"
assert_eq "$T/cmds.txt:9: attempt to index a nil value (global 'x')" \
	"$(sed -n 2p "$T/err")" "-f Lua error with file:line"
expect_rc 1 "$E2LUA" --bail -f "$T/cmds.txt" "$img"
assert_eq "e2lua: stat /nope" "$(tail -n 1 "$T/out")" "--bail stops -f at the first error"
expect_rc 1 "$E2LUA" -f "$T/nope.txt" "$img"
err_has "^e2lua: $T/nope.txt: No such file or directory" "-f missing file"
# -f - reads stdin; an unfinished chunk at the end is a syntax error.
printf 'print("a")\nfor i=1,2 do\n' >"$T/in"
expect_rc 1 "$E2LUA" -f - "$img" <"$T/in"
assert_eq "e2lua: print(\"a\")
a
e2lua: for i=1,2 do" "$(cat "$T/out")" "-f - transcript"
err_has "^stdin:2: 'end' expected near <eof>" "-f - unfinished chunk"
# A clean file exits 0.
printf '# ok\nstat /hello.txt\nls -l /dir\n' >"$T/ok.txt"
expect_rc 0 "$E2LUA" -f "$T/ok.txt" "$img"

# Piped stdin: no prompt, no echo, multi-line Lua, the same rules.
printf 'for i=1,3 do\n  print(i*i)\nend\n\n# c\n1+1, "x"\ncd dir\nlua pwd = 7\n=pwd\nstat "sub/x"\n' >"$T/in"
expect_rc 0 "$E2LUA" "$img" <"$T/in"
assert_eq "1
4
9
2	x
7" "$(sed -n 1,5p "$T/out")" "piped stdin"
out_has "^Inode: [0-9]+ +Type: regular" "piped stdin: quoted relative path"
printf 'print(1)\nerror("boom")\nprint(2)\n' >"$T/in"
expect_rc 1 "$E2LUA" "$img" <"$T/in"
assert_eq "1
2" "$(cat "$T/out")" "piped stdin goes on after an error"
err_has "^stdin:2: boom" "piped stdin Lua error position"
expect_rc 1 "$E2LUA" --bail "$img" <"$T/in"
assert_eq "1" "$(cat "$T/out")" "piped stdin with --bail"
# -i makes a session interactive even on a pipe: banner and prompts.
printf 'print(6*7)\n' >"$T/in"
expect_rc 0 "$E2LUA" -i "$img" <"$T/in"
out_has "^e2lua: print\(6\*7\)" "-i prompt"
out_has "^42" "-i result"
err_has "^Type help for the commands" "-i banner"
# Without an image: commands that need one say so.
expect_rc 1 "$E2LUA" -R 'stat /x'
err_has "^e2lua: stat: no filesystem is open" "needs fs"

# Quoting: '...' literal, "..." with \" and \\, backslash escapes a blank.
cat >"$T/q.lua" <<'LUA'
e2.command{name = "echoargs", usage = "ARGS...", help = "test", example = "echoargs a b", min = 0, max = -1,
	run = function(...) print(table.concat({...}, "|")) end}
LUA
printf '%s\n' "lua dofile('$T/q.lua')" \
	"echoargs a 'b c' \"d \\\"e\\\" \\\\f\" g\\ h 'i'j ''" \
	"echoargs 'open" >"$T/in"
expect_rc 1 "$E2LUA" "$img" <"$T/in"
assert_eq 'a|b c|d "e" \f|g h|ij|' "$(cat "$T/out")" "quoting"
err_has "^stdin:3: unterminated quote" "unterminated quote"

# -e: Lua chunks in order, with the image as fs; errors exit 1.
expect_rc 0 "$E2LUA" -e 'n = fs.super.inodes_count' -e 'print(n > 0)' "$img"
assert_eq "true" "$(cat "$T/out")" "-e"
expect_rc 1 "$E2LUA" -e 'error("bad")' "$img"
err_has "^e2lua: \(command line\):1: bad" "-e error"
expect_rc 1 "$E2LUA" -e 'fs:inode("/nope")' "$img"
err_has "^e2lua: \(command line\):1: inode /nope: File not found by ext2_lookup" "-e e2.error"
expect_rc 1 "$E2LUA" -e 'x = ' "$img"
err_has "unexpected symbol near <eof>" "-e syntax error"
# Errors raised on purpose (error, assert, an e2.error, a refusal) print
# their message alone; Lua bugs (the VM's runtime errors, bad arguments)
# also a traceback; --traceback gives every error one.
expect_rc 1 "$E2LUA" -e 'error("bad")' "$img"
assert_eq "e2lua: (command line):1: bad" "$(cat "$T/err")" "-e error(): no traceback"
expect_rc 1 "$E2LUA" -e 'assert(false, "no good")' "$img"
assert_eq "e2lua: (command line):1: no good" "$(cat "$T/err")" "-e assert(): no traceback"
expect_rc 1 "$E2LUA" -e 'error("as given", 0)' "$img"
assert_eq "e2lua: as given" "$(cat "$T/err")" "-e error(msg, 0): no position added"
expect_rc 1 "$E2LUA" -e 'fs:close() fs:inode(2)' "$img"
assert_eq "e2lua: (command line):1: attempt to use a closed e2.fs" "$(cat "$T/err")" "-e refusal"
expect_rc 1 "$E2LUA" -e 'local t; t.x = 1' "$img"
assert_eq "e2lua: (command line):1: attempt to index a nil value (local 't')
stack traceback:" "$(sed -n 1,2p "$T/err")" "-e Lua bug: traceback"
expect_rc 1 "$E2LUA" -e 'fs:inode()' "$img"
err_has "^stack traceback:" "-e bad argument: traceback"
expect_rc 1 "$E2LUA" --traceback -e 'error("bad")' "$img"
assert_eq "e2lua: (command line):1: bad
stack traceback:" "$(sed -n 1,2p "$T/err")" "--traceback"
expect_rc 1 "$E2LUA" --traceback -R 'stat /nope' "$img"
err_has "^stack traceback:" "--traceback: commands too"
# Using fs with no image open says so (not "index a nil value").
for c in 'print(fs.super.blocks_count)' 'fs:inode(2)'; do
	expect_rc 1 "$E2LUA" -e "$c"
	assert_eq "e2lua: (command line):1: no filesystem is open (use: open IMAGE)" \
		"$(cat "$T/err")" "-e '$c' without an image"
done
expect_rc 0 "$E2LUA" -e 'print(fs)'
assert_eq "nil" "$(cat "$T/out")" "fs is nil without an image"

# Script mode: arg[0] = script, arg[1..] = ARGS, also as ...; fs global.
cat >"$T/s.lua" <<'LUA'
print(arg[0], #arg, arg[1], arg[2], select("#", ...))
print(fs.super.blocks_count)
if arg[1] == "fail" then fs:inode("/nope") end
LUA
expect_rc 0 "$E2LUA" "$img" "$T/s.lua" a -w
assert_eq "$T/s.lua	2	a	-w	2
4096" "$(cat "$T/out")" "script mode arg"
expect_rc 1 "$E2LUA" "$img" "$T/s.lua" fail
err_has "^e2lua: $T/s.lua:3: inode /nope: File not found by ext2_lookup" "script error"
expect_rc 1 "$E2LUA" "$img" "$T/nope.lua"
err_has "^e2lua: cannot open $T/nope.lua" "missing script"

# run: the same from the prompt, arg restored afterwards; a bare NAME is
# looked up in the scripts directory.
mkdir -p "$T/scripts"
printf 'print("hi", arg[1])\n' >"$T/scripts/hello.lua"
printf 'run %s x\n=arg\nrun hello y\nrun %s fail\n' "$T/s.lua" "$T/s.lua" >"$T/in"
E2LUA_SCRIPTS=$T/scripts expect_rc 1 "$E2LUA" "$img" <"$T/in"
assert_eq "$T/s.lua	1	x	nil	1
4096
nil
hi	y
$T/s.lua	1	fail	nil	1
4096" "$(cat "$T/out")" "run"
err_has "^stdin:4: $T/s.lua:3: inode /nope" "run: error inside the script"

# source: nested files echo like -f; messages name the inner file.
printf 'pwd\nsource %s\n=1\n' "$T/cmds.txt" >"$T/outer.txt"
expect_rc 1 "$E2LUA" -R "source $T/outer.txt" "$img"
out_has "^e2lua: source $T/cmds.txt" "source echo"
err_has "^$T/cmds.txt:4: stat /nope" "source: inner file:line"
printf 'source %s\n' "$T/self.txt" >"$T/self.txt"
expect_rc 1 "$E2LUA" -f "$T/self.txt" "$img"
err_has "nested more than 25 deep" "source nesting limit"
expect_rc 1 "$E2LUA" -R "source $T/none.txt" "$img"
err_has "^e2lua: source $T/none.txt: No such file or directory" "source missing file"

# quit leaves every input at once.
printf 'print(1)\nquit\nprint(2)\n' >"$T/in"
expect_rc 0 "$E2LUA" "$img" <"$T/in"
assert_eq "1" "$(cat "$T/out")" "quit"

# Staged migrations are rolled back (and said so) when the session ends.
cp "$img" "$T/w.img"
s1=$(sum "$T/w.img")
expect_rc 0 "$E2LUA" -w -e 'tx = fs:begin() tx:migrate("/dir/big.txt")' "$T/w.img"
err_has "^e2lua: rolled back 1 staged inode \(not committed\)" "rollback at exit"
assert_eq "$s1" "$(sum "$T/w.img")" "rolled back: image unchanged"

assert_eq "$s0" "$(sum "$img")" "read-only runs left the image unchanged"
finish
