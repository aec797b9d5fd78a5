#!/bin/sh
# run_spec.sh SPEC -- run one Lua spec of the e2 module under a stock lua5.4.
#
# The spec's line "-- images: KIND:BS[:SIZE][+uninit] ..." lists the images
# it needs; each is built fresh with tests/lib.sh's mk_image (KIND ext2,
# ext3, ext4noext, ext4; SIZE as mke2fs takes it, default 64M; "+uninit"
# adds mk_uninit's unwritten extents) and passed
# as arg[1], arg[2], ...  The spec gets a scratch directory in $E2L_TMP and
# loads build/e2.so through LUA_CPATH, its helpers from tests/lua/.
# Exit status: the spec's (0 passed, 1 failed, 77 skipped).
spec=$1
[ -f "$spec" ] || { echo "usage: run_spec.sh SPEC" >&2; exit 2; }
. "$(dirname "$0")/../lib.sh"
# lib.sh takes the top from $0, one level too shallow for tests/lua/.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export E2LUA_SCRIPTS=$TOP/scripts

[ -f "$TOP/build/e2.so" ] || { echo "run_spec.sh: build/e2.so missing (make build/e2.so)" >&2; exit 1; }
command -v lua5.4 >/dev/null || skip "lua5.4 not installed"

set --
for img in $(sed -n 's/^-- images: *//p' "$spec"); do
	kind=${img%%:*} rest=${img#*:}
	geom=${rest%%+*} bs=${rest%%[:+]*} size=64M
	case $geom in *:*) size=${geom#*:} ;; esac
	file="$T/$kind-$bs.img"
	mk_image "$file" "$kind" "$bs" "$size" || { echo "mk_image $img failed" >&2; exit 1; }
	case $rest in *+uninit*) mk_uninit "$file" "$bs" || exit 1 ;; esac
	set -- "$@" "$file"
done

export E2L_TMP="$T"
# A module built with SANITIZE=1 needs the ASan runtime loaded first.
LD_PRELOAD=$(asan_preload "$TOP/build/e2.so") \
LUA_CPATH="$TOP/build/?.so" LUA_PATH="$TOP/tests/lua/?.lua" \
	lua5.4 "$spec" "$@"
