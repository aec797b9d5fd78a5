#!/bin/sh
# migrate-all on ext2 1K, ext3 4K, ext4 without extents (metadata_csum,
# huge_file, flex_bg) 1K and 4K: every migratable inode becomes
# extent-mapped, nothing else changes, contents identical, e2fsck clean,
# free blocks as predicted.  Also: batches, `run` at the prompt, the Lua
# API (summary table), bad options, read-only refusal.
. "$(dirname "$0")/lib.sh"

for case in ext2:1024:7 ext3:4096:1000 ext4noext:1024:100 ext4noext:4096:1; do
	kind=${case%%:*} rest=${case#*:}
	bs=${rest%%:*} batch=${rest#*:}
	mk_image "$T/$kind.$bs" "$kind" "$bs" 32M || { fail "mk_image $kind $bs"; continue; }
	snapshot "$T/$kind.$bs" "$T/base.json"
	policy_case "$T/base.json" "$T/$kind.$bs" migrate-all "" --batch "$batch"
	# the number of commits follows --batch
	files=$(sed -n 's/.*migrated \([0-9]*\) inodes (.*/\1/p' "$T/run.out")
	batches=$(( (files + batch - 1) / batch ))
	[ "$batches" = 1 ] && b=batch || b=batches
	assert_grep "migrated $files inodes (.*) in $batches $b\$" "$T/run.out" "$kind $bs --batch $batch"
done

# A dry run needs no -w.
img=$T/ext2.1024
cp "$img" "$T/ro.img"
expect_rc 0 "$E2LUA" "$T/ro.img" "$TOP/scripts/migrate-all.lua" --dry-run
assert_grep "dry run, nothing written: [1-9][0-9]* inodes (.*) would be migrated" "$T/out" "read-only dry run"
cmp -s "$img" "$T/ro.img" || fail "read-only dry run changed the image"

# From the prompt (`run NAME ARGS`), --verbose lines, and a second run has
# nothing left to do.
img=$T/ext4noext.4096
snapshot "$img" "$T/base.json"
inos=$(python3 "$TOP/tests/verify.py" expect "$T/base.json" | sed -n 1p)
expect_rc 0 "$E2LUA" -w -R "run migrate-all --verbose --batch 50" "$img"
assert_grep "^  <434> /frag: 400 data blocks, 400 runs -> 400 extents, depth 1, +2 index, -1 indirect" \
	"$T/out" "run migrate-all --verbose: the line of /frag"
assert_grep "^  skip <421> /fastlink: " "$T/out" "--verbose: skipped inodes and why"
check_migrated "$T/base.json" "$img" "$inos" "run migrate-all"
before=$(sum "$img")
expect_rc 0 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua"
assert_grep "migrated 0 inodes in 0 batches" "$T/out" "second migrate-all"
assert_grep "already extent-mapped.*: $(echo "$inos" | tr ',' '\n' | grep -c .)" "$T/out" \
	"second migrate-all counts the extent-mapped inodes as skipped"

# The Lua API: policy.run returns the summary table.
img=$T/ext2.1024
mk_image "$img" ext2 1024 32M || fail "mk_image"
expect_rc 0 "$E2LUA" -e '
	local s = require("e2.policy").run(fs, { name = "api", dry_run = true,
		types = { symlink = true }, out = function() end })
	assert(s.files == 1 and s.skipped_total == 1, "files " .. s.files)
	assert(s.free_after == s.free_before - s.used_delta and s.dry_run)
	print("ok", s.files, s.skipped_total)' "$img"
assert_grep "^ok	1	1$" "$T/out" "policy.run summary"
# A stock policy's main chunk returns the summary too.
expect_rc 0 "$E2LUA" -e '
	arg = { "--dry-run" }
	local s = dofile(os.getenv("E2LUA_SCRIPTS") .. "/migrate-all.lua")
	print("files", s.files, s.dry_run)' "$img"
assert_grep "^files	[1-9][0-9]*	true$" "$T/out" "migrate-all.lua returns its summary"

# Bad options: a usage message, a non-zero exit, nothing written.
before=$(sum "$img")
expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --bogus
assert_grep "migrate-all: unknown option --bogus" "$T/err" "unknown option"
assert_grep "usage: migrate-all" "$T/err" "unknown option: usage"
expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --batch 0
assert_grep "batch: bad number '0'" "$T/err" "--batch 0"
expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/migrate-all.lua" --path /dir
assert_grep "unknown option --path" "$T/err" "migrate-all takes no criteria"
expect_rc 1 "$E2LUA" "$img" "$TOP/scripts/migrate-all.lua"
assert_grep "open read-only: open it with -w, or use --dry-run" "$T/err" "read-only"
expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/migrate-all.lua" --help
assert_grep "^  --batch N  *commit every N inodes" "$T/out" "--help"
assert_eq "$before" "$(sum "$img")" "image after refused runs"

finish
