# Relocating migration and offline defragmentation (core/reloc.c,
# core/layout.c; doc/migration.md): block- and extent-mapped files, on
# 1 KiB and 4 KiB images, with holes, unwritten extents, depth 0-2 trees
# before and after, fragmented and nearly exhausted free space.  Each
# commit: e2fsck -fn exits 0 (free counts included), every content is
# identical, the relocated inodes are extent-mapped with their attributes
# kept and the others byte-identical (tests/verify.py), the extent counts
# are what the plan said; rollback leaves the image byte-identical and
# e2undo restores it byte-identically.
. "$(dirname "$0")/lib.sh"

leaves() {	# IMG PATH: the leaf extents of PATH (debugfs ex)
	debugfs -R "ex $2" "$1" 2>/dev/null | awk 'NR > 1 { split($1, d, "/"); if ($2 + 0 == d[1] + 0) n++ } END { print n + 0 }'
}
depth() {	# IMG PATH: the depth of PATH's tree
	debugfs -R "ex $2" "$1" 2>/dev/null | awk 'NR == 2 { print $2 + 0 }'
}
ino_of() { debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }
check_moved() {	# BEFORE.json IMG INOS WHAT [INPLACE_INOS]
	fsck_clean "$2"
	snapshot "$2" "$T/after.json"
	python3 "$TOP/tests/verify.py" compare "$1" "$T/after.json" \
		--expect-moved "$3" --expect-extent "${5:-}" >"$T/compare.out" 2>&1 ||
		fail "$4: $(grep -v '^changed inodes' "$T/compare.out" | head -n 12)"
}

# ---- 1 KiB ext3: block-mapped files relocated, mixed with in place -----
FRAG_BLOCKS=480 mk_image "$T/a" ext3 1024 8M || { fail "mk_image"; finish; }
cp "$T/a" "$T/a0"
snapshot "$T/a" "$T/a.json"
frag=$(ino_of "$T/a" /frag) sp=$(ino_of "$T/a" /sparse_tind) big=$(ino_of "$T/a" /dir/big)
dir=$(ino_of "$T/a" /dir)
expect_rc 0 "$E2LUA" "$T/a" -R "plan -m /frag /sparse_tind"
assert_grep "relocate $frag: [0-9]* -> 1 extent (ideal 1), 480 blocks copied" "$T/out" "plan -m /frag"
assert_grep "moved: .* data blocks will be copied to new blocks" "$T/out" "plan -m: the moved effect"
# rollback: nothing written
printf '%s\n' "migrate -m /frag /sparse_tind" "defrag /dir/big" "rollback" >"$T/cmds"
expect_rc 0 "$E2LUA" -w -f "$T/cmds" "$T/a"
cmp -s "$T/a" "$T/a0" || fail "rollback changed the image"
# relocations and in-place migrations in one commit, with an undo file
printf '%s\n' "migrate -m -V /frag /sparse_tind" "defrag /dir/big" "migrate /dir" \
	"commit" >"$T/cmds"
expect_rc 0 "$E2LUA" -w -z "$T/a.undo" -f "$T/cmds" "$T/a"
assert_grep "relocating 3 inodes" "$T/out" "commit report"
assert_grep "moved: .* data blocks were copied" "$T/out" "commit report: moved"
check_moved "$T/a.json" "$T/a" "$frag,$sp,$big" "1 KiB relocation" "$dir"
assert_eq 1 "$(leaves "$T/a" /frag)" "/frag leaf extents after relocating"
assert_eq 0 "$(depth "$T/a" /frag)" "/frag tree depth after relocating"
e2undo "$T/a.undo" "$T/a" >/dev/null 2>&1 || fail "e2undo"
cmp -s "$T/a" "$T/a0" || fail "e2undo did not restore the image byte for byte"

# goal: the data goes to the first free range from it that holds it all
cp "$T/a0" "$T/g"
cat >"$T/goal.lua" <<'EOF'
local tx <close> = fs:begin()
local p = tx:migrate("/frag", { relocate = true, goal = 6000 })
assert(p.goal == 6000 and p.from[1].start >= 6000, "goal: " .. p.from[1].start)
assert(p.extents == 1 and p.free_runs == 1 and not p.fragmented_free)
tx:commit()
-- options are checked
for _, bad in ipairs({ { relocat = true }, { goal = 5 }, { relocate = "yes" } }) do
	assert(not pcall(tx.migrate, tx, "/dir", bad))
end
local ok, err = pcall(tx.migrate, tx, "/dir", { relocate = true, goal = 1 << 40 })
assert(not ok and err.code == e2.errors.E2C_ERR_BLOCK_RANGE, tostring(err))
print("goal ok")
EOF
expect_rc 0 "$E2LUA" -w "$T/g" "$T/goal.lua"
assert_grep "goal ok" "$T/out" "goal"
fsck_clean "$T/g"

# the shell's options: checked, nothing written
cp "$T/a0" "$T/o"
expect_rc 1 "$E2LUA" -w "$T/o" -R "migrate -V /frag"
assert_grep "migrate: -V, -g and -G go with -m (--relocate)" "$T/err" "-V without -m"
expect_rc 1 "$E2LUA" "$T/o" -R "plan -m --goal=abc /frag"
assert_grep "'abc' is not a positive number" "$T/err" "--goal=abc"
expect_rc 1 "$E2LUA" "$T/o" -R "plan --verify /frag"
assert_grep "plan: unknown option '--verify'" "$T/err" "plan --verify"
expect_rc 1 "$E2LUA" -w "$T/o" -R "defrag -m /frag"
assert_grep "defrag: unknown option '-m'" "$T/err" "defrag -m"
cmp -s "$T/o" "$T/a0" || fail "a refused option wrote"

