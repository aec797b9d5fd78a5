# cli_lib.sh -- helpers of the program-level tests (t_cli_*.sh); sourced
# after lib.sh.

[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

# mk_small IMG: a 4 MiB ext3 image (1 KiB blocks) of a tiny tree:
# /hello.txt, /dir/big.txt (several blocks), /dir/sub/x.  Takes no time.
mk_small() {
	rm -rf "$T/small"
	mkdir -p "$T/small/dir/sub"
	echo hello >"$T/small/hello.txt"
	seq 1 5000 >"$T/small/dir/big.txt"
	echo x >"$T/small/dir/sub/x"
	mke2fs -q -F -t ext3 -b 1024 -d "$T/small" "$1" 4M >/dev/null 2>&1 ||
		fail "mke2fs $1"
}

# err_has PATTERN WHAT: the last expect_rc's stderr matches (grep -E).
err_has() { grep -Eq -- "$1" "$T/err" || fail "$2: no /$1/ in stderr: $(head -c 400 "$T/err")"; }
# out_has PATTERN WHAT: same for stdout.
out_has() { grep -Eq -- "$1" "$T/out" || fail "$2: no /$1/ in stdout: $(head -c 400 "$T/out")"; }
