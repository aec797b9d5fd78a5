#!/bin/sh
# t_cli_init.sh -- the user's init file ($XDG_CONFIG_HOME/e2lua/init.lua,
# else ~/.config/e2lua/init.lua) runs at start-up, after the image is open
# and the stock commands are declared, before -R/-f/-e and the script:
# the commands it declares are there; -n and --noinit skip it; an error
# in it is said with its name, the session goes on and exits 1 (--bail
# stops).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"

img=$T/img
mk_small "$img"
mkdir -p "$XDG_CONFIG_HOME/e2lua"
init=$XDG_CONFIG_HOME/e2lua/init.lua
cat >"$init" <<'EOF'
-- a user's command: the big files under a directory
e2.command{name = "bigfiles", usage = "[dir]", help = "Files over 10 KiB",
	example = "bigfiles /home", min = 0, max = 1, needs = "fs", args = "inode",
	run = function(dir)
		for path, i in fs:walk(dir or "/") do
			if i.type == "regular" and i.size > 10240 then print(path) end
		end
	end}
init_order = (init_order or "") .. "init "
seen_fs = fs and fs.image
EOF
expect_rc 0 "$E2LUA" -e 'init_order = (init_order or "") .. "-e"' -R 'bigfiles' -R '=init_order, seen_fs' "$img"
assert_eq "/dir/big.txt
init -e	$img" "$(cat "$T/out")" "the init file's command, run before -e, with the image open"
expect_rc 0 "$E2LUA" -R 'help bigfiles' "$img"
out_has "^Usage: bigfiles \[dir\]$" "help of the init file's command"
expect_rc 0 "$E2LUA" -e 'print(e2.commands.bigfiles.source)'
assert_eq "$init" "$(cat "$T/out")" "its source is the init file"

# -n, --noinit: not run
for opt in -n --noinit; do
	expect_rc 1 "$E2LUA" "$opt" -R 'bigfiles' "$img"
	err_has "bigfiles: no such command" "$opt"
done
expect_rc 0 "$E2LUA" -n -R '=init_order' "$img"
assert_eq "nil" "$(cat "$T/out")" "-n: nothing of it"

# a script, and -i: once
echo 'print(init_order)' >"$T/s.lua"
expect_rc 0 "$E2LUA" "$img" "$T/s.lua"
assert_eq "init " "$(cat "$T/out")" "before the script"
expect_rc 0 sh -c "echo '=init_order' | '$E2LUA' -i '$img'"
out_has "^init $" "once with -i"

# ~/.config without XDG_CONFIG_HOME (or with a relative one)
mkdir -p "$T/home/.config/e2lua"
echo 'print("home init")' >"$T/home/.config/e2lua/init.lua"
expect_rc 0 env -u XDG_CONFIG_HOME HOME="$T/home" "$E2LUA" -R 'print("after")'
assert_eq "home init
after" "$(cat "$T/out")" "~/.config/e2lua/init.lua"
expect_rc 0 env XDG_CONFIG_HOME=relative HOME="$T/home" "$E2LUA" -R 'print("after")'
out_has "^home init$" "a relative XDG_CONFIG_HOME is not used"
# no file: nothing, and no HOME either
expect_rc 0 env -u XDG_CONFIG_HOME -u HOME "$E2LUA" -R 'print("after")'
assert_eq "after" "$(cat "$T/out")" "no init file"

# an error: said with the file's name, the rest goes on, exit 1
# Lua shows a chunk's file name whole up to 59 characters, else "..." and
# its last 56 (luaO_chunkid): the scratch dir's length must not matter.
shown=$(printf '%s' "$init" | awk '{ print length($0) <= 59 ? $0 : "..." substr($0, length($0) - 55) }')
printf 'print("first")\nerror("boom")\nprint("never")\n' >"$init"
expect_rc 1 "$E2LUA" -R 'print("after")' "$img"
assert_eq "first
after" "$(cat "$T/out")" "an error: the init file stops there, the session goes on"
err_has "^e2lua: $shown:2: boom$" "the error names the file and line"
expect_rc 1 "$E2LUA" --bail -R 'print("after")' "$img"
assert_eq "first" "$(cat "$T/out")" "--bail stops at the init file's error"
printf 'this is not Lua\n' >"$init"
expect_rc 1 "$E2LUA" -R 'print("after")' "$img"
err_has "^e2lua: $shown:1: syntax error near 'is'$" "a syntax error"
out_has "^after$" "after a syntax error"
rm "$init"
mkdir "$init"
expect_rc 1 "$E2LUA" -R 'print("after")' "$img"
err_has "^e2lua: cannot read $init" "an init file that cannot be read"
rmdir "$init"
printf 'e2.command{name = "cd", example = "cd", run = print}\n' >"$init"
expect_rc 1 "$E2LUA" -R 'pwd' "$img"
err_has "command 'cd' is already defined \(by C\)" "a command of the same name"
out_has "PATH: /" "the stock command stays"

# at the terminal: the banner is the same
echo 'x_from_init = 42' >"$init"
printf 'expect e2lua: \nsend =x_from_init\\n\nexpect 42\nsend quit\\n\nwait\n' >"$T/steps"
python3 "$TOP/tests/pty_session.py" "$T/steps" -- "$E2LUA" "$img" >"$T/tty" 2>&1 ||
	fail "session: $(tail -c 300 "$T/tty")"
[ "$(sed -n 2p "$T/tty")" = "Type help for the commands; other lines are Lua." ] ||
	fail "banner: $(head -n 3 "$T/tty")"
finish
