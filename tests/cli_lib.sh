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

# mk_example_dir DIR: what the commands' examples (help, the manual) name:
# DIR/disk.img, an ext3 image (1 KiB blocks) holding /big (indirect
# blocks), /etc/passwd, /var/log/syslog (extent-mapped), /var/log/big and
# /home/alice/notes (fragmented), /var/spool/mail (a hash-indexed
# directory); DIR/sd.img, a disk with a partition table; DIR/cmds.txt,
# DIR/report.lua and the directory DIR/restore.
mk_example_dir() {
	mkdir -p "$1/restore"
	mk_image "$1/disk.img" ext3 1024 16M || return 1
	python3 -c "
import random
r = random.Random(9)
open('$T/big', 'wb').write(r.randbytes(2 << 20))
open('$T/passwd', 'w').write('root:x:0:0:root:/root:/bin/sh\n')
open('$T/syslog', 'wb').write(r.randbytes(20000))
" || return 1
	printf '%s\n' "write $T/big /big" "mkdir /etc" "write $T/passwd /etc/passwd" \
		"mkdir /var" "mkdir /var/log" "write $T/syslog /var/log/syslog" \
		"mkdir /home" "mkdir /home/alice" >"$T/example.cmds"
	debugfs -w -f "$T/example.cmds" "$1/disk.img" >"$T/debugfs.out" 2>&1 || return 1
	mk_frag_file "$1/disk.img" /var/log/big 40 || return 1
	mk_frag_file "$1/disk.img" /home/alice/notes 30 || return 1
	# /var/spool/mail: a directory with a hash index (e2fsck -D makes it)
	{
		echo "mkdir /var/spool"
		echo "mkdir /var/spool/mail"
		i=0; while [ $i -lt 200 ]; do echo "write /dev/null /var/spool/mail/user$i"; i=$((i + 1)); done
	} >"$T/example.cmds"
	debugfs -w -f "$T/example.cmds" "$1/disk.img" >"$T/debugfs.out" 2>&1 || return 1
	e2fsck -fyD "$1/disk.img" >"$T/fsck.out" 2>&1
	[ $? -le 1 ] || return 1
	"$E2LUA" -w -R "migrate /var/log/syslog" -R commit "$1/disk.img" >/dev/null || return 1
	# sd.img: a disk with an MBR and an ext3 filesystem in its partition
	truncate -s 4M "$1/sd.img" &&
		printf 'label: dos\nstart=2048, size=6144, type=83\n' | sfdisk -q "$1/sd.img" &&
		mke2fs -q -F -t ext3 -E offset=1048576 "$1/sd.img" 3M >/dev/null 2>&1 || return 1
	printf '%s\n' "stat /big" "blocks /etc/passwd" >"$1/cmds.txt"
	echo 'print(fs.image, #arg .. " arguments", ...)' >"$1/report.lua"
}
