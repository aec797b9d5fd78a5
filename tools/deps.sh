#!/bin/sh
# deps.sh -- the Debian packages e2lua builds and tests with.
#   tools/deps.sh libs MODULE...  (plain make) check the pkg-config modules;
#                                 never installs, never runs dpkg or apt:
#                                 prints the apt-get line and fails
#   tools/deps.sh build           what `make` needs  } installed as root,
#   tools/deps.sh check           also the tests     } else the exact
#   tools/deps.sh bench           also the benchmark } apt-get line, fail
set -u

# The Debian package that ships a pkg-config module.
package_of() {
	case $1 in
	ext2fs|e2p) echo libext2fs-dev ;;
	com_err) echo comerr-dev ;;
	lua5.4) echo liblua5.4-dev ;;
	readline) echo libreadline-dev ;;
	libcrypto) echo libssl-dev ;;
	libxxhash) echo libxxhash-dev ;;
	blkid) echo libblkid-dev ;;
	uuid) echo uuid-dev ;;
	jansson) echo libjansson-dev ;;
	*) echo "(the package with $1.pc)" ;;
	esac
}

if [ "${1:-}" = libs ]; then
	shift
	missing="" pkgs=""
	command -v pkg-config >/dev/null 2>&1 || pkgs=" pkg-config"
	for m in "$@"; do
		pkg-config --exists "$m" 2>/dev/null && continue
		missing="$missing $m"
		p=$(package_of "$m")
		case " $pkgs " in *" $p "*) ;; *) pkgs="$pkgs $p" ;; esac
	done
	[ -z "$missing$pkgs" ] && exit 0
	[ -n "$missing" ] && echo "deps: pkg-config does not find:$missing" >&2
	echo "deps: install them:  apt-get install$pkgs   (or, as root: make deps)" >&2
	exit 1
fi

need="pkg-config gcc make libext2fs-dev comerr-dev liblua5.4-dev libreadline-dev libssl-dev libxxhash-dev libblkid-dev uuid-dev libjansson-dev"
case "${1:-build}" in
build) ;;
check) need="$need e2fsprogs lua5.4 python3 valgrind clang xxhash fdisk jq strace" ;;
bench) need="$need e2fsprogs lua5.4 python3 time" ;;
*) echo "usage: deps.sh libs MODULE... | build | check | bench" >&2; exit 2 ;;
esac

missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >&2 ||
		{ echo "deps: apt-get failed" >&2; exit 1; }
	exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: run as root:  apt-get install$missing" >&2
exit 1
