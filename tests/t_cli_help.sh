#!/bin/sh
# t_cli_help.sh -- every command (C and Lua, from e2.commands) has help
# with its usage and an example; every example runs (exit 0, nothing on
# stderr) on a fresh copy of the image the examples name, and leaves it
# e2fsck-clean; the manual shows each example as a command line.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"

mk_example_dir "$T/ex" || { fail "mk_example_dir"; finish; }
tab=$(printf '\t')
"$E2LUA" -e 'for k, d in pairs(e2.commands) do
	if k == d.name then
		for line in d.example:gmatch("[^\n]+") do print(d.name .. "\t" .. line) end
	end
end' | sort -s -t "$tab" -k1,1 >"$T/examples" || fail "listing the examples"
[ "$(cut -f1 "$T/examples" | sort -u | wc -l)" -ge 29 ] || fail "too few commands: $(cut -f1 "$T/examples" | sort -u)"

# help NAME: usage, description, example
for name in $(cut -f1 "$T/examples" | sort -u); do
	expect_rc 0 "$E2LUA" -R "help $name"
	head -n 1 "$T/out" | grep -q "^Usage: $name" || fail "help $name: no usage: $(head -n 1 "$T/out")"
	sed -n 2p "$T/out" | grep -q '^[A-Z]' || fail "help $name: no description"
	sed -n '/^Example:$/,$p' "$T/out" | sed 1d >"$T/shown"
	[ -s "$T/shown" ] || fail "help $name: no example"
	grep "^$name$tab" "$T/examples" | cut -f2- | sed 's/^/  /' >"$T/want"
	cmp -s "$T/shown" "$T/want" || fail "help $name: the example shown differs: $(cat "$T/shown")"
done

# each command's example (its lines one after the other), on a fresh copy
# (-w: the examples that write may)
n=0
for name in $(cut -f1 "$T/examples" | sort -u); do
	rm -rf "$T/run"
	cp -R --sparse=always "$T/ex" "$T/run"
	set --
	while IFS="$tab" read -r cmd line; do
		[ "$cmd" = "$name" ] && set -- "$@" -R "$line"
	done <"$T/examples"
	(cd "$T/run" && "$E2LUA" -w "$@" disk.img >out 2>err)
	rc=$?
	[ "$rc" = 0 ] && [ ! -s "$T/run/err" ] ||
		fail "example of $name [$*]: exit $rc: $(head -c 300 "$T/run/err")"
	[ -s "$T/run/out" ] || case $name in
		cd|close|dump|open|quit|rdump|rollback) ;;	# silent ones
		*) fail "example of $name [$*] printed nothing" ;;
	esac
	case "$*" in *" -j"*)
		grep '^{' "$T/run/out" | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' ||
			fail "example of $name [$*]: not JSON" ;;
	esac
	# one that wrote leaves the image clean
	cmp -s "$T/ex/disk.img" "$T/run/disk.img" || e2fsck -fn "$T/run/disk.img" >"$T/fsck.out" 2>&1 ||
		fail "example of $name [$*]: e2fsck: $(tail -n 5 "$T/fsck.out")"
	n=$((n + 1))
done
note "$n examples run"

# The manual has each example, as a command line of its own.
sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\e/\\/g' "$TOP/doc/e2lua.1" >"$T/man.txt"
while IFS="$tab" read -r name line; do
	grep -qF -- "-R '$line'" "$T/man.txt" || fail "the manual lacks the example of $name: -R '$line'"
done <"$T/examples"
finish
