#!/bin/sh
# deps.sh -- make sure the Debian packages e2lua builds and tests with are
# installed.  As root it installs what is missing; otherwise it prints the
# exact apt-get line and fails.
#   tools/deps.sh build   what `make` needs
#   tools/deps.sh check   also what the tests need
#   tools/deps.sh bench   also what the benchmark needs
set -u
need="pkg-config gcc make libext2fs-dev comerr-dev liblua5.4-dev libreadline-dev libssl-dev libxxhash-dev libblkid-dev uuid-dev libjansson-dev"
case "${1:-build}" in
check) need="$need e2fsprogs lua5.4 python3 valgrind clang xxhash fdisk jq strace" ;;
bench) need="$need e2fsprogs lua5.4 python3 time" ;;
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
