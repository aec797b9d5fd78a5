# inspect_lib.sh -- helpers of the inspection and bad-input tests
# (t_inspect_*.sh, t_badinput_*.sh); sourced after lib.sh.

# VG: prefix that runs a program under valgrind (a memory error exits 99);
# empty when valgrind is missing, so the cases still run natively, and
# when e2lua is built with SANITIZE=1 (ASan checks them instead).
VG=""
command -v valgrind >/dev/null 2>&1 && ! sanitized &&
	VG="valgrind --error-exitcode=99 -q --num-callers=30"

# The -f transcripts of debugfs and e2lua differ only in the prompt echoed
# before each command; normalize both to "> command".
norm() { sed -E 's/^(debugfs|e2lua): /> /' "$1"; }

# transcripts CMDS IMG [options]: the command file through debugfs and
# e2lua (same options); normalized transcripts in $T/d.out and $T/e.out,
# e2lua's stderr in $T/e.err and its exit status in $erc.
transcripts() {
	cmds=$1 img=$2
	shift 2
	debugfs "$@" -f "$cmds" "$img" >"$T/d.raw" 2>/dev/null
	"$E2LUA" "$@" -f "$cmds" "$img" >"$T/e.raw" 2>"$T/e.err"
	erc=$?
	norm "$T/d.raw" >"$T/d.out"
	norm "$T/e.raw" >"$T/e.out"
}

# mk_test_image IMG KIND BS: mk_image, plus (ext4) the unwritten extents of
# mk_uninit.
mk_test_image() {
	mk_image "$1" "$2" "$3" || return 1
	[ "$2" != ext4 ] || mk_uninit "$1" "$3"
}