# ---- nearly full: no room for the copy -------------------------------
cp "$T/a0" "$T/full"
fill_fs "$T/full"
cp "$T/full" "$T/full0"
expect_rc 1 "$E2LUA" -w "$T/full" -R "migrate -m /frag"
assert_grep "Not enough free blocks" "$T/err" "no space for the copy"
expect_rc 0 "$E2LUA" "$T/full" -R "plan -m /frag"
assert_grep "skip .*/frag: Not enough free blocks for the new index blocks; needs [0-9][0-9]* free blocks (data and index), [0-9][0-9]* free$" "$T/out" "plan -m on a full fs"
cmp -s "$T/full" "$T/full0" || fail "a refused relocation wrote"

# ---- 4 KiB ext4: defragmenting extent-mapped files -------------------
mk_image "$T/b" ext4 4096 24M || { fail "mk_image 4k"; finish; }
mk_uninit "$T/b" 4096 || fail "mk_uninit"
mk_frag_file "$T/b" /frag2 200 || fail "mk_frag_file"
cp "$T/b" "$T/b0"
snapshot "$T/b" "$T/b.json"
f2=$(ino_of "$T/b" /frag2) pre=$(ino_of "$T/b" /prealloc) unw=$(ino_of "$T/b" /unwritten)
assert_eq 1 "$(depth "$T/b" /frag2)" "/frag2 depth before"
cat >"$T/defrag.lua" <<'EOF'
local tx <close> = fs:begin()
local p = tx:migrate("/frag2", { relocate = true, verify = true })
assert(p.was_extent and p.extents_before == 200 and p.extents == 1 and p.ideal == 1,
	string.format("%d -> %d", p.extents_before, p.extents))
assert(p.copy_blocks == 200 and p.blocks_moved == 200)
p = tx:migrate("/prealloc", { relocate = true })
-- 3 written blocks, a hole, 21 unwritten: 2 extents, 3 blocks copied
assert(p.extents == 2 and p.copy_blocks == 3 and p.data_blocks == 24, p.extents)
p = tx:migrate("/unwritten", { relocate = true })
assert(p.copy_blocks == 0 and p.extents == 1)
local t = tx:commit()
assert(t.relocated == 3 and t.moved_blocks == 324 and t.copied_blocks == 203)
print("defrag ok")
EOF
expect_rc 0 "$E2LUA" -w -z "$T/b.undo" "$T/b" "$T/defrag.lua"
assert_grep "defrag ok" "$T/out" "4 KiB defrag"
check_moved "$T/b.json" "$T/b" "$f2,$pre,$unw" "4 KiB defragmentation"
assert_eq 1 "$(leaves "$T/b" /frag2)" "/frag2 leaf extents after"
debugfs -R "ex /prealloc" "$T/b" 2>/dev/null | grep -q "Uninit" || fail "/prealloc lost its unwritten extent"
e2undo "$T/b.undo" "$T/b" >/dev/null 2>&1 || fail "e2undo 4k"
cmp -s "$T/b" "$T/b0" || fail "e2undo did not restore the 4 KiB image byte for byte"

# ---- 1 KiB ext4: a depth-2 tree, and free space in one-block pieces --
mk_image "$T/c" ext4 1024 16M || { fail "mk_image ext4 1k"; finish; }
mk_frag_file "$T/c" /deep 1200 || fail "mk_frag_file /deep"
assert_eq 2 "$(depth "$T/c" /deep)" "/deep depth before"
cp "$T/c" "$T/d"
snapshot "$T/c" "$T/c.json"
deep=$(ino_of "$T/c" /deep)
expect_rc 0 "$E2LUA" -w "$T/c" -R "defrag /deep" -R commit
check_moved "$T/c.json" "$T/c" "$deep" "depth 2 defragmented"
assert_eq 1 "$(leaves "$T/c" /deep)" "/deep after defrag"
# Every other free block taken: no free range longer than a block.
nfree=$(free_blocks "$T/d")
# (the blocks /holes leaves at the end, for its own index blocks, make
# one longer range there)
mk_frag_file "$T/d" /holes $((nfree / 2 - 100)) || fail "mk_frag_file /holes"
snapshot "$T/d" "$T/d.json"
# (the longer range at the end saves some: fewer than 100 extents)
expect_rc 0 "$E2LUA" -w "$T/d" -R "defrag -G 100 /deep"
assert_grep "not staged 1: Relocating gains too few extents" "$T/out" "min_gain refusal"
expect_rc 0 "$E2LUA" "$T/d" -R "plan -m --min-gain=100 /deep"
assert_grep "not planned 1: Relocating gains too few extents" "$T/out" "min_gain refusal (plan)"
expect_rc 0 "$E2LUA" -w "$T/d" -R "migrate -m -G -1000 /deep" -R commit
assert_grep "free space too fragmented for the ideal" "$T/out" "too fragmented: said"
n=$(sed -n 's/.*relocate [0-9]*: [0-9]* -> \([0-9]*\) extents.*/\1/p' "$T/out")
[ "${n:-0}" -gt 336 ] || fail "best layout in one-block free ranges: ${n:-none} extents"
assert_eq "$n" "$(leaves "$T/d" /deep)" "extent count as planned"
assert_eq 2 "$(depth "$T/d" /deep)" "a depth-2 tree built in fragmented free space"
check_moved "$T/d.json" "$T/d" "$deep" "fragmented free space"
finish
