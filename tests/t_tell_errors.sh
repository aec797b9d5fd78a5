#!/bin/sh
# t_tell_errors.sh -- issue 9, "say it plainly": no error of a stock policy
# shows Lua internals.  Every refusal and error case of migrate-all,
# selective and sized -- the filesystem refusing the write (bitmaps that
# disagree: in a scan, an ordered run and a walk, dry run or not), a
# corrupt inode table, a path through a file or not there, a directory
# loop, a commit that fails, a read-only image, no criteria, a list file
# that cannot be read, corrupt inodes and inodes left -- prints its
# message without a file:line of Lua or a traceback, exits with its
# status, and leaves a refused image byte-identical.  A bug in a policy's
# own Lua keeps its position and traceback.
. "$(dirname "$0")/lib.sh"

img=$T/base.img
mk_image "$img" ext3 1024 16M || { fail "mk_image"; finish; }

# plain RC IMG WANT SCRIPT ARGS...: run a policy; exit status RC, stderr
# matching WANT (grep), no Lua position or traceback in it.
plain() {
	pl_rc=$1 pl_img=$2 pl_want=$3 pl_pol=$4
	shift 4
	expect_rc "$pl_rc" "$E2LUA" -w "$pl_img" "$TOP/scripts/$pl_pol.lua" "$@"
	grep -q -- "$pl_want" "$T/err" || fail "$pl_pol $*: no [$pl_want] in: $(cat "$T/err")"
	grep -q '\.lua:[0-9][0-9]*:\|traceback' "$T/err" &&
		fail "$pl_pol $*: Lua internals shown: $(cat "$T/err")"
}

# Bitmaps that disagree: a block /frag's index block would take is some
# other file's, but free in the bitmap.
cp "$img" "$T/bm.img"
fb=$(debugfs -R "blocks /frag" "$img" 2>/dev/null | cut -d' ' -f1)
debugfs -w -R "freeb $((fb + 1))" "$T/bm.img" >/dev/null 2>&1
s_bm=$(sum "$T/bm.img")
BM="select $T/bm.img: Block bitmap disagrees with the filesystem (a block in use is marked free): run e2fsck -f"
for p in "migrate-all" "selective --type regular" "selective --path /dir" \
	"sized --order largest" "sized --min-size 1 --max-files 5"; do
	for dry in --dry-run ""; do
		plain 1 "$T/bm.img" "^e2lua: $BM\$" $p $dry
	done
done
assert_eq "$s_bm" "$(sum "$T/bm.img")" "bitmaps: the image changed"

# A corrupt inode table, read-only (a write open refuses it earlier).
cp "$img" "$T/it.img"
debugfs -w -R "set_bg 1 inode_table 99999999" "$T/it.img" >/dev/null 2>&1
IT="Corrupt group descriptor: bad block for inode table"
for p in "migrate-all" "sized --order smallest" "selective --path /"; do
	set -- $p
	pol=$1; shift
	expect_rc 1 "$E2LUA" "$T/it.img" "$TOP/scripts/$pol.lua" --dry-run "$@"
	grep -q "^e2lua: select [^:]*: $IT$" "$T/err" || fail "$p: inode table: $(cat "$T/err")"
	grep -q '\.lua:[0-9]' "$T/err" && fail "$p: inode table: Lua internals: $(cat "$T/err")"
done

# Paths: through a regular file, missing, a directory loop.
plain 1 "$img" "^e2lua: lookup /frag/x: Ext2 inode is not a directory$" selective --path /frag/x --dry-run
plain 1 "$img" "^e2lua: selective: --path /nope: /nope not found in " selective --path /nope --dry-run
cp "$img" "$T/loop.img"
debugfs -w -R "link /dir /dir/loop" "$T/loop.img" >/dev/null 2>&1
plain 1 "$T/loop.img" "^e2lua: walk /dir/loop: directory <[0-9]*> reached twice (a directory loop)$" \
	sized --path /dir --dry-run
plain 1 "$img" "^e2lua: sized: --paths-from: cannot read $T/nolist" sized --paths-from "$T/nolist"

# Read-only, no criteria, bad options.
s0=$(sum "$img")
expect_rc 1 "$E2LUA" "$img" "$TOP/scripts/migrate-all.lua"
grep -q "^e2lua: migrate-all: .* is open read-only: open it with -w, or use --dry-run$" "$T/err" ||
	fail "read-only: $(cat "$T/err")"
plain 1 "$img" "^e2lua: selective: no criteria given" selective
plain 1 "$img" "^e2lua: sized: unknown option --bogus" sized --bogus
assert_eq "$s0" "$(sum "$img")" "refusals: the image changed"

# A commit that fails (the undo file cannot be written, and is named):
# nothing written.
if [ -c /dev/full ]; then
	cp "$img" "$T/full.img"
	s_full=$(sum "$T/full.img")
	for p in migrate-all "sized --order largest"; do
		set -- $p
		pol=$1; shift
		expect_rc 1 "$E2LUA" -w -z /dev/full "$T/full.img" "$TOP/scripts/$pol.lua" "$@"
		grep -q "^e2lua: commit $T/full.img: undo file /dev/full: No space left on device$" "$T/err" ||
			fail "$p: failed commit: $(cat "$T/err")"
		grep -q '\.lua:[0-9]\|traceback' "$T/err" &&
			fail "$p: failed commit: Lua internals: $(cat "$T/err")"
	done
	assert_eq "$s_full" "$(sum "$T/full.img")" "failed commits: the image changed"
fi

# Corrupt inodes (exit 4) and inodes left (exit 3) are said plainly too.
cp "$img" "$T/dup.img"
b=$(debugfs -R "blocks /twelve" "$img" 2>/dev/null | cut -d' ' -f1)
debugfs -w -R "sif /dind block[0] $b" "$T/dup.img" >/dev/null 2>&1
plain 4 "$T/dup.img" "^e2lua: migrate-all: 2 inodes with a corrupt map or inode" migrate-all --dry-run
mk_image "$T/fill.img" ext2 1024 16M || fail "mk_image fill"
fill_fs "$T/fill.img"
plain 3 "$T/fill.img" "^e2lua: migrate-all: [1-9][0-9]* inodes* left block-mapped: not enough free space" \
	migrate-all --dry-run

# policy.core: a script of one's own passes the core's errors on the same way.
cat >"$T/core.lua" <<'EOF'
local policy = require "e2.policy"
return policy.core(fs.inode, fs, "/nope")
EOF
expect_rc 1 "$E2LUA" "$img" "$T/core.lua"
assert_eq "e2lua: inode /nope: File not found by ext2_lookup" "$(cat "$T/err")" "policy.core"

# A bug in a policy's own Lua (its filter, called in a scan) keeps its
# position and traceback: it is not the user's message.
cat >"$T/mine.lua" <<'EOF'
local policy = require "e2.policy"
return policy.run(fs, { name = "mine", dry_run = true,
	filter = function(inode) return inode.nope.x end })
EOF
expect_rc 1 "$E2LUA" "$img" "$T/mine.lua"
assert_grep "mine.lua:3: attempt to index a nil value (field 'nope')" "$T/err" "a bug in a filter: its line"
assert_grep "^stack traceback:" "$T/err" "a bug in a filter: its traceback"
finish
