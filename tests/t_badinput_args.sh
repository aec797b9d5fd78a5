#!/bin/sh
# t_badinput_args.sh -- wrong commands, wrong arguments and Lua errors:
# each gets a message saying what and why and exit 1 (2 for a bad program
# option), under valgrind, and the image is never written.  The
# inspection commands' own argument errors are checked one by one.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/a.img
mk_image "$img" ext3 1024 16M || fail "mk_image"
s0=$(sum "$img")

# req RC REQUEST PATTERN: e2lua -R REQUEST exits RC, stderr matches PATTERN.
# The requests are also collected for one run under valgrind at the end.
req() {
	expect_rc "$1" "$E2LUA" -R "$2" "$img"
	grep -Eq -- "$3" "$T/err" || fail "-R '$2': no /$3/ in: $(head -c 300 "$T/err")"
	echo "$2" >>"$T/all.cmds"
}

# Unknown commands and usage errors.
req 1 "nosuchcommand /x" "nosuchcommand"
req 1 "blocks" "Usage: blocks \[-j\] <file>"
req 1 "blocks /twelve /thirteen" "Usage: blocks \[-j\] <file>"
req 1 "stat" "Usage: stat \[-j\] <file>"
req 1 "ex -x /frag" "^e2lua: dump_extents: unknown option '-x'$"
req 1 "ex -n" "Usage: dump_extents"
req 1 "ls -z /" "^e2lua: ls: unknown option '-z'$"
req 1 "ls / /dir" "Usage: ls"
req 1 "icheck" "Usage: icheck"
req 1 "ncheck" "Usage: ncheck"
req 1 "testb" "Usage: testb"
req 1 "bmap /twelve" "Usage: bmap"
req 1 "stats -x" "^e2lua: stats: unknown option '-x'$"
req 1 "ls -l --long /" "^e2lua: ls: unknown option '--long'$"
req 1 "ncheck -c" "^e2lua: Usage: ncheck \[-c\] \[-j\] <ino> ...$"
req 1 "ls -lz" "^Usage: ls \[-c\] \[-d\] \[-j\] \[-l\] \[-p\] \[-r\] \[dir\]$"

# Bad values.
req 1 "blocks /nonexistent" "blocks /nonexistent: File not found by ext2_lookup"
req 1 "stat <0>" "stat <0>: "
req 1 "stat <999999>" "stat <999999>: "
req 1 "ex /twelve" "/twelve: does not uses extent block maps"
req 1 "ls /twelve" "ls /twelve: .*[Nn]ot a directory"
req 1 "icheck abc" "icheck abc: invalid block number"
req 1 "icheck 12 -5" "icheck -5: invalid block number"
req 1 "ncheck 12x" "ncheck 12x: invalid inode number"
req 1 "ncheck 999999" "ncheck 999999: Inode number out of range"
req 1 "testb 0" "testb 0: invalid block number 0"
req 1 "testb 16383 5" "testb 16383: blocks beyond the end of the filesystem"
req 1 "testb 1 x" "testb x: invalid count"
req 1 "bmap /twelve x" "bmap x: invalid logical block"
req 1 "bmap /fastlink 0" "bmap /fastlink: Inode has no block map"
req 1 "frag /nonexistent" "File not found by ext2_lookup"

# All of the above in one -f run under valgrind: every line fails cleanly.
if [ -n "$VG" ]; then
	expect_rc 1 $VG "$E2LUA" -f "$T/all.cmds" "$img"
	assert_eq "$(wc -l <"$T/all.cmds")" \
		"$(grep -o "all.cmds:[0-9]*: " "$T/err" | sort -u | wc -l)" \
		"valgrind run: one error per line"
fi

# Lua errors.
req 1 "lua error('boom')" "boom"
expect_rc 1 $VG "$E2LUA" -e "x = = 1" "$img"
assert_grep "syntax error\|unexpected symbol" "$T/err" "Lua syntax error"
expect_rc 1 $VG "$E2LUA" -e "error('boom2')" "$img"
assert_grep "boom2" "$T/err" "Lua runtime error"
printf 'local t = nil\nprint(t.x)\n' >"$T/bad.lua"
expect_rc 1 $VG "$E2LUA" "$img" "$T/bad.lua"
assert_grep "bad.lua:2:" "$T/err" "script error names file and line"
printf 'blocks /twelve\nblocks /nonexistent\nstat /twelve\n' >"$T/cmds"
expect_rc 1 $VG "$E2LUA" -f "$T/cmds" "$img"
assert_grep "cmds:2: blocks /nonexistent: File not found" "$T/err" "-f error names the line"
assert_grep "^Inode: " "$T/out" "-f goes on after a failed command"

# Bad program options.
expect_rc 2 "$E2LUA" --no-such-option "$img"
expect_rc 2 "$E2LUA" -R
[ -s "$T/err" ] || fail "-R without a request: no message"

assert_eq "$s0" "$(sum "$img")" "image changed"
finish
