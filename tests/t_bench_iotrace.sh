#!/bin/sh
# tests/bench/iotrace.py (doc/bench.md, "At scale"): it sorts a command's
# requests on an image by kind of block.  Oracle: dumpe2fs, which reads
# every group's block and inode bitmap once, and the layout dumpe2fs -h
# gives (the number of groups).
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "strace not installed"
mk_image "$T/img" ext3 1024 || fail "mk_image"
groups=$(dumpe2fs "$T/img" 2>/dev/null | grep -c '^Group [0-9]')
[ "$groups" -gt 1 ] || fail "dumpe2fs lists $groups groups"
# LeakSanitizer cannot run under ptrace (make check SANITIZE=1).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
expect_rc 0 python3 "$TOP/tests/bench/iotrace.py" "$T/img" dumpe2fs "$T/img"
cat "$T/out"
assert_grep "^reads: [0-9]* requests" "$T/out" "reads summary"
assert_grep "^  block bitmap  *$groups requests" "$T/out" "one block bitmap read a group"
assert_grep "^  inode bitmap  *$groups requests" "$T/out" "one inode bitmap read a group"
assert_grep "^writes: none" "$T/out" "dumpe2fs writes nothing"
# Writes are counted too, and a failing command's status comes back.
cp "$T/img" "$T/w"
expect_rc 0 python3 "$TOP/tests/bench/iotrace.py" "$T/w" "$E2LUA" -w "$T/w" \
	"$TOP/scripts/migrate-all.lua"
assert_grep "^writes: [1-9][0-9]* requests" "$T/out" "a migration writes"
assert_grep "^  inode table .*requests" "$T/out" "inode-table writes"
fsck_clean "$T/w"
# Only the groups whose descriptor counts an inode in use have their
# inode bitmap read (issue 12): here 1 of 8 (dumpe2fs: the groups with
# fewer free inodes than inodes per group).
mkdir "$T/few"
python3 -c "
for i in range(40):
    open('$T/few/f%02d' % i, 'wb').write(b'x' * 3000 * (1 + i % 5))"
mke2fs -q -F -t ext3 -b 1024 -N 2048 -d "$T/few" "$T/few.img" 64M >/dev/null 2>&1 ||
	fail "mke2fs few"
dumpe2fs "$T/few.img" >"$T/few.dump" 2>/dev/null
ipg=$(sed -n 's/^Inodes per group: *//p' "$T/few.dump")
ngroups=$(grep -c '^Group [0-9]' "$T/few.dump")
used=$(awk -v ipg="$ipg" '/ free blocks, .* free inodes, / { n += ($4 < ipg) } END { print n + 0 }' "$T/few.dump")
[ "$ngroups" -gt 4 ] && [ "$used" -ge 1 ] && [ "$used" -lt "$ngroups" ] ||
	fail "few: $used of $ngroups groups hold inodes"
expect_rc 0 python3 "$TOP/tests/bench/iotrace.py" "$T/few.img" "$E2LUA" -w "$T/few.img" \
	"$TOP/scripts/migrate-all.lua"
assert_grep "^  inode bitmap  *$used requests" "$T/out" "inode bitmaps of the $used groups in use"
fsck_clean "$T/few.img"
expect_rc 3 python3 "$TOP/tests/bench/iotrace.py" "$T/img" sh -c "exit 3"
finish
