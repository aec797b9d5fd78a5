#!/bin/sh
# t_errors_sigint.sh -- Ctrl-C (a real SIGINT, handled by e2lua's own
# handler) at chosen points: inside an iterator, inside a selection scan,
# while staging, inside a commit before and after its point of no return,
# and in a policy's Lua code.  The program stops with "interrupted!",
# exit 1; a read-only run leaves the image byte-identical; a migration
# leaves it e2fsck -fn clean with every content intact, and exactly the
# batches whose commit reached the point of no return migrated.
#
# No sleep and no race: the SIGINT is sent right after a chosen read or
# write of the image (sigint_at in lib.sh), or once the program has told
# the test, through a FIFO, that it reached the point.
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/a.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
s0=$(sum "$img")
snapshot "$img" "$T/before.json"
bs=1024
all="$TOP/scripts/migrate-all.lua"

interrupted() {	# what: exit 1 and the message
	assert_eq 1 "$rc" "SIGINT $1: exit status"
	assert_grep "interrupted!" "$T/err" "SIGINT $1: message"
}
# stopped_at_once WHAT: no I/O on the image after the SIGINT (the loop
# stopped before its next inode, and nothing was written).
stopped_at_once() {
	sed -n '/^SIGINT$/,$p' "$T/io.log" | sed 1d >"$T/io.after"
	[ -s "$T/io.after" ] && fail "SIGINT $1: I/O after it: $(head -n 5 "$T/io.after")"
}
# first_migratable N: the N-th inode migrate-all migrates (inode order).
first_migratable() {
	python3 "$TOP/tests/verify.py" expect "$T/before.json" --max-files "$1" |
		sed -n 1p | tr ',' '\n' | sed -n "${1}p"
}
# migrated_first N IMG WHAT: exactly the first N migratable inodes were
# migrated, the rest of IMG is as before, e2fsck is clean.
migrated_first() {
	inos=$(python3 "$TOP/tests/verify.py" expect "$T/before.json" --max-files "$1" | sed -n 1p)
	assert_eq "$1" "$(echo "$inos" | tr ',' '\n' | grep -c .)" "$3: the model's first $1"
	check_migrated "$T/before.json" "$2" "$inos" "$3"
}

# ---- an iterator (read-only) -------------------------------------------
# The walk reads /dir/big's directory block when asked for the entry after
# /dir: the SIGINT lands in that C call and nothing after /dir is yielded.
dirblk=$(debugfs -R "blocks /dir/big" "$img" 2>/dev/null | cut -d' ' -f1)
sigint_at "read@$((dirblk * bs))" "$img" "$img" -e '
	for p in fs:walk("/") do io.write(p, "\n") end print("walked")'
interrupted "in an iterator"
assert_eq "/dir" "$(tail -n 1 "$T/out")" "SIGINT in an iterator: the last path yielded"
assert_eq "$s0" "$(sum "$img")" "SIGINT in an iterator: image changed"

# ---- a selection scan --------------------------------------------------
# migrate-all's scan stages as it selects; a SIGINT while it walks the map
# of /frag (late in the table), at its last indirect block, stops the scan
# there and rolls back what it staged: nothing written.  (The scan reads
# the inode table of this small image whole before it returns its first
# inode, core/scan.c; the read-ahead only asks for that indirect block,
# the walk is the first to read it.)
cp "$img" "$T/s.img"
lastind=$(debugfs -R "stat /frag" "$img" 2>/dev/null | grep -o '(IND):[0-9]*' | tail -n 1 | cut -d: -f2)
[ -n "$lastind" ] || fail "no indirect block in /frag's map"
sigint_at "read@$((lastind * bs))#1" "$T/s.img" -w "$T/s.img" "$all"
interrupted "in a selection scan"
stopped_at_once "in a selection scan"
assert_grep "migrate-all: stopped: nothing was written ([1-9][0-9]* inodes staged rolled back)" \
	"$T/err" "SIGINT in a selection scan: what was done"
assert_eq "$s0" "$(sum "$T/s.img")" "SIGINT in a selection scan: image changed"

# ---- staging -----------------------------------------------------------
# Batches of 50: after the first commit, staging batch 2 reads each of its
# inodes again; a SIGINT at the 75th migratable inode's inode table block
# (its second read: the first was the scan's) stops the staging.  Batch 1 stays migrated, batch 2 is rolled
# back.
cp "$img" "$T/st.img"
sigint_at "read@$(itable_byte "$img" "$(first_migratable 75)")#2" "$T/st.img" \
	-w "$T/st.img" "$all" --batch 50
interrupted "while staging"
stopped_at_once "while staging"
assert_grep "migrate-all: stopped: 50 inodes committed in 1 batch stay migrated" \
	"$T/err" "SIGINT while staging: what was done"
migrated_first 50 "$T/st.img" "SIGINT while staging"

# ---- a commit, before its point of no return ---------------------------
# The SIGINT lands as step 0 writes the superblock (not clean, extent
# feature on); step 1 sees it, and the commit puts state and features
# back: every inode as it was, dumpe2fs the same but for the write time.
cp "$img" "$T/c0.img"
sigint_at "write@1024" "$T/c0.img" -w "$T/c0.img" "$all" --batch 50
interrupted "in a commit before its point of no return"
assert_grep "migrate-all: the commit of batch 1 (50 inodes) failed; 0 inodes committed" \
	"$T/err" "SIGINT in step 0: what was done"
check_migrated "$T/before.json" "$T/c0.img" "" "SIGINT in step 0"
dumpe2fs "$img" 2>/dev/null | grep -v '^Last write time:' >"$T/dumpe2fs.before"
dumpe2fs "$T/c0.img" 2>/dev/null | grep -v '^Last write time:' >"$T/dumpe2fs.after"
cmp -s "$T/dumpe2fs.before" "$T/dumpe2fs.after" ||
	fail "SIGINT in step 0: dumpe2fs differs: $(diff "$T/dumpe2fs.before" "$T/dumpe2fs.after" | head -n 8)"

# ---- a commit, past its point of no return -----------------------------
# The SIGINT lands as step 3 writes the inode table block of the 25th
# migratable inode (batch 1): the commit completes, then the run stops.
cp "$img" "$T/c3.img"
sigint_at "write@$(itable_byte "$img" "$(first_migratable 25)")" "$T/c3.img" \
	-w "$T/c3.img" "$all" --batch 50
interrupted "in a commit past its point of no return"
assert_grep "migrate-all: stopped: 50 inodes committed in 1 batch stay migrated" \
	"$T/err" "SIGINT in step 3: what was done"
migrated_first 50 "$T/c3.img" "SIGINT in step 3"

# ---- a policy's Lua code -----------------------------------------------
# Batches of 5, and the accept callback, at the 13th migratable inode (10
# committed, 2 staged), tells the test through a FIFO and spins until the
# SIGINT stops it.  The staged ones roll back and the summary says so.
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
mkfifo "$T/ready"
"$E2LUA" -w "$T/p.img" "$T/spin.lua" >"$T/ready" 2>"$T/err" &
pid=$!
exec 8<"$T/ready"
read -r line <&8
[ "$line" = started ] || fail "the policy never started: $(head -c 300 "$T/err")"
kill -INT "$pid"
cat <&8 >"$T/out"
exec 8<&-
wait "$pid"
rc=$?
interrupted "in a policy's Lua code"
assert_grep "spin: stopped: 10 inodes committed in 2 batches stay migrated; the 2 inodes staged" \
	"$T/err" "SIGINT in a policy: what was done"
migrated_first 10 "$T/p.img" "SIGINT in a policy"
finish
