#!/bin/sh
# t_errors_lua.sh -- Lua errors inside an iterator, a policy and around a
# commit.  An iterator left by an error is closed and the fs stays usable;
# a policy that fails mid-way keeps the batches it committed and rolls back
# the one it was staging; an error before a commit writes nothing, one
# after it (from a __close handler) leaves the commit whole.  Always exit
# 1 with the error's message, e2fsck -fn clean, contents intact (and under
# valgrind, when installed, no memory errors).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/inspect_lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/a.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
s0=$(sum "$img")
snapshot "$img" "$T/before.json"

# ---- iterators ----------------------------------------------------------
# Uncaught: exit 1, the message, and the fs closes cleanly at exit.
for it in "fs:walk('/')" "fs:inodes()" "fs:inode('/dind'):blocks()" \
	"fs:inode('/frag'):runs()" "fs:inode('/sparse_tind'):holes()"; do
	expect_rc 1 "$E2LUA" -e "for x in $it do error('boom in the loop') end" "$img"
	assert_grep "(command line):1: boom in the loop" "$T/err" "error inside $it"
done
# Caught (under valgrind): the cursor is closed (a new walk of the same kind sees all of
# it) and the fs is still usable, then closes.
cat >"$T/caught.lua" <<'EOF'
local function count(...) local n = 0 for _ in ... do n = n + 1 end return n end
local all = count(fs:walk("/"))
local blocks = count(fs:inode("/dind"):blocks())
for i = 1, 3 do
	local ok, err = pcall(function()
		for p in fs:walk("/") do if p == "/dir" then error("stop at " .. p) end end
	end)
	assert(not ok and err:match("stop at /dir$"), err)
	ok, err = pcall(function()
		for l, b, kind in fs:inode("/dind"):blocks() do
			if kind == "dind" then error("stop at dind") end
		end
	end)
	assert(not ok and err:match("stop at dind$"), err)
end
assert(count(fs:walk("/")) == all and count(fs:inode("/dind"):blocks()) == blocks)
print(string.format("walked %d blocks %d plan %s", all, blocks, fs:plan("/frag").ok))
fs:close()
error("the last error")
EOF
expect_rc 1 $VG "$E2LUA" "$img" "$T/caught.lua"
assert_grep "^walked [0-9]* blocks [0-9]* plan true$" "$T/out" "fs usable after iterator errors"
assert_grep "caught.lua:19: the last error" "$T/err" "the script's own error"
assert_eq "$s0" "$(sum "$img")" "iterators: image changed"

# ---- around a commit ----------------------------------------------------
# An error after staging, before the commit: rolled back, byte-identical.
cp "$img" "$T/c.img"
expect_rc 1 "$E2LUA" -w -e "local tx <close> = fs:begin() tx:migrate('/frag') tx:migrate('/dind')
	error('boom before commit')" "$T/c.img"
assert_grep "boom before commit" "$T/err" "error before commit"
assert_eq "$s0" "$(sum "$T/c.img")" "error before commit: image changed"
# A __close handler that fails while the error above unwinds: the tx is
# closed all the same (the handlers run in turn), nothing written.
expect_rc 1 "$E2LUA" -w -e "local tx <close> = fs:begin() tx:migrate('/frag')
	local bad <close> = setmetatable({}, { __close = function() error('boom in __close') end })
	error('boom first')" "$T/c.img"
assert_grep "boom in __close" "$T/err" "error in __close while unwinding"
assert_eq "$s0" "$(sum "$T/c.img")" "error in __close while unwinding: image changed"
# A __close handler that fails after the commit: the commit stays whole.
expect_rc 1 "$E2LUA" -w -e "local tx <close> = fs:begin()
	local bad <close> = setmetatable({}, { __close = function() error('boom after commit') end })
	tx:migrate('/frag') tx:migrate('/dind') tx:commit()" "$T/c.img"
assert_grep "boom after commit" "$T/err" "error in __close after commit"
frag=$(debugfs -R "stat /frag" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
dind=$(debugfs -R "stat /dind" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
check_migrated "$T/before.json" "$T/c.img" "$frag,$dind" "error in __close after commit"

# ---- a policy that fails mid-way -----------------------------------------
# Batches of 5; the accept callback fails at the 13th migratable inode:
# two batches (10 inodes) are committed, the 2 staged since roll back.
cat >"$T/failing.lua" <<'EOF'
local policy = require "e2.policy"
local n = 0
return policy.run(fs, { name = "failing", batch = 5, accept = function(plan)
	if plan.ok then n = n + 1 end
	if n == 13 then error("policy bug at inode " .. plan.ino) end
	return true
end })
EOF
cp "$img" "$T/p.img"
expect_rc 1 "$E2LUA" -w "$T/p.img" "$T/failing.lua"
assert_grep "failing.lua:5: policy bug at inode" "$T/err" "policy error: the message"
assert_grep "failing: stopped: 10 inodes committed in 2 batches stay migrated; the 2 inodes staged" \
	"$T/err" "policy error: what was done"
snapshot "$T/p.img" "$T/after.json"
inos=$(extent_inos "$T/before.json" "$T/after.json")
assert_eq 10 "$(echo "$inos" | tr ',' '\n' | grep -c .)" "policy error: inodes migrated"
check_migrated "$T/before.json" "$T/p.img" "$inos" "policy error"
finish
