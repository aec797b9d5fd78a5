#!/bin/sh
# t_safety_full.sh -- issue 9, item 4: a full filesystem (e2fsprogs'
# f_cloneblock_alloc_error: every block in use).  Plans know the free
# space: an inode whose index blocks do not fit is skipped
# (E2C_ERR_SKIP_NO_SPACE, "needs N index blocks, M free" in the plan), a
# selection counts it as a skip and goes on, and the inodes that need no
# new block migrate (a policy says how many are left and exits 3):
# unordered and ordered runs, their dry runs the same, fs:plan and
# tx:migrate alike.  (migrate-all with and without --batch:
# t_policy_errors.sh.)
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

img=$T/full.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
fill_fs "$img"
snapshot "$img" "$T/full.json"

# The Lua API: the plan's reason and numbers; a selection's skip count.
expect_rc 0 "$E2LUA" "$img" -e '
local p = fs:plan("/frag")
assert(not p.ok and p.code == e2.errors.E2C_ERR_SKIP_NO_SPACE, p.reason)
assert(p.reason == string.format("needs %d index block%s, 0 free",
	p.index_blocks, p.index_blocks == 1 and "" or "s"), p.reason)
assert(p.index_blocks > 0 and p.free_blocks == 0 and p.skip_class == "no_space")
local sel <close> = fs:select{}
repeat until sel:scan()
local t = sel:totals()
local n = t.reasons["Not enough free blocks for the new index blocks"]
assert(n and n > 0 and t.files > 0, "skips " .. tostring(n) .. ", files " .. t.files)
print(t.files, n)'
files=$(cut -f1 "$T/out") noroom=$(cut -f2 "$T/out")

# sized, ordered (largest first): the same files, ordered; the dry run
# says what the run does.
for order in "" "--order largest"; do
	cp "$img" "$T/run.img"
	# shellcheck disable=SC2086
	expect_rc 3 "$E2LUA" -w "$T/run.img" "$TOP/scripts/sized.lua" $order --dry-run -v
	assert_grep "$files inodes .* would be migrated" "$T/out" "sized $order: dry run"
	assert_grep "left <[0-9]*> /frag: needs [1-9][0-9]* index blocks*, 0 free" "$T/out" \
		"sized $order: /frag's skip line"
	cp "$T/out" "$T/dry.out"
	cmp -s "$img" "$T/run.img" || fail "sized $order: the dry run wrote"
	# shellcheck disable=SC2086
	expect_rc 3 "$E2LUA" -w "$T/run.img" "$TOP/scripts/sized.lua" $order
	assert_grep "migrated $files inodes" "$T/out" "sized $order: files"
	assert_grep "left: *$noroom inodes block-mapped, not enough free space" "$T/out" \
		"sized $order: skip count"
	snapshot "$T/run.img" "$T/after.json"
	check_migrated "$T/full.json" "$T/run.img" "$(extent_inos "$T/full.json" "$T/after.json")" \
		"sized $order"
	assert_eq "$(python3 "$TOP/tests/verify.py" expect "$T/full.json" $order | sed -n 1p)" \
		"$(extent_inos "$T/full.json" "$T/after.json")" "sized $order: the model's files"
done

# One inode at a time: the plan and the migration say so; nothing staged.
s0=$(sum "$img")
expect_rc 0 "$E2LUA" -R "plan /frag" "$img"
assert_grep "skip .* /frag: Not enough free blocks for the new index blocks; needs [0-9][0-9]* index blocks*, [0-9][0-9]* free$" "$T/out" "plan /frag"
expect_rc 1 "$E2LUA" -w -R "migrate /frag" -R commit "$img"
assert_grep "migrate /frag: Not enough free blocks" "$T/err" "migrate /frag"
assert_eq "$s0" "$(sum "$img")" "migrate /frag: image changed"
finish
