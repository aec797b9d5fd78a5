#!/bin/sh
# t_crash_undo.sh -- e2lua -w -z killed, or its undo disk full, during a
# migrate-all, then the recovery doc/crash.md gives.  strace's fault
# injection drives it (counted system calls: no timing):
#  - kill -9 at every fsync (issue 8's reproducer: on a 4 KiB filesystem
#    the undo header said 1 KiB after the superblock's first write, and
#    e2undo -f destroyed the filesystem); with CRASH_ALL=1 on a 1 KiB
#    image too;
#  - kill -9 at writes of the image (the first, middle and last; every one
#    with CRASH_ALL=1);
#  - ENOSPC from the Kth write of the undo file on (K the first, middle
#    and last; every K with CRASH_ALL=1), and an undo file on /dev/full:
#    the commit stops naming the undo file, e2fsck -fn is clean at once, a
#    second commit is refused.
# After each: e2undo (with -f when the superblock no longer matches its
# copy) gives back the original, or refuses without writing when there was
# nothing to undo (tests/crash/recovery.py).
. "$(dirname "$0")/lib.sh"

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"
command -v strace >/dev/null 2>&1 || skip "strace not installed"
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace)"
# LeakSanitizer cannot run under ptrace (make check SANITIZE=1): the
# traced runs do without it; the others keep it.
strace() { ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" command strace "$@"; }
rec=$TOP/tests/crash/recovery.py
mig=$TOP/scripts/migrate-all.lua
all=${CRASH_ALL:-0}

# The reproducer's tree: 50 files of 3000 to 150000 bytes.
python3 -c "
import os, random
r = random.Random(8)
os.makedirs('$T/ut')
for i in range(1, 51):
    open('$T/ut/f%d' % i, 'wb').write(r.randbytes(i * 3000))
"

# run_killed NAME IMG UNDO STRACE-ARGS...: migrate-all under strace,
# expecting a kill (exit 137).
run_killed() {
	name=$1 img=$2 undo=$3; shift 3
	strace -f -o /dev/null "$@" "$E2LUA" -w -z "$undo" "$img" "$mig" \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$name: exit $rc, wanted a kill (137): $(tail -n 3 "$T/err")"
}

# check NAME ORIG IMG UNDO: the documented recovery.
check() {
	python3 "$rec" "$2" "$3" "$4" >"$T/rec" 2>&1 ||
		fail "$1: $(cat "$T/rec")"
}

# count SYSCALL IMG UNDO [-P PATH]: how many calls a full run makes.
count() {
	call=$1 img=$2 undo=$3; shift 3
	rm -f "$undo"
	strace -f -o "$T/trace" "$@" -e trace="$call" "$E2LUA" -w -z "$undo" \
		"$img" "$mig" >/dev/null 2>&1 || { echo 0; return; }
	grep -c "$call(" "$T/trace"
}

sizes=4096
[ "$all" = 1 ] && sizes="4096 1024"
for bs in $sizes; do
	orig=$T/orig.$bs
	mke2fs -q -F -t ext3 -b $bs -d "$T/ut" "$orig" 64M >/dev/null 2>&1 ||
		{ fail "mke2fs $bs"; continue; }
	img=$T/img.$bs undo=$T/undo.$bs

	# Kill at every fsync.
	cp "$orig" "$img"
	n=$(count fsync "$img" "$undo")
	[ "$n" -ge 5 ] || fail "$bs: only $n fsyncs in a migrate-all"
	k=1
	while [ $k -le "$n" ]; do
		cp "$orig" "$img"
		rm -f "$undo"
		run_killed "$bs: kill at fsync $k" "$img" "$undo" \
			-e trace=fsync -e inject=fsync:signal=KILL:when=$k
		check "$bs: kill at fsync $k of $n" "$orig" "$img" "$undo"
		k=$((k + 1))
	done
	[ "$bs" = 4096 ] || continue

	# Kill at writes of the image (unix_io writes with pwrite, or with
	# lseek and write when that fails).
	cp "$orig" "$img"
	n=$(count pwrite64 "$img" "$undo" -P "$img")
	[ "$n" -ge 10 ] || fail "$bs: only $n image writes in a migrate-all"
	pts="1 $((n / 2)) $n"
	[ "$all" = 1 ] && pts=$(seq 1 "$n")
	for k in $pts; do
		cp "$orig" "$img"
		rm -f "$undo"
		run_killed "$bs: kill at image write $k" "$img" "$undo" -P "$img" \
			-e trace=pwrite64 -e inject=pwrite64:signal=KILL:when=$k
		check "$bs: kill at image write $k of $n" "$orig" "$img" "$undo"
	done

	# The undo disk full from its Kth write on.  The undo file's path as
	# the kernel gives it (strace -P resolves descriptors to it).
	cp "$orig" "$img"
	undo=$(cd "$T" && pwd -P)/undo.full
	n=$(count pwrite64 "$img" "$undo" -P "$undo")
	[ "$n" -ge 10 ] || fail "$bs: only $n undo-file writes in a migrate-all"
	pts="1 $((n / 2)) $n"
	[ "$all" = 1 ] && pts=$(seq 1 "$n")
	for k in $pts; do
		cp "$orig" "$img"
		rm -f "$undo"
		strace -f -o /dev/null -P "$undo" -e trace=pwrite64,write \
			-e inject=pwrite64:error=ENOSPC:when=$k+ \
			-e inject=write:error=ENOSPC \
			"$E2LUA" -w -z "$undo" "$img" "$mig" >"$T/out" 2>"$T/err"
		rc=$?
		what="$bs: undo disk full from its write $k of $n"
		[ $rc = 1 ] || fail "$what: exit $rc"
		# In the commit (libext2fs may turn it into its own words:
		# "Can't write a block bitmap (undo file U: No space...)"),
		# or in the header written as the undo file closes (its last
		# writes: the migration is complete, the undo file is not).
		grep -q -e "commit .*undo file $undo: No space left on device" \
			-e "close .*: The undo file could not be completed: e2undo needs -f, then run e2fsck -f (undo file $undo)" \
			"$T/err" || fail "$what: $(cat "$T/err")"
		[ $k = "$n" ] && assert_grep "close .*: The undo file could not be completed" "$T/err" "$what"
		e2fsck -fn "$img" >"$T/fsck" 2>&1 ||
			fail "$what: e2fsck -fn: $(tail -n 5 "$T/fsck")"
		check "$what" "$orig" "$img" "$undo"
	done
done

# An undo file on a device that is always full: the first commit stops
# before anything is written, naming the file; the next is refused.
img=$T/img.4096
cp "$T/orig.4096" "$img"
printf '%s\n' "migrate /f1 /f2" commit commit >"$T/cmds"
expect_rc 1 "$E2LUA" -w -z /dev/full -f "$T/cmds" "$img"
assert_grep "commit .*img.4096: undo file /dev/full: No space left on device" "$T/err" "/dev/full"
assert_grep "An earlier write of the undo file failed" "$T/err" "/dev/full: second commit"
cmp -s "$img" "$T/orig.4096" || fail "/dev/full: the image changed"
finish
