#!/bin/sh
# t_errors_sigint.sh -- Ctrl-C (SIGINT from the test) inside an iterator,
# a policy and a commit.  The program stops with "interrupted!", exit 1;
# a read-only run leaves the image byte-identical; a migration leaves it
# e2fsck -fn clean with every content intact and every inode either on
# its old map or fully migrated (a commit finishes, or stops before any
# inode is written).
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/a.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
s0=$(sum "$img")
snapshot "$img" "$T/before.json"

# interrupt READY DELAY ARGS...: run e2lua ARGS in the background; once
# the shell command READY succeeds (at most 30 s: the machine may be
# loaded), wait DELAY seconds and send SIGINT.  Its exit status in $rc,
# output in $T/out and $T/err.
interrupt() {
	ready=$1 delay=$2
	shift 2
	: >"$T/out"
	"$E2LUA" "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while ! eval "$ready" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep "$delay"
	kill -INT $pid 2>/dev/null || fail "$*: ended before the SIGINT: $(head -c 300 "$T/err")"
	wait $pid
	rc=$?
	assert_eq 1 "$rc" "SIGINT $*: exit status"
	assert_grep "interrupted!" "$T/err" "SIGINT $*: message"
}

# An iterator (read-only): a walk of the whole tree, again and again.
started='grep -q started "$T/out"'
interrupt "$started" 0.3 -e 'print("started") io.stdout:flush()
	while true do for p, i in fs:walk("/") do local b = i:plan() end end' "$img"
assert_eq "$s0" "$(sum "$img")" "SIGINT in an iterator: image changed"

# A policy, deterministically between batches: batches of 5, and the
# accept callback spins at the 13th migratable inode (10 committed, 2
# staged).  The staged ones roll back and the summary says so.
cat >"$T/spin.lua" <<'EOF'
local policy = require "e2.policy"
local n = 0
return policy.run(fs, { name = "spin", batch = 5, accept = function(plan)
	if plan.ok then n = n + 1 end
	if n == 13 then print("started") io.stdout:flush() while true do end end
	return true
end })
EOF
cp "$img" "$T/p.img"
interrupt "$started" 0.2 -w "$T/p.img" "$T/spin.lua"
assert_grep "spin: stopped: 10 inodes committed in 2 batches stay migrated; the 2 inodes staged" \
	"$T/err" "SIGINT in a policy: what was done"
snapshot "$T/p.img" "$T/after.json"
inos=$(extent_inos "$T/before.json" "$T/after.json")
assert_eq 10 "$(echo "$inos" | tr ',' '\n' | grep -c .)" "SIGINT in a policy: inodes migrated"
check_migrated "$T/before.json" "$T/p.img" "$inos" "SIGINT in a policy"

# Commits: migrate-all with a commit (and its fsyncs) per inode spends most
# of its time inside tx:commit, where the SIGINT lands.  The commit it
# interrupts finishes (past step 1) or writes no inode at all.  The first
# commit turns the extent feature on.
cp "$img" "$T/c.img"
interrupt 'dumpe2fs -h "$T/c.img" 2>/dev/null | grep -q "features:.* extent"' 0.3 -w "$T/c.img" "$TOP/scripts/migrate-all.lua" --batch 1
snapshot "$T/c.img" "$T/after.json"
inos=$(extent_inos "$T/before.json" "$T/after.json")
[ -n "$inos" ] || fail "SIGINT in commits: nothing was migrated before it (too early to test)"
check_migrated "$T/before.json" "$T/c.img" "$inos" "SIGINT in commits"
finish
