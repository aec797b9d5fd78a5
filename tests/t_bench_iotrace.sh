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
expect_rc 3 python3 "$TOP/tests/bench/iotrace.py" "$T/img" sh -c "exit 3"
finish
