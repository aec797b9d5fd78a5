#!/bin/sh
# t_doc_examples.sh -- every example in README.md, doc/*.md and the manual
# (doc/e2lua.1) runs, and fails the test on a non-zero exit or anything on
# stderr (but the notice that staged work was rolled back).  The examples are extracted from the documents, never copied
# here: tests/doc_examples.py says the convention.  In short:
#   - Markdown: a fenced block's info string says what it is: ```sh,
#     ```lua (run with `fs` = disk.img open for write), ```lua standalone
#     (no image open), ```e2lua (a session: the lines after the prompts
#     are typed), ```text (not run).  `no-test REASON` after the kind
#     marks one that cannot run here, `exit=N` one that shows a failure
#     (it must exit N).  A block without a kind fails.
#   - The manual: every .nf/.fi block holds shell commands, run in order
#     on one copy of the fixture, unless the line before it is `.\" text`
#     or `.\" no-test REASON`.
# Each example runs in a fresh copy of the fixture below: disk.img, an
# ext3 image holding every path the examples name, the files they read
# (cmds.txt, report.lua), and links to scripts/, build/ and tests/.
. "$(dirname "$0")/lib.sh"
[ -x "$E2LUA" ] || skip "no $E2LUA (run make)"

docs="$TOP/README.md $(ls "$TOP"/doc/*.md) $TOP/doc/e2lua.1"
fx=$T/fixture
mkdir -p "$fx" "$T/bin" "$T/out"

# disk.img: the test tree, plus what the examples look at: /big (indirect
# blocks), /etc/passwd and /etc/hostname, /var/log/syslog (extent-mapped:
# a file already migrated) and rotated logs (*.1), fragmented files under
# /var/log, /home, /srv/db; and sd.img, a partitioned disk holding it.
mk_image "$fx/disk.img" ext3 1024 16M || { fail "mk_image"; finish; }
python3 -c "
import random
r = random.Random(9)
open('$T/big', 'wb').write(r.randbytes(2 << 20))
open('$T/passwd', 'w').write('root:x:0:0:root:/root:/bin/sh\n')
open('$T/hostname', 'w').write('disk\n')
open('$T/syslog', 'wb').write(r.randbytes(20000))
" || fail "fixture files"
debugfs_w "$fx/disk.img" "write $T/big /big" "mkdir /etc" "write $T/passwd /etc/passwd" \
	"write $T/hostname /etc/hostname" "mkdir /var" "mkdir /var/log" \
	"write $T/syslog /var/log/syslog" "write $T/hostname /var/log/syslog.1" \
	"write $T/hostname /var/log/kern.1" \
	"mkdir /home" "mkdir /home/alice" "mkdir /srv" "mkdir /srv/db" || fail "fixture tree"
# /var/spool/mail: a directory with a hash index (e2fsck -D builds it).
i=0
while [ $i -lt 300 ]; do echo "write $T/hostname /var/spool/mail/user_mailbox_$i"; i=$((i + 1)); done |
	{ printf '%s\n' "mkdir /var/spool" "mkdir /var/spool/mail"; cat; } >"$T/mail.cmds"
debugfs_wf "$fx/disk.img" "$T/mail.cmds" || fail "fixture /var/spool/mail"
e2fsck -fyD "$fx/disk.img" >/dev/null 2>&1
debugfs -R "htree /var/spool/mail" "$fx/disk.img" 2>/dev/null | grep -q "Root node dump" ||
	fail "fixture: /var/spool/mail has no hash index"
mk_frag_file "$fx/disk.img" /var/log/big 40 || fail "fixture /var/log/big"
mk_frag_file "$fx/disk.img" /home/alice/notes 30 || fail "fixture /home/alice/notes"
mk_frag_file "$fx/disk.img" /srv/db/table 30 || fail "fixture /srv/db/table"
"$E2LUA" -w -R "migrate /var/log/syslog" -R commit "$fx/disk.img" >/dev/null ||
	fail "fixture: migrating /var/log/syslog"
fsck_clean "$fx/disk.img"
printf '%s\n' "stat /big" "blocks /etc/passwd" >"$fx/cmds.txt"
cat >"$fx/report.lua" <<'EOF'
-- report.lua: what the examples run as "a script".
print(fs.image, #arg .. " arguments", ...)
EOF
# sd.img: a whole-disk image, an MBR with the filesystem in partition 2.
truncate -s 20M "$fx/sd.img" &&
	printf 'label: dos\nstart=2048, size=4096, type=83\nstart=6144, type=83\n' |
	sfdisk -q "$fx/sd.img" >/dev/null &&
	dd if="$fx/disk.img" of="$fx/sd.img" bs=512 seek=6144 conv=notrunc,sparse 2>/dev/null ||
	fail "fixture sd.img"
for d in scripts build tests; do ln -s "$TOP/$d" "$fx/$d"; done
ln -s "$E2LUA" "$T/bin/e2lua"
# A module built with SANITIZE=1 needs the ASan runtime in a stock lua5.4.
if sanitized "$TOP/build/e2.so"; then
	printf '#!/bin/sh\nASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=%s exec %s "$@"\n' \
		"$(asan_preload "$TOP/build/e2.so")" "$(command -v lua5.4)" >"$T/bin/lua5.4"
	chmod +x "$T/bin/lua5.4"
fi

# Every block is marked, and there are examples of every kind.
python3 "$TOP/tests/doc_examples.py" list $docs >"$T/list" || fail "unmarked blocks: $(grep ERROR "$T/list")"
for k in sh lua e2lua; do
	grep -q " $k\$" "$T/list" || fail "no $k example found: the extraction is broken"
done

PATH=$T/bin:$PATH python3 "$TOP/tests/doc_examples.py" run "$fx" "$T/out" $docs >"$T/run.out" 2>&1 ||
	fail "examples failed (above)"
grep -v '^ok ' "$T/run.out"

# The manual's walk example prints the block-mapped files (not nothing,
# as with `i.extents`, a method): /big and /etc/passwd, not the
# extent-mapped /var/log/syslog.
ex=$(grep -l 'fs:walk("/")' "$T"/out/*e2lua.1-*.example | head -n 1)
if [ -z "$ex" ]; then
	fail "no walk example in the manual"
else
	out=${ex%.example}.out
	for f in /big /etc/passwd; do grep -qx "$f" "$out" || fail "walk example: no $f"; done
	grep -q '^/var/log/syslog$' "$out" && fail "walk example: lists the extent-mapped /var/log/syslog"
fi

# Every command and alias `help` lists heads an entry of the manual's
# COMMANDS.
"$E2LUA" -R help >"$T/help" 2>&1 || fail "help: $(cat "$T/help")"
# (The line after each .TP there: a command's heading.)
sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$TOP/doc/e2lua.1" | awk 'tp { print } { tp = /^\.TP/ }' |
	sed 's/\\f[BIRP]//g; s/\\-/-/g' >"$T/man.commands"
names=$(sed -n 's/^  \([a-z_?][a-z_?]*\(, [a-z_?][a-z_?]*\)*\)\( .*\)\{0,1\}$/\1/p' "$T/help" | tr -d ',')
[ -n "$names" ] || fail "no command names in help's output"
for n in $names; do
	grep -q -- "\(^\|[^a-z_]\)$n\([^a-z_]\|$\)" "$T/man.commands" ||
		fail "the manual lacks the command or alias $n"
done
finish
