#!/bin/sh
# t_cli_valgrind.sh -- representative invocations of the program under
# valgrind (memory errors or leaks exit 99): options, a failing -R, a -f
# transcript with Lua, piped multi-line Lua, script mode, an image that
# cannot be opened, a usage error, staged work rolled back at exit,
# patterns, -r, e2.run and open -w.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
command -v valgrind >/dev/null 2>&1 || sanitized || skip "no valgrind"

img=$T/img
mk_small "$img"
VG="valgrind -q --error-exitcode=99 --leak-check=full --num-callers=30"
# Built with SANITIZE=1, valgrind cannot run it: the same invocations run
# under ASan/LSan instead, a finding exiting 99 as valgrind's would.
if sanitized; then
	VG=""
	export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi

# vg RC ARGS...: e2lua ARGS under valgrind exits RC (stdin from $T/in).
vg() {
	rc=$1; shift
	$VG "$E2LUA" "$@" <"$T/in" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$rc" ] || fail "valgrind e2lua $* exit $got (wanted $rc): $(head -c 800 "$T/err")"
}
: >"$T/in"
# Each run costs valgrind's start (half a second of CPU): the read-only
# -R and -e that exit alike share one.  With patterns, -r, e2.run (a
# capture, an error inside one), errors named after the command.
vg 0 -R help -R 'ls -l /dir' -R 'cd dir' -R pwd -R '=fs.super.blocks_count' \
	-R 'stat /dir/*' -R 'plan -r /' -R 'frag /*/*.txt' \
	-e 'assert(#e2.run("stat /hello.txt") > 0) assert(not pcall(e2.run, "stat /nope*"))' "$img"
vg 1 -R 'stat /nope' -R 'x.y = 1' -R 'sat' -R "echo 'open" \
	-R 'cd /nope*' -R 'survey /nope' -R 'ls --x' -e 'local t; t.x = 1' "$img"
for e in 'stat /nope: ' "global 'x'" 'sat: no such command' 'echo: no such command' \
	'cd /nope\*: no such file' 'survey /nope: ' "ls: unknown option '--x'" "local 't'"; do
	err_has "$e" "each failing -R and -e runs under valgrind"
done
printf '# t\ncd /dir\nstat big.txt\nfor i = 1, 3 do\n  print(i)\nend\nrun %s\nsource %s\n' \
	"$T/s.lua" "$T/missing" >"$T/cmds"
printf 'print(arg[0], fs:inode("/hello.txt").size)\nerror("x")\n' >"$T/s.lua"
vg 1 -f "$T/cmds" "$img"
printf 'for i = 1, 2 do\n  print(i)\nend\nfs:inode("/nope")\n' >"$T/in"
vg 1 "$img"
: >"$T/in"
vg 1 "$img" "$T/s.lua" a b
vg 2 -R stats "$T/missing"
vg 2 -b 1000 "$img"
cp "$img" "$T/w.img"
# Staged work rolled back by a command, then at exit after reopening
# read-only and for write.
vg 0 -w -R 'migrate -r /dir' -R pending -R rollback -R open -R 'open -w' \
	-e 'tx = fs:begin() tx:migrate("/dir/big.txt")' "$T/w.img"
out_has "^rolled back [0-9]+ staged inodes" "rollback under valgrind"
err_has "rolled back 1 staged inode" "rollback at exit under valgrind"
cmp -s "$img" "$T/w.img" || fail "rolled back under valgrind, yet the image changed"
finish
