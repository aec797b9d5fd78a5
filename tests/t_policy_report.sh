#!/bin/sh
# What a policy says (issue 9, "say it plainly"): the summary counts
# inodes by type with singulars ("1 inode (1 symlink)", "1 batch"), says
# what was examined and filtered out, "allocated" for index blocks in a
# real run and "would be allocated" in a dry run; --verbose names every
# file by its whole path, also past 255 bytes and 32 directories deep.
. "$(dirname "$0")/lib.sh"

img=$T/base.img
mk_image "$img" ext2 1024 16M || { fail "mk_image"; finish; }
# A file 40 directories down: its path is 761 bytes long.
dir=""
i=10
while [ $i -lt 50 ]; do
	dir="$dir/directory_level_$i"
	echo "mkdir $dir"
	i=$((i + 1))
done >"$T/deep.cmds"
python3 -c "import random; open('$T/five', 'wb').write(random.Random(5).randbytes(5000))"
echo "write $T/five $dir/file" >>"$T/deep.cmds"
debugfs_wf "$img" "$T/deep.cmds" || fail "debugfs mkdir"
deep=$dir/file
[ ${#deep} -gt 255 ] || fail "the deep path is only ${#deep} bytes"
dino=$(debugfs -R "stat $deep" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')

# --verbose in a scan (paths looked up by inode) and in a walk.
expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/migrate-all.lua" --dry-run --verbose
assert_grep "^  <$dino> $deep: 5 data blocks, 1 run -> 1 extent, depth 0, +0 index, -0 indirect$" \
	"$T/out" "--verbose: a path of ${#deep} bytes"
assert_grep "^  <[0-9]*> $dir: 1 data block, 1 run -> 1 extent, depth 0" "$T/out" \
	"--verbose: a directory 40 deep"
grep -q "^  <[0-9]*>:" "$T/out" && fail "--verbose: an inode without its path: $(grep "^  <[0-9]*>:" "$T/out")"
expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/selective.lua" --dry-run -v --path '/directory_level_10/**/file'
assert_grep "^  <$dino> $deep: 5 data blocks" "$T/out" "--verbose in a walk"
expect_rc 0 "$E2LUA" -e "print(fs:path($dino))" "$img"
assert_eq "$deep" "$(cat "$T/out")" "fs:path of the deep file"

# One symlink: singulars, types, examined, "would be allocated".
expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/selective.lua" --type symlink --dry-run
cat >"$T/want" <<EOF
selective: dry run, nothing written: 1 inode (1 symlink) would be migrated
  examined:       2 inodes
  data blocks:    1
  extents:        1
  index blocks:   0 would be allocated
  indirect freed: 0
EOF
head -n 6 "$T/out" | diff "$T/want" - >"$T/diff" || fail "dry run summary: $(cat "$T/diff")"
assert_grep "^  skipped:        1 (Inode has no block map (fast symlink, device, fifo or socket): 1)$" \
	"$T/out" "dry run: the fast symlink skipped"
cp "$img" "$T/run.img"
expect_rc 0 "$E2LUA" -w "$T/run.img" "$TOP/scripts/selective.lua" --type symlink
assert_eq "selective: migrated 1 inode (1 symlink) in 1 batch" "$(head -n 1 "$T/out")" "real run: first line"
assert_grep "^  index blocks:   0 allocated$" "$T/out" "real run: allocated"

# Files, directories and symlinks apart; examined and filtered out
# against tests/verify.py's model; the index blocks of /frag (400 runs)
# allocated.
snapshot "$T/run.img" "$T/run.json"
all=$(python3 "$TOP/tests/verify.py" expect "$T/run.json" | sed -n 1p)
sel=$(python3 "$TOP/tests/verify.py" expect "$T/run.json" --min-fragments 2 | sed -n 1p)
count=$(python3 - "$T/run.json" "$all" "$sel" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["inodes"]
every, sel = sys.argv[2].split(","), sys.argv[3].split(",")
ts = [s[i]["type"] for i in sel]
# examined: every inode in use but the reserved ones (below 11, not the root)
examined = sum(1 for i in s.values() if i["ino"] >= 11 or i["ino"] == 2)
print("%d inodes (%d files, %d directories)|%d inodes (%d filtered out)" % (len(sel),
      ts.count("regular"), ts.count("directory"), examined, len(every) - len(sel)))
EOF
)
expect_rc 0 "$E2LUA" -w "$T/run.img" "$TOP/scripts/sized.lua" --min-fragments 2
assert_grep "^sized: migrated ${count%|*} in 1 batch$" "$T/out" "sized --min-fragments 2: by type"
assert_grep "^  examined:       ${count#*|}$" "$T/out" "sized --min-fragments 2: examined and filtered"
assert_grep "^  index blocks:   [1-9][0-9]* allocated$" "$T/out" "sized: index blocks allocated"
check_migrated "$T/run.json" "$T/run.img" "$sel" "sized --min-fragments 2"

finish
