# The tree compiles without a warning under clang as well as gcc (make
# builds with gcc -Werror): every C file, with the Makefile's flags.
. "$(dirname "$0")/lib.sh"
command -v clang >/dev/null || skip "clang not installed"
cd "$TOP" || exit 1
flags="-std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(pkg-config --cflags ext2fs com_err lua5.4 readline) -Icore -Ibindings -Ishell -Itests/unit"
for f in core/*.c bindings/*.c shell/*.c tests/unit/*.c; do
	[ -f "$f" ] || continue
	clang -fsyntax-only $flags "$f" 2>"$T/err" || fail "clang: $f: $(head -c 600 "$T/err")"
done
finish
