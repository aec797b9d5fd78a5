#!/bin/sh
# t_build_contract.sh -- the core's contract (core/e2c.h): e2c_fs is
# opaque outside core/ (its struct is defined in core/e2c_int.h alone, so
# bindings/, shell/ and the test programs compile without it: a field read
# there is a build error), nothing outside core/ includes the private
# header (but the white-box unit tests of the allocator, of unmigrate's
# block map builder and of the layout planner), and no object outside
# the core calls a function the private header declares.
. "$(dirname "$0")/lib.sh"

cd "$TOP" || exit 2
grep -n 'struct e2c_fs[[:space:]]*{' core/e2c.h >"$T/def" &&
	fail "core/e2c.h defines struct e2c_fs: $(cat "$T/def")"
grep -q 'typedef struct e2c_fs e2c_fs;' core/e2c.h ||
	fail "core/e2c.h does not declare the opaque e2c_fs"
grep -q '^struct e2c_fs[[:space:]]*{' core/e2c_int.h ||
	fail "core/e2c_int.h does not define struct e2c_fs"

# Who includes the private header (or its old name).
grep -rlE '#[[:space:]]*include[[:space:]]*"(e2c_int|migrate)\.h"' \
	bindings shell tests tools 2>/dev/null |
	grep -vxE 'tests/unit/test_(alloc|unmigrate|layout)\.c' >"$T/inc"
[ -s "$T/inc" ] && fail "outside core/ including core/e2c_int.h: $(cat "$T/inc")"

# The functions the private header declares, and the objects outside the
# core that call one of them.
sed -n 's/^[a-z_0-9 ]*[ *]\(e2c_[a-z0-9_]*\)(.*/\1/p' core/e2c_int.h |
	sort -u >"$T/private"
[ "$(wc -l <"$T/private")" -ge 20 ] ||
	fail "too few private functions found: $(cat "$T/private")"
while read -r f; do
	grep -q "^$f(" core/*.c 2>/dev/null ||
		grep -q "[ *]$f(" core/*.c || fail "$f declared but not defined"
	grep -qE "^[a-z].*[ *]$f\(" core/e2c.h && fail "$f in both e2c.h and e2c_int.h"
done <"$T/private"
objs=$(ls build/bindings/*.o build/shell/*.o build/tests/crash/*.o 2>/dev/null)
[ -n "$objs" ] || fail "no objects in build/: run make first"
for o in $objs; do
	nm -u "$o" | awk '{ print $2 }' | grep -Fxf "$T/private" |
		sed "s|^|$o calls |"
done >"$T/calls"
[ -s "$T/calls" ] && fail "private functions called outside core/: $(cat "$T/calls")"
finish
