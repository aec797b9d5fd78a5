#!/bin/sh
# t_cli_migrate.sh -- the interactive write workflow: plan -r and
# migrate -r (every inode under a directory, each once) against an
# independent model (tests/verify.py), patterns in migrate, pending naming
# files by the paths they were staged by, open -w reopening the open image
# for write, and the question at quit.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/cli_lib.sh"

img=$T/a.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }
s0=$(sum "$img")
snapshot "$img" "$T/base.json"

# ---- plan -r / migrate -r ----------------------------------------------------
# plan -r /dir plans every inode under /dir, /dir included, hard links
# once: the inodes the model says a migration of /dir must convert.
python3 "$TOP/tests/verify.py" expect "$T/base.json" --path /dir >"$T/model" ||
	fail "model"
inos=$(sed -n 1p "$T/model")
[ -n "$inos" ] || fail "the model selects nothing"
expect_rc 0 "$E2LUA" -R "plan -r /dir" "$img"
planned=$(awk '$2 == "ok" { print $1 }' "$T/out" | sort -n | tr '\n' ',' | sed 's/,$//')
assert_eq "$inos" "$planned" "plan -r /dir: the inodes planned"
out_has "^total: [0-9]+ inodes, [0-9]+ migratable, 0 skipped" "plan -r /dir: the total"
# Each inode once, though / has hard links; the ordinary skips (fast
# symlinks, ...) counted in a line, not listed.
expect_rc 0 "$E2LUA" -R "plan -r /" "$img"
dups=$(awk '$2 == "ok" || $2 == "skip" { print $1 }' "$T/out" | sort | uniq -d)
[ -z "$dups" ] || fail "plan -r /: inodes listed twice: $dups"
out_has "^not planned [0-9]+: Inode has no block map" "plan -r /: ordinary skips counted"
grep -q "fastlink" "$T/out" && fail "plan -r /: an ordinary skip listed"
expect_rc 1 "$E2LUA" -R "plan -r /nope" "$img"
assert_eq "e2lua: plan /nope: File not found by ext2_lookup" "$(cat "$T/err")" "plan -r /nope"
expect_rc 1 "$E2LUA" -R "plan -r" "$img"
err_has "^e2lua: Usage: plan \[-j\] \[-r\] \[-u | -m|--relocate \[-g|--goal BLOCK\] \[-G|--min-gain N\]\] <file>...$" "plan -r without a directory"
expect_rc 1 "$E2LUA" -R "plan -u -m /" "$img"
err_has "^e2lua: plan: -u and -m \(--relocate\) do not go together$" "plan -u -m"
assert_eq "$s0" "$(sum "$img")" "plan wrote to the image"

# migrate -r /dir, commit: exactly the model's inodes converted, e2fsck
# clean, every content intact.
cp "$img" "$T/w.img"
expect_rc 0 "$E2LUA" -w -R "migrate -r /dir" -R pending -R commit "$T/w.img"
check_migrated "$T/base.json" "$T/w.img" "$inos" "migrate -r /dir"
# pending named every file by its path, as staged (not "<ino>").
sed -n '/^    INO STATUS/,/^total:/p' "$T/out" | awk '$2 == "staged" { print $NF }' >"$T/paths"
grep -q "^<" "$T/paths" && fail "pending shows inode numbers: $(grep '^<' "$T/paths" | head -3)"
grep -q "^/dir/big/f0001$" "$T/paths" || fail "pending lacks /dir/big/f0001"
assert_eq "$(echo "$inos" | tr ',' '\n' | grep -c .)" "$(wc -l <"$T/paths")" "pending: one row per inode"
# Again: nothing left to stage, not an error.
expect_rc 0 "$E2LUA" -w -R "migrate -r /dir" "$T/w.img"
out_has "^not staged [0-9]+: Inode is already extent-mapped$" "migrate -r again"
out_has "^pending: 0 inodes" "migrate -r again: nothing staged"

