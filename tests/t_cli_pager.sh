#!/bin/sh
# t_cli_pager.sh -- long output at the terminal goes through the pager
# (tests/pty_session.py, the pager a script that records what it gets):
# what commands and =expr write when it would scroll, exactly the text
# -R prints; short output, Lua statements, e2.run captures and -R/-f runs
# at a terminal are not paged; a pager quit early; $E2LUA_PAGER over
# $PAGER over less -FRX; __none__.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"

img=$T/img
mk_small "$img"
cat >"$T/rec" <<'EOF'
#!/bin/sh
# the pager: keep what it gets, say so
cat >"$PAGED"
echo "[paged $(wc -l <"$PAGED") lines]"
EOF
chmod +x "$T/rec"
export LINES=20 COLUMNS=80	# the pty has no size of its own

# session STEPS [ENV...]: e2lua on a pty with the image; transcript in $T/tty
session() {
	steps=$1; shift
	env "$@" python3 "$TOP/tests/pty_session.py" "$steps" -- "$E2LUA" "$img" >"$T/tty" 2>&1 ||
		fail "session $steps: $(tail -c 600 "$T/tty")"
}
tty_has() { grep -aq -- "$1" "$T/tty" || fail "$2: no [$1] in: $(tail -c 600 "$T/tty")"; }
tty_lacks() { grep -aq -- "$1" "$T/tty" && fail "$2: [$1] in: $(tail -c 600 "$T/tty")"; }

"$E2LUA" -R stats "$img" >"$T/stats.txt" || fail "stats"
"$E2LUA" -R '=fs.super' "$img" >"$T/super.txt" || fail "=fs.super"
[ "$(wc -l <"$T/stats.txt")" -gt 30 ] || fail "stats is not long enough to page"

cat >"$T/s1" <<'EOF'
expect e2lua: 
send pwd\n
expect [root]
expect e2lua: 
send stats\n
expect [paged
expect e2lua: 
send =fs.super\n
expect [paged
expect e2lua: 
send for i = 1, 40 do print("line " .. i) end\n
expect line 40
expect e2lua: 
send s = e2.run("stats")\n
expect e2lua: 
send =#s\n
expect e2lua: 
send stat /hello.txt /nope /dir/big.txt /dir/sub /dir /hello.txt\n
expect [paged
expect files failed
expect e2lua: 
send quit\n
wait
EOF
session "$T/s1" PAGED="$T/paged1" E2LUA_PAGER="$T/rec" PAGER=/bin/false
tty_has "INODE:      2  PATH: /" "short output on the terminal"
tty_has "line 40" "a Lua statement's output is not paged"
tty_lacks "Block count:" "stats was paged, not written"
tty_has "^$(wc -c <"$T/stats.txt")" "e2.run's capture is whole (=#s)"
# The pager got each long output exactly; the last one is the stat.
grep -c '^\[paged' "$T/tty" | grep -qx 3 || fail "3 outputs paged: $(grep -a '^\[paged' "$T/tty")"
"$E2LUA" -R 'stat /hello.txt /nope /dir/big.txt /dir/sub /dir /hello.txt' "$img" >"$T/stat.txt" 2>/dev/null
cmp -s "$T/paged1" "$T/stat.txt" || fail "the pager got what -R prints: $(diff "$T/paged1" "$T/stat.txt" | head)"
tty_has "^stat: 1 of 6 files failed" "the error after the pager"
tty_has "stat /nope: File not found by ext2_lookup" "the failure of one file"

# Each paged output alone, as -R prints it.
for what in stats super; do
	case $what in stats) line='stats' ;; *) line='=fs.super' ;; esac
	printf 'expect e2lua: \nsend %s\\n\nexpect [paged\nexpect e2lua: \nsend quit\\n\nwait\n' "$line" >"$T/s2"
	session "$T/s2" PAGED="$T/p.$what" E2LUA_PAGER="$T/rec"
	cmp -s "$T/p.$what" "$T/$what.txt" || fail "$line: the pager got other text: $(diff "$T/p.$what" "$T/$what.txt" | head -5)"
done

# A pager quit after 2 lines: the rest is dropped, the session goes on.
printf '%s\n' 'expect e2lua: ' 'send =fs.super\n' 'expect e2lua: ' \
	'send print("alive" .. "mark")\n' 'expect alivemark' 'send quit\n' 'wait' >"$T/s3"
session "$T/s3" E2LUA_PAGER="head -n 2 >$T/head"
assert_eq "$(head -n 2 "$T/super.txt")" "$(cat "$T/head")" "the pager's 2 lines"
tty_has "^exit 0$" "a pager quit early is no failure"
tty_lacks "wtime" "a pager quit early: the rest dropped"

# $PAGER without $E2LUA_PAGER; __none__ and "" turn paging off.
session "$T/s3" PAGED="$T/p.pager" PAGER="$T/rec"
[ -s "$T/p.pager" ] || fail "\$PAGER is used"
rm -f "$T/p.none"
session "$T/s3" PAGED="$T/p.none" E2LUA_PAGER=__none__ PAGER="$T/rec"
[ -e "$T/p.none" ] && fail "E2LUA_PAGER=__none__ pages"
tty_has "wtime" "__none__: on the terminal"
session "$T/s3" PAGED="$T/p.none" E2LUA_PAGER= PAGER="$T/rec"
[ -e "$T/p.none" ] && fail "E2LUA_PAGER= pages"
tty_has "wtime" "E2LUA_PAGER=: on the terminal"

# Neither: less -FRX (a less on the PATH that says how it was run).
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "less $*" >"%s/less.args"\ncat >/dev/null\n' "$T" >"$T/bin/less"
chmod +x "$T/bin/less"
env -u E2LUA_PAGER -u PAGER PATH="$T/bin:$PATH" \
	python3 "$TOP/tests/pty_session.py" "$T/s3" -- "$E2LUA" "$img" >"$T/tty" 2>&1 ||
	fail "default pager session: $(tail -c 300 "$T/tty")"
assert_eq "less -FRX" "$(cat "$T/less.args" 2>/dev/null)" "the default pager"

# Not at the prompt: -R and -f at a terminal write straight out.
printf 'wait\n' >"$T/s4"
rm -f "$T/p.r"
env PAGED="$T/p.r" E2LUA_PAGER="$T/rec" python3 "$TOP/tests/pty_session.py" "$T/s4" -- \
	"$E2LUA" -R stats "$img" >"$T/tty" 2>&1 || fail "-R at a terminal"
[ -e "$T/p.r" ] && fail "-R at a terminal pages"
tty_has "Block count:" "-R at a terminal: on the terminal"
printf 'stats\n' >"$T/cmds"
env PAGED="$T/p.r" E2LUA_PAGER="$T/rec" python3 "$TOP/tests/pty_session.py" "$T/s4" -- \
	"$E2LUA" -f "$T/cmds" "$img" >"$T/tty" 2>&1 || fail "-f at a terminal"
[ -e "$T/p.r" ] && fail "-f at a terminal pages"
finish
