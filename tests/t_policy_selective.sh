#!/bin/sh
# selective: each criterion (paths as prefixes, globs, ** and lists; type;
# owner, uid, gid, group; mtime before/after; fragmentation), combined, on
# ext4 without extents (metadata_csum, huge_file, flex_bg), 1 KiB blocks.
# The inodes that must be chosen come from tests/verify.py's model of the
# snapshot, not from e2lua.  Then bad criteria: errors, nothing written.
. "$(dirname "$0")/lib.sh"

base=$T/base.img
mk_image "$base" ext4noext 1024 32M || { fail "mk_image"; finish; }
# Owners and times to select by.
cat >"$T/attrs.cmds" <<'EOF'
sif /twelve uid 1000
sif /thirteen uid 1000
sif /thirteen gid 100
sif /slowlink uid 1000
sif /dir/sub/deep/x gid 100
sif /dind gid 100
sif /tiny mtime @1500000000
sif /sparse_ind mtime @1600000000
sif /dir/big/f0001 mtime @1600000000
EOF
debugfs_wf "$base" "$T/attrs.cmds" || fail "debugfs sif"
snapshot "$base" "$T/base.json"
S=$T/base.json

# Prefixes, a bracket glob and a type; --verbose shows the walked paths.
policy_case "$S" "$base" selective "--path /dir/sub --path /dir/big/f00[0-4]? --type regular" \
	--path /dir/sub --path '/dir/big/f00[0-4]?' --type regular --verbose
assert_grep "^  <[0-9]*> /dir/sub/deep/x: 4 data blocks" "$T/run.out" "--verbose path lines"
# ** across directories, a relative glob, and two names of one inode
# (migrated once).
policy_case "$S" "$base" selective "--path /**/x --path /hardlink_* --path /sparse_?nd" \
	--path '/**/x' --path '/hardlink_*' --path 'sparse_?nd'
# A list in a file (comments, blank lines), with a type.
printf '# dirs\n\n/dir/sub\n  /fill  \n' >"$T/list"
policy_case "$S" "$base" selective "--path /dir/sub --path /fill --type directory" \
	--paths-from "$T/list" --type directory
# Owner by uid, by name, and group.
policy_case "$S" "$base" selective "--uid 1000 --type regular" --uid 1000 --type regular
if grep -q '^users:[^:]*:100:' /etc/group; then group=users; else group=100; fi
policy_case "$S" "$base" selective "--uid 0 --gid 100" --owner root --group "$group"
policy_case "$S" "$base" selective "--gid 100 --type regular --type symlink" --gid 100 --type regular --type symlink
# mtime: dates (UTC) and epoch seconds; before is strict, after inclusive.
policy_case "$S" "$base" selective "--mtime-before 1601510400 --mtime-after 1499990400" \
	--mtime-before 2020-10-01 --mtime-after 2017-07-14
policy_case "$S" "$base" selective "--mtime-before 1600000000" --mtime-before 1600000000
policy_case "$S" "$base" selective "--mtime-after 1600000000 --path /dir/big" \
	--mtime-after 1600000000 --path /dir/big
# Fragmentation (data runs now); --min-fragments, the old name of
# --min-runs, selects the same.
policy_case "$S" "$base" selective "--min-fragments 3" --min-runs 3
policy_case "$S" "$base" selective "--min-fragments 3" --min-fragments 3
# Symlinks: the slow one is migrated, the fast one skipped with its reason.
policy_case "$S" "$base" selective "--type symlink" --type symlink
assert_grep "^  skipped:        1 (.*fast symlink" "$T/run.out" "fast symlink skipped"

# At the prompt, relative patterns start at the current directory.
printf 'cd /dir\nrun selective --path sub --path "big/f000?" --dry-run -v\n' >"$T/cd.cmds"
expect_rc 0 "$E2LUA" -f "$T/cd.cmds" "$base"
assert_grep "dry run, nothing written: 13 inodes (11 files, 2 directories) would" "$T/out" "cd + relative --path"
assert_grep "^  <[0-9]*> /dir/sub/deep/x: " "$T/out" "cd + relative --path: /dir/sub"
assert_grep "^  <[0-9]*> /dir/big/f0009: " "$T/out" "cd + relative --path: /dir/big glob"

# Bad criteria: a message naming the problem, exit 1, nothing written.
img=$T/bad.img
cp "$base" "$img"
bad() {	# message args...
	msg=$1; shift
	expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/selective.lua" "$@"
	assert_grep "$msg" "$T/err" "selective $*"
}
bad "selective: no criteria given" --dry-run
bad "bad type 'fifo'" --type fifo
bad "--path /nope: /nope not found" --path /nope
bad "--path /nope/\*\*: /nope not found" --path '/nope/**'
bad "bad date '2020-13-01'" --mtime-before 2020-13-01
bad "--paths-from: cannot read $T/missing" --paths-from "$T/missing"
bad "unknown user 'no-such-user-e2lua'" --owner no-such-user-e2lua
bad "--min-fragments needs a value" --min-fragments
bad "unexpected argument 'extra'" --type regular extra
bad "unknown option --max-files" --type regular --max-files 3
cmp -s "$base" "$img" || fail "refused runs changed the image"

finish