# ---- patterns and paths in pending --------------------------------------------
cp "$img" "$T/p.img"
frag=$(debugfs -R "stat /frag" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
expect_rc 0 "$E2LUA" -w -R "migrate /dir/big/f000?" -R "cd /dir" -R "migrate big/f0010 <$frag>" \
	-R pending "$T/p.img"
sed -n '/^    INO STATUS/,/^total:/p' "$T/out" | awk '$2 == "staged" { print $NF }' >"$T/paths"
assert_eq "$(printf '/dir/big/f%04d\n' 0 1 2 3 4 5 6 7 8 9 10)
<$frag>" "$(sort "$T/paths")" "pending: the paths staged by (relative ones made absolute)"
assert_eq "$s0" "$(sum "$T/p.img")" "staging wrote to the image"

# ---- open -w ------------------------------------------------------------------
# On an image open read-only, "open -w" (with or without the image's name,
# also another name of the same file) reopens it for write, in the same
# directory; migrate then works.
cp "$img" "$T/o.img"
ln -s o.img "$T/o.link"
expect_rc 1 "$E2LUA" -R "migrate /frag" "$T/o.img"
err_has "^e2lua: migrate: filesystem is open read-only \(use: open -w, to reopen it for write\)$" \
	"migrate read-only says what to type"
for reopen in "open -w" "open -w $T/o.img" "open -w $T/o.link"; do
	cp "$img" "$T/o.img"
	expect_rc 0 "$E2LUA" -R "cd /dir" -R "$reopen" -R "=fs.writable" -R pwd \
		-R "migrate big/f0001" -R commit "$T/o.img"
	assert_eq "true" "$(sed -n 1p "$T/out")" "$reopen: writable"
	out_has "^\[pwd\] .*PATH: /dir$" "$reopen: same directory"
	out_has "^committed 1 inode" "$reopen: commit"
	fsck_clean "$T/o.img"
done
# Back to read-only, staged work refused (nothing lost), a failing reopen
# keeps the read-only image open, another image needs a close first.
cp "$img" "$T/o.img"
expect_rc 1 "$E2LUA" -w -R "migrate /frag" -R "open" -R "pending" "$T/o.img"
err_has "^e2lua: open: 1 inode is staged on $T/o.img: commit or rollback first$" "reopen with staged work"
out_has "^ *[0-9]+ staged .* /frag$" "the staged work is still there"
expect_rc 0 "$E2LUA" -w -R "open" -R "=fs.writable" "$T/o.img"
assert_eq "false" "$(cat "$T/out")" "open: reopened read-only"
cp "$img" "$T/dirty.img"
debugfs_w "$T/dirty.img" "ssv state 0" || fail "debugfs ssv"
d0=$(sum "$T/dirty.img")
expect_rc 1 "$E2LUA" -R "open -w" -R "=fs.writable" -R "=fs.image" "$T/dirty.img"
err_has "^e2lua: open $T/dirty.img: Filesystem is not clean" "reopen for write refused"
assert_eq "false
$T/dirty.img" "$(cat "$T/out")" "a refused reopen keeps the image open read-only"
assert_eq "$d0" "$(sum "$T/dirty.img")" "a refused reopen wrote"
assert_eq "$s0" "$(sum "$T/o.img")" "reopens wrote to the image"

# ---- the man page's examples of these (doc/e2lua.1, EXAMPLES) -------------------
mkdir -p "$T/ex/var/log" "$T/ex/home/u" "$T/ex/etc"
seq 1 3000 >"$T/ex/var/log/syslog.1"; echo x >"$T/ex/var/log/kern.1"
seq 1 9000 >"$T/ex/home/u/big"; echo root >"$T/ex/etc/passwd"
mke2fs -q -F -t ext3 -b 1024 -d "$T/ex" "$T/disk.img" 8M >/dev/null 2>&1 || fail "mke2fs ex"
cd "$T" || fail "cd"
expect_rc 0 "$E2LUA" -R 'stat /var/log/*.1' disk.img
assert_eq 2 "$(grep -c '^Inode:' "$T/out")" "example: stat /var/log/*.1"
expect_rc 0 "$E2LUA" -e 'local s = e2.run("stat /etc/passwd")
  print(s:match("Blockcount: (%d+)"))' disk.img
assert_eq 2 "$(cat "$T/out")" "example: e2.run"
expect_rc 0 "$E2LUA" -e 'for p, i in fs:walk("/") do
  if not i.extent_mapped and i.has_blocks then print(p) end end' disk.img
out_has "^/home/u/big$" "example: walk"
expect_rc 0 "$E2LUA" -w -R 'migrate -r /home' -R pending -R commit disk.img
out_has "^committed 3 inodes" "example: migrate -r /home"
fsck_clean disk.img
cd "$TOP" || fail "cd"

# ---- the question at quit -------------------------------------------------------
# Answering N (or nothing) rolls back and is no failure; y commits.
for answer in n "" N; do
	printf 'migrate /frag\nquit\n%s\n' "$answer" >"$T/in"
	expect_rc 0 "$E2LUA" -i -w "$T/o.img" <"$T/in"
	err_has "rolled back 1 staged inode \(not committed\)" "answer '$answer'"
done
assert_eq "$s0" "$(sum "$T/o.img")" "answered N: image unchanged"
printf 'migrate /frag\nquit\ny\n' >"$T/in"
expect_rc 0 "$E2LUA" -i -w "$T/o.img" <"$T/in"
out_has "^committed 1 inode: " "answer y"
fsck_clean "$T/o.img"
finish
