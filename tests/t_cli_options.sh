#!/bin/sh
# t_cli_options.sh -- the command line: every option's usage errors (exit 2,
# a message naming the problem and a hint), images that cannot be opened
# (exit 2, "e2lua: IMAGE: <libext2fs message>"), --help, -V, and that the
# options reach the open (-c, -b/-s, -w, -z).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"

img=$T/img
mk_small "$img"
s0=$(sum "$img")

# usage RC PATTERN ARGS...: exit RC, stderr matches, and the --help hint.
usage() {
	rc=$1 pat=$2; shift 2
	expect_rc "$rc" "$E2LUA" "$@"
	err_has "$pat" "e2lua $*"
	err_has "Try 'e2lua --help'" "e2lua $* (hint)"
	[ -s "$T/out" ] && fail "e2lua $*: wrote to stdout: $(head -c 200 "$T/out")"
}
usage 2 "unknown option '-x'" -x "$img"
usage 2 "unknown option '--nope'" --nope "$img"
usage 2 "unknown option '-q'" -wq "$img"
usage 2 "option '--bail' takes no argument" --bail=1 "$img"
usage 2 "unknown option '-x'" "$img" -x	# options may follow IMAGE
for o in R f e b s z; do
	usage 2 "option '-$o' needs an argument" "-$o"
done
usage 2 "bad block size '1000'" -b 1000 "$img"
usage 2 "bad block size 'abc'" -b abc "$img"
usage 2 "bad block size '131072'" -b 131072 "$img"
usage 2 "bad superblock '0'" -b 1024 -s 0 "$img"
usage 2 "bad superblock 'x1'" -b 1024 -s x1 "$img"
usage 2 "-s needs -b" -s 8193 "$img"
usage 2 "cannot be combined with -w" -w -c "$img"
usage 2 "cannot be combined with -w" -wc "$img"
usage 2 "-z needs -w" -z "$T/undo" "$img"
usage 2 "need an IMAGE" -w
usage 2 "need an IMAGE" -c -R stats

# Images that cannot be opened: exit 2, named, with libext2fs's reason.
expect_rc 2 "$E2LUA" -R stats "$T/missing"
err_has "^e2lua: $T/missing: No such file or directory" "missing image"
expect_rc 2 "$E2LUA" -R stats "$T"
err_has "^e2lua: $T: " "directory as image"
: >"$T/empty"
expect_rc 2 "$E2LUA" -R stats "$T/empty"
err_has "^e2lua: $T/empty: " "empty image"
head -c 65536 /dev/urandom >"$T/junk"
expect_rc 2 "$E2LUA" -R stats "$T/junk"
err_has "^e2lua: $T/junk: Bad magic number in super-block" "not ext2"
expect_rc 2 "$E2LUA" -b 1024 -s 8193 -R stats "$img"
err_has "^e2lua: $img: " "backup superblock beyond the end"

# -h/--help and -V/--version: stdout, exit 0, nothing else run (not
# even -R, nor the open of the image).
for h in --help -h; do
	expect_rc 0 "$E2LUA" $h -R 'print("ran")' "$T/missing"
	out_has "^Usage: e2lua \[options\] \[IMAGE \[SCRIPT \[ARGS...\]\]\]" "$h"
	[ -s "$T/err" ] && fail "$h wrote to stderr: $(cat "$T/err")"
	grep -q "^ran" "$T/out" && fail "$h ran -R"
	for o in -w -c -b -s -z -R -f -e -i -V --version --bail --traceback -h --help; do
		grep -Eq -- "^  ($o|-[a-zA-Z], $o)( |,|$)" "$T/out" || fail "$h does not list $o"
	done
done
for v in -V --version; do
	expect_rc 0 "$E2LUA" $v
	out_has "^e2lua [0-9][^ ]* \(Lua 5\.4.*, libext2fs [0-9.]+\)$" "$v"
	[ "$(wc -l <"$T/out")" = 1 ] || fail "$v: more than the version: $(cat "$T/out")"
done

# The open options reach the open.
expect_rc 0 "$E2LUA" -c -e 'assert(fs.catastrophic and not fs.writable)' "$img"
expect_rc 0 "$E2LUA" -e 'assert(not fs.writable)' "$img"
# -b with -s opens the backup superblock of group 1 (8193 with 1 KiB).
mke2fs -q -F -t ext2 -b 1024 "$T/two.img" 10M >/dev/null 2>&1 || fail "mke2fs"
expect_rc 0 "$E2LUA" -b 1024 -s 8193 -e 'assert(fs.super.blocks_count == 10240)' "$T/two.img"
cp "$img" "$T/w.img"
expect_rc 0 "$E2LUA" -w -z "$T/undo" -e 'assert(fs.writable)' "$T/w.img"
expect_rc 0 "$E2LUA" -w -e 'assert(fs.writable)' -- "$T/w.img"
# -- ends the options: a file named -x is the image.
cp "$img" "$T/-x"
cd "$T" && expect_rc 0 "$E2LUA" -e 'assert(fs.super.blocks_count == 4096)' -- -x
cd "$TOP" || fail "cd"

assert_eq "$s0" "$(sum "$img")" "read-only runs left the image unchanged"
finish
