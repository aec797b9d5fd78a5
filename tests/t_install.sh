# make install puts the binary, the Lua scripts, the module, the Lua
# modules, the man page and the documents it names under PREFIX; the
# installed e2lua finds its scripts there by itself, and a stock lua5.4
# finds `e2` and `e2.policy` where its default package.path and cpath
# look under that PREFIX.
. "$(dirname "$0")/lib.sh"
unset E2LUA_SCRIPTS
prefix=/usr/local
make -s -C "$TOP" install DESTDIR="$T/root" PREFIX=$prefix >"$T/make.out" 2>&1 ||
	{ fail "make install: $(tail -5 "$T/make.out")"; finish; }
p=$T/root$prefix
for f in bin/e2lua share/man/man1/e2lua.1 lib/lua/5.4/e2.so share/lua/5.4/e2/policy.lua \
	 share/e2lua/scripts/migrate-all.lua share/e2lua/scripts/commands/frag.lua \
	 share/e2lua/scripts/lib/e2/policy.lua share/doc/e2lua/README.md; do
	[ -f "$p/$f" ] || fail "not installed: $f"
done
# Every Lua module, and every document the manual names.
n=0
for f in $(cd "$TOP/scripts/lib" && find . -name '*.lua'); do
	n=$((n + 1))
	cmp -s "$TOP/scripts/lib/$f" "$p/share/lua/5.4/$f" || fail "not installed: share/lua/5.4/$f"
done
[ "$n" -gt 1 ] || fail "no Lua modules found in scripts/lib"
for d in $(sed -n 's/.*\(doc\/[a-z-]*\.md\).*/\1/p; s/.*e2lua\/\([a-z-]*\.md\).*/doc\/\1/p' \
		"$TOP/doc/e2lua.1" | sed 's/\\-/-/g' | sort -u); do
	[ -f "$p/share/doc/e2lua/${d#doc/}" ] || fail "the manual names $d, not installed"
done
grep -q 'share/doc/e2lua' "$TOP/doc/e2lua.1" || fail "the manual does not say where the documents are"

mk_image "$T/img" ext3 1024 16M || fail "mk_image"
# frag is a Lua command: it exists only if the scripts were found.
expect_rc 0 "$p/bin/e2lua" -R "frag /dind" "$T/img"
assert_grep "Fragments:" "$T/out" "installed e2lua runs a Lua command"
expect_rc 0 "$p/bin/e2lua" -R "run migrate-all --dry-run" "$T/img"
assert_grep "dry run" "$T/out" "installed e2lua finds a policy by name"

# A stock lua5.4: its own default paths, the entries under PREFIX moved
# into DESTDIR (what LUA_PATH/LUA_CPATH would not need without DESTDIR).
if command -v lua5.4 >/dev/null; then
	under() {	# default-path: its entries under $prefix, inside DESTDIR
		echo "$1" | tr ';' '\n' | grep "^$prefix/" | sed "s|^|$T/root|" | paste -sd';' -
	}
	dpath=$(env -u LUA_PATH -u LUA_PATH_5_4 lua5.4 -e 'io.write(package.path)')
	dcpath=$(env -u LUA_CPATH -u LUA_CPATH_5_4 lua5.4 -e 'io.write(package.cpath)')
	[ -n "$(under "$dpath")" ] && [ -n "$(under "$dcpath")" ] ||
		fail "lua5.4's default paths look nowhere under $prefix: $dpath $dcpath"
	cat >"$T/stock.lua" <<'EOF'
local e2 = require "e2"
local policy = require "e2.policy"
print(package.searchpath("e2", package.cpath))
print(package.searchpath("e2.policy", package.path))
local fs <close> = e2.open(arg[1])
local s = policy.run(fs, { name = "stock", dry_run = true, out = function() end })
print("files " .. s.files)
EOF
	# Sanitized: lua_close unloads the module and with it libcom_err, whose
	# error-table list nodes then look leaked; the specs check the module's
	# leaks (they exit without unloading).
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$(asan_preload "$p/lib/lua/5.4/e2.so") \
	LUA_PATH=$(under "$dpath") LUA_CPATH=$(under "$dcpath") \
		expect_rc 0 lua5.4 "$T/stock.lua" "$T/img"
	assert_eq "$p/lib/lua/5.4/e2.so" "$(sed -n 1p "$T/out")" "stock lua5.4 finds e2"
	assert_eq "$p/share/lua/5.4/e2/policy.lua" "$(sed -n 2p "$T/out")" \
		"stock lua5.4 finds e2.policy"
	assert_grep "^files [1-9][0-9]*$" "$T/out" "e2.policy runs under a stock lua5.4"
else
	fail "lua5.4 not installed (make check installs it)"
fi
if command -v man >/dev/null; then
	man -l "$p/share/man/man1/e2lua.1" >/dev/null 2>&1 || fail "man page does not render"
fi
finish
