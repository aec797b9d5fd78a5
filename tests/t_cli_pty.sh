#!/bin/sh
# t_cli_pty.sh -- an interactive session on a pseudo-terminal
# (tests/pty_session.py): banner and prompt, the continuation prompt of an
# unfinished Lua chunk, completion of command names, image paths and Lua
# fields, Ctrl-C at the prompt and while running, Ctrl-D, the history file
# written at exit, and the question about staged work when leaving.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"

img=$T/img
mk_small "$img"
s0=$(sum "$img")

# session STEPS ARGS...: run e2lua ARGS on a pty; transcript in $T/tty.
session() {
	steps=$1; shift
	E2LUA_HISTORY=$T/hist python3 "$TOP/tests/pty_session.py" "$steps" \
		-- "$E2LUA" "$@" >"$T/tty" 2>&1 ||
		fail "session $steps: $(tail -c 600 "$T/tty")"
}
tty_has() { grep -aq -- "$1" "$T/tty" || fail "$2: no [$1] in: $(tail -c 600 "$T/tty")"; }

cat >"$T/steps1" <<'STEPS'
expect Type help for the commands
expect e2lua: 
send for i = 1, 2 do\n
expect ...> 
send print("sq", i * i)\n
expect ...> 
send end\n
expect sq	4
## command names: "sta" completes to the common "stat", a third tab lists
send sta\t
send \t
send \t
expect stats
send \x15
## a path inside the image; a directory gets "/" and no space
send cd di\t
expect cd dir/
send \n
send stat bi\t
expect stat big.txt 
send \n
expect Type: regular
## fields an e2.fs or e2.inode computes in C (named by __fields)
send fs.sup\t
expect fs.super
send \x15
send ino = fs:inode("big.txt")\n
send ino.si\t
expect ino.size
send \x15
## Lua fields after "." (computed by __index) and methods after ":"
send fs.super.blocks_c\t
expect fs.super.blocks_count
send \n
expect 4096
send fs:clo\t
expect fs:close
send \x15
## Ctrl-C at the prompt discards the line
send print("discarded")
expect print("discarded")
send \x03
expect e2lua: 
send print("kept")\n
expect kept
## Ctrl-C while Lua runs stops it, back at the prompt
send print("spin" .. "ning") while true do end\n
expect spinning
send \x03
expect interrupted!
expect e2lua: 
send \x04
wait
STEPS
session "$T/steps1" "$img"
tty_has "^e2lua [0-9]" "banner"
grep -aq "^discarded" "$T/tty" && fail "Ctrl-C at the prompt ran the line"
tty_has "^exit 1$" "exit status 1 after the interrupted chunk"
# History: one entry per line typed, the Lua chunk as one entry.
[ -f "$T/hist" ] || fail "no history file"
grep -q '^print("sq", i \* i)$' "$T/hist" || fail "history lacks the chunk: $(cat "$T/hist")"
grep -q '^stat big.txt' "$T/hist" || fail "history lacks stat: $(cat "$T/hist")"
grep -q 'discarded' "$T/hist" && fail "history has the discarded line"
# A second session reads it back: three Ctrl-P recall fs.super.blocks_count.
cat >"$T/steps2" <<'STEPS'
expect e2lua: 
send \x10\x10\x10\n
expect 4096
expect e2lua: 
send quit\n
wait
STEPS
session "$T/steps2" "$img"
tty_has "^exit 0$" "quit exits 0"

# Without $E2LUA_HISTORY: $XDG_STATE_HOME/e2lua_history, else
# ~/.local/state/e2lua_history, the directory created.
printf 'expect e2lua: \nsend =6*7\\n\nexpect 42\nsend quit\\n\nwait\n' >"$T/steps5"
env -u E2LUA_HISTORY XDG_STATE_HOME="$T/state" \
	python3 "$TOP/tests/pty_session.py" "$T/steps5" -- "$E2LUA" >"$T/tty" 2>&1 ||
	fail "XDG session: $(tail -c 300 "$T/tty")"
grep -q '^=6\*7$' "$T/state/e2lua_history" 2>/dev/null || fail "no \$XDG_STATE_HOME/e2lua_history"
env -u E2LUA_HISTORY -u XDG_STATE_HOME HOME="$T/home" \
	python3 "$TOP/tests/pty_session.py" "$T/steps5" -- "$E2LUA" >"$T/tty" 2>&1 ||
	fail "HOME session: $(tail -c 300 "$T/tty")"
grep -q '^=6\*7$' "$T/home/.local/state/e2lua_history" 2>/dev/null ||
	fail "no ~/.local/state/e2lua_history"

# Staged work: quitting asks; "n" rolls back, "y" commits.
cp "$img" "$T/w.img"
s1=$(sum "$T/w.img")
cat >"$T/steps3" <<'STEPS'
expect e2lua: 
send tx = fs:begin() tx:migrate("/dir/big.txt")\n
expect e2lua: 
send quit\n
expect Commit 1 staged inode? [y/N] 
send n\n
wait
STEPS
session "$T/steps3" -w "$T/w.img"
tty_has "rolled back 1 staged inode (not committed)" "answer n"
tty_has "^exit 0$" "answer n: rolled back, not a failure"
assert_eq "$s1" "$(sum "$T/w.img")" "rolled back: image unchanged"
sed 's/send n/send y/' "$T/steps3" >"$T/steps4"
session "$T/steps4" -w "$T/w.img"
tty_has "^committed 1 inode" "answer y"
fsck_clean "$T/w.img"
debugfs -R 'stat /dir/big.txt' "$T/w.img" 2>/dev/null | grep -q "Flags: 0x80000" ||
	fail "big.txt not extent-mapped after the commit"
debugfs -R 'cat /dir/big.txt' "$T/w.img" 2>/dev/null | cmp -s - "$T/small/dir/big.txt" ||
	fail "big.txt data changed"

# readline is loaded when the session turns interactive (shell/readline.c):
# where it cannot be (an empty file of its soname found first), -i fails
# naming it, after the requests before it ran; staged work is rolled
# back without a question.
mkdir "$T/norl"
: >"$T/norl/libreadline.so.8"
cp "$T/w.img" "$T/norl.img"
s2=$(sum "$T/norl.img")
expect_rc 1 env LD_LIBRARY_PATH="$T/norl" "$E2LUA" -w -i -R 'print("ran")' \
	-R "migrate /hello.txt" "$T/norl.img" </dev/null
assert_grep "^ran$" "$T/out" "-R before -i without readline"
assert_grep "e2lua: cannot load libreadline.so.8 (GNU readline), which the interactive shell needs: .*libreadline.so.8" \
	"$T/err" "-i without readline"
assert_grep "rolled back 1 staged inode (not committed)" "$T/err" "-i without readline: staged work"
assert_eq "$s2" "$(sum "$T/norl.img")" "-i without readline: staged work written"

assert_eq "$s0" "$(sum "$img")" "read-only sessions left the image unchanged"
finish
