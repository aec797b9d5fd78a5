#!/bin/sh
# t_build_make.sh -- the build's promises: a plain `make` runs neither
# apt-get nor dpkg (missing libraries get the apt-get line, from
# pkg-config alone); e2.so exports luaopen_e2 and nothing else of ours;
# every object has its generated header dependencies; the build flags are
# recorded.
. "$(dirname "$0")/lib.sh"

# Package tools that record being called, first on PATH.
mkdir -p "$T/bin"
for t in apt-get apt dpkg dpkg-query; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$t" "$T/called" >"$T/bin/$t"
	chmod +x "$T/bin/$t"
done
PATH=$T/bin:$PATH make -s -C "$TOP" all >"$T/make.out" 2>&1 ||
	fail "make: $(tail -n 5 "$T/make.out")"
[ -f "$T/called" ] && fail "make ran package tools: $(cat "$T/called")"
# A library pkg-config does not find: the install line, still no dpkg.
PATH=$T/bin:$PATH make -s -C "$TOP" libs PKGS="ext2fs no_such_lib_e2lua" >"$T/out" 2>&1 &&
	fail "make libs with a missing library succeeded"
assert_grep "no_such_lib_e2lua" "$T/out" "missing library named"
assert_grep "apt-get install" "$T/out" "the install line"
[ -f "$T/called" ] && fail "make libs ran package tools: $(cat "$T/called")"

# One exported function of ours (a sanitized build adds the sanitizers').
so=$TOP/build/e2.so
nm -D --defined-only "$so" >"$T/nm" 2>&1 || fail "nm -D $so: $(cat "$T/nm")"
grep -v ' \(__asan\|__ubsan\|__odr_asan\|__sanitizer\|_init$\|_fini$\)' "$T/nm" |
	awk '$2 ~ /^[TtWiV]$/ { print $3 }' >"$T/exported"
assert_eq "luaopen_e2" "$(cat "$T/exported")" "functions e2.so exports"

# Header dependencies: each object's .d names the headers it includes.
# (Over the sources: a build dir may keep objects of files since removed.)
for c in "$TOP"/core/*.c "$TOP"/bindings/*.c "$TOP"/shell/*.c; do
	d=$TOP/build/${c#"$TOP"/}; d=${d%.c}.d
	[ -f "$d" ] || { fail "no $d"; continue; }
	grep -q 'e2c\.h' "$d" || fail "$d lacks core/e2c.h"
done
grep -q '^CC=.* CFLAGS=.* SANITIZE=' "$TOP/build/.make-settings" 2>/dev/null ||
	fail "build flags not recorded in build/.make-settings"
finish
