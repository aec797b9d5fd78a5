#!/bin/sh
# Policies when things go wrong, and policies written in Lua.
#  - A full filesystem: the inodes whose index blocks do not fit are
#    skipped ("needs N index blocks, M free"), the rest migrate, the dry run
#    saying the same.  With --batch 1 every commit frees indirect blocks
#    first, and the run migrates them all.  (tests/verify.py expect models
#    the free space.)
#  - e2.policy's Lua API: a custom filter, accept and order, a summary table.
. "$(dirname "$0")/lib.sh"

img=$T/full.img
mk_image "$img" ext2 1024 32M || { fail "mk_image"; finish; }
fill_fs "$img"
snapshot "$img" "$T/full.json"
some=$(python3 "$TOP/tests/verify.py" expect "$T/full.json" | sed -n 1p)
all=$(python3 "$TOP/tests/verify.py" expect "$T/full.json" --batch 1 | sed -n 1p)
[ "$some" != "$all" ] || fail "full fs: every inode fits (the case tests nothing)"
PC_RC=3
policy_case "$T/full.json" "$img" migrate-all ""
PC_RC=0
assert_grep "left: .*Not enough free blocks for the new index blocks: [1-9]" "$T/run.out" \
	"full fs: the skip count"
expect_rc 3 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --dry-run -v
assert_grep "left <[0-9]*> /[^:]*: needs [1-9][0-9]* index blocks*, 0 free" "$T/out" \
	"full fs: the verbose skip line"
policy_case "$T/full.json" "$img" migrate-all "--batch 1" --batch 1

# The Lua API: a policy of its own.  Regular files under /dir/big whose
# name ends in 7 and of more than 100 bytes, largest first, at most 5.
img=$T/api.img
mk_image "$img" ext4noext 4096 32M || fail "mk_image"
snapshot "$img" "$T/api.json"
cat >"$T/mine.lua" <<'EOF'
local policy = require "e2.policy"
local opts = {
	name = "mine", batch = 2,
	paths = { "/dir/big" },
	filter = function(inode, path) return path:match("7$") ~= nil end,
	accept = function(plan, inode) return inode.size > 100 end,
	order = function(a, b) return a.size > b.size or (a.size == b.size and a.ino < b.ino) end,
	max_files = 5,
	out = function() end,		-- quiet: the summary is ours to print
}
local s = policy.run(fs, opts)
print(string.format("files=%d batches=%d filtered=%d stopped_by=%s delta=%d",
	s.files, s.batches, s.filtered, s.stopped_by, s.free_after - s.free_before))
return s
EOF
expect_rc 0 "$E2LUA" -w "$img" "$T/mine.lua"
inos=$(python3 -c "
import json; s = json.load(open('$T/api.json'))['inodes'].values()
c = [i for i in s if any(p.startswith('/dir/big/') and p.endswith('7') for p in i['paths'])
     and i['type'] == 'regular' and i['size'] > 100]
print(','.join(str(i['ino']) for i in sorted(c, key=lambda i: (-i['size'], i['ino']))[:5]))")
assert_grep "^files=5 batches=3 filtered=[1-9][0-9]* stopped_by=--max-files delta=0$" "$T/out" \
	"custom policy summary"
check_migrated "$T/api.json" "$img" "$inos" "custom policy"

# Progress: on a terminal (stderr a tty under script(1)) a line redrawn in
# place with the rate and ETA, erased at the end; never into a file.  A
# filter that spins 1.5 ms per inode makes the run last over a second.
cat >"$T/slow.lua" <<'EOF'
local policy = require "e2.policy"
return policy.run(fs, { name = "slow", dry_run = true, filter = function()
	local t = os.clock()
	while os.clock() - t < 0.0015 do end
	return true
end })
EOF
if command -v script >/dev/null; then
	script -qec "'$E2LUA' '$img' '$T/slow.lua' >/dev/null" /dev/null >"$T/tty.out" 2>&1
	expect_rc 0 "$E2LUA" "$img" "$T/slow.lua"
	assert_grep "slow: [0-9]*/[0-9]* inodes ([0-9]*%), [0-9]*/s, ETA [0-9]*:[0-9][0-9]" \
		"$T/tty.out" "progress on a terminal"
	grep -q "$(printf '\r')" "$T/err" && fail "progress written to a file"
fi

# Ctrl-C in the middle of a run with a Lua filter: the batches committed
# stay migrated (the message says how many), the batch being staged is
# rolled back, and the filesystem is clean with every content intact.  The
# SIGINT comes as batch 3's commit writes the inode table block of the
# 125th inode (past its point of no return: that commit completes).
cp "$img" "$T/int.img"
snapshot "$T/int.img" "$T/int.json"
sed 's/dry_run = true,/batch = 50,/; s/0.0015/0/' "$T/slow.lua" >"$T/int.lua"
nth=$(python3 "$TOP/tests/verify.py" expect "$T/int.json" --max-files 125 | sed -n 1p |
	tr ',' '\n' | sed -n 125p)
sigint_at "write@$(itable_byte "$T/int.img" "$nth")" "$T/int.img" -w "$T/int.img" "$T/int.lua"
assert_eq 1 "$rc" "interrupted run: exit status"
assert_grep "interrupted!" "$T/err" "interrupted run: the error"
assert_grep "^slow: stopped: 150 inodes committed in 3 batches stay migrated" "$T/err" \
	"interrupted run: what was done"
# The first 150 migratable inodes in scan order, no more.
inos=$(python3 "$TOP/tests/verify.py" expect "$T/int.json" --max-files 150 | sed -n 1p)
check_migrated "$T/int.json" "$T/int.img" "$inos" "interrupted run"

finish
