#!/bin/sh
# t_tell_features.sh -- issue 9 item 1: the extent feature is never turned
# on silently.  Every plan, pending listing, dry run and summary of a
# write that turns it on says so in a line of its own, with what it
# means, exactly once; the commit and a policy's real run say it was
# turned on; the Lua plan, pending, commit, selection and summary tables
# carry it (features_on = {"extent"}, backups_rewritten).  None of it
# where the feature is on already (ext4 with block-mapped files, ext3
# after a first migration), where nothing would be migrated, or after a
# commit that failed or was rolled back.
. "$(dirname "$0")/lib.sh"

MEANS="kernels without ext4 support and boot loaders that read only ext3 cannot mount or read a filesystem that has it"
WILL="^feature: extent will be turned on: $MEANS\$"
DONE="^feature: extent turned on: $MEANS\$"
WOULD_P="^  feature:        extent would be turned on: $MEANS\$"
DONE_P="^  feature:        extent turned on: $MEANS\$"
BK="backup superblocks"

# lines N PATTERN FILE WHAT: exactly N lines of FILE match PATTERN.
lines() {
	got=$(grep -c -- "$2" "$3")
	[ "$got" = "$1" ] || fail "$4: $got lines [$2], wanted $1: $(head -c 900 "$3")"
}
# none_done FILE WHAT: no line saying a feature was turned on or off or
# backups were rewritten (lines of what will or would be are not that).
none_done() {
	grep "feature:\|backups:" "$1" | grep -v "will be\|would be" >"$T/done.lines" &&
		fail "$2: $(cat "$T/done.lines")"
}
# quiet FILE WHAT: no feature or backups line at all.
quiet() {
	grep -q "feature:\|backups:" "$1" && fail "$2: $(grep "feature:\|backups:" "$1")"
}

off=$T/off.img		# ext3, 1 KiB blocks, 4 groups: 2 backups
mk_image "$off" ext3 1024 32M || { fail "mk_image"; finish; }
on=$T/on.img		# ext4 with extents on, its files block-mapped
mk_image "$on" ext4noext 1024 32M || fail "mk_image ext4noext"
tune2fs -O extent "$on" >/dev/null 2>&1 || fail "tune2fs -O extent"
s_off=$(sum "$off")

# ---- the shell: plan, migrate, pending, commit --------------------------
expect_rc 0 "$E2LUA" -R "plan -r /" "$off"
lines 1 "$WILL" "$T/out" "plan -r /"
lines 1 "^backups: 2 $BK will be rewritten to carry the new feature set$" "$T/out" "plan: backups"
none_done "$T/out" "plan: tense"
lines 0 "would be" "$T/out" "plan: tense"
# survey's migration figures: what migrate-all would do
expect_rc 0 "$E2LUA" -R survey "$off"
lines 1 "^  feature: extent would be turned on: $MEANS\$" "$T/out" "survey"
lines 1 "^  backups: 2 $BK would be rewritten" "$T/out" "survey: backups"
expect_rc 0 "$E2LUA" -R survey "$on"
quiet "$T/out" "survey, extent on"
# a plan of nothing migratable: nothing would change
expect_rc 0 "$E2LUA" -R "plan /fastlink" "$off"
quiet "$T/out" "plan of a fast symlink"

# migrate's pending line, pending, then a rollback: nothing said done
expect_rc 0 "$E2LUA" -w -R "migrate /frag /dir" -R "print('--')" -R pending -R rollback "$off"
sed '/^--$/,$d' "$T/out" >"$T/migrate.out"
sed '1,/^--$/d' "$T/out" >"$T/pending.out"
lines 1 "$WILL" "$T/migrate.out" "migrate's pending line"
lines 1 "$WILL" "$T/pending.out" "pending"
lines 1 "^backups: 2 $BK will be" "$T/pending.out" "pending: backups"
none_done "$T/out" "rolled back: nothing turned on"
assert_eq "$s_off" "$(sum "$off")" "rolled back: image unchanged"

# A commit that fails (its undo file cannot be written) says nothing was
# changed, and never that a feature was turned on.
if [ -c /dev/full ]; then
	cp "$off" "$T/full.img"
	expect_rc 1 "$E2LUA" -w -z /dev/full -R "migrate /frag" -R commit "$T/full.img"
	assert_grep "nothing was changed on disk" "$T/err" "failed commit"
	none_done "$T/out" "failed commit: stdout"
	none_done "$T/err" "failed commit: stderr"
	assert_eq "$s_off" "$(sum "$T/full.img")" "failed commit: image unchanged"
fi
# A write refused (the bitmap calls a used block free): the same.
cp "$off" "$T/bm.img"
fb=$(debugfs -R "blocks /frag" "$off" 2>/dev/null | cut -d' ' -f1)
debugfs -w -R "freeb $((fb + 1))" "$T/bm.img" >/dev/null 2>&1
s_bm=$(sum "$T/bm.img")
expect_rc 1 "$E2LUA" -w -R "migrate /frag" -R commit "$T/bm.img"
quiet "$T/out" "refused migrate"
expect_rc 1 "$E2LUA" -w "$T/bm.img" "$TOP/scripts/migrate-all.lua"
quiet "$T/out" "refused policy: stdout"
quiet "$T/err" "refused policy: stderr"
assert_eq "$s_bm" "$(sum "$T/bm.img")" "refused: image unchanged"

# The commit: said once, done; the backups carry it.
cp "$off" "$T/c.img"
expect_rc 0 "$E2LUA" -w -R "migrate /frag" -R "print('--')" -R commit -R "migrate /dir" -R commit "$T/c.img"
sed '1,/^--$/d' "$T/out" >"$T/commit.out"
lines 1 "$DONE" "$T/commit.out" "commit"
lines 1 "^backups: 2 $BK rewritten to carry the new feature set$" "$T/commit.out" "commit: backups"
lines 0 "will be" "$T/commit.out" "the second migrate: extent is on now"
for b in 8193 24577; do
	dumpe2fs -h -o superblock=$b -o blocksize=1024 "$T/c.img" 2>/dev/null |
		grep -q "^Filesystem features:.* extent" || fail "backup superblock $b without extent"
done
fsck_clean "$T/c.img"
# extent on now (ext3 after a first migration), or from the start (ext4
# with block-mapped files): not a word
for img in "$T/c.img" "$on"; do
	cp "$img" "$T/q.img"
	expect_rc 0 "$E2LUA" -w -R "plan -r /" -R "migrate -r /" -R pending -R commit "$T/q.img"
	assert_grep "^committed [1-9]" "$T/out" "$(basename "$img"): something committed"
	quiet "$T/out" "$(basename "$img"): the feature is on already"
done

# ---- the policies: dry runs and real runs ---------------------------------
for p in "migrate-all --batch 200" "selective --path /dir --batch 100" \
	"sized --min-size 1 --batch 200" "sized --order largest --max-files 3 --batch 1"; do
	set -- $p
	name=$1; shift
	expect_rc 0 "$E2LUA" -w "$off" "$TOP/scripts/$name.lua" --dry-run "$@"
	lines 1 "$WOULD_P" "$T/out" "$p --dry-run"
	lines 1 "^  backups:        2 $BK would be rewritten to carry the new feature set$" \
		"$T/out" "$p --dry-run: backups"
	expect_rc 0 "$E2LUA" "$on" "$TOP/scripts/$name.lua" --dry-run "$@"
	quiet "$T/out" "$p --dry-run, extent on"
	# a real run of several batches: said once
	cp "$off" "$T/p.img"
	expect_rc 0 "$E2LUA" -w "$T/p.img" "$TOP/scripts/$name.lua" "$@"
	assert_grep "in [2-9][0-9]* batches$" "$T/out" "$p: several commits"
	lines 1 "$DONE_P" "$T/out" "$p"
	lines 1 "^  backups:        2 $BK rewritten to carry" "$T/out" "$p: backups"
	expect_rc 0 "$E2LUA" -w "$T/p.img" "$TOP/scripts/$name.lua" --dry-run "$@"
	quiet "$T/out" "$p --dry-run after the run"
	cp "$on" "$T/p.img"
	expect_rc 0 "$E2LUA" -w "$T/p.img" "$TOP/scripts/$name.lua" "$@"
	assert_grep "migrated [1-9]" "$T/out" "$p, extent on: something migrated"
	quiet "$T/out" "$p, extent on"
done
# a dry run that selects nothing: nothing would change
expect_rc 0 "$E2LUA" "$off" "$TOP/scripts/sized.lua" --dry-run --min-size 1T
quiet "$T/out" "sized --min-size 1T"

# ---- Lua: the tables ------------------------------------------------------
cat >"$T/lua.lua" <<'EOF'
local e2 = require "e2"
local policy = require "e2.policy"
local function list(t) return "{" .. table.concat(t, ",") .. "}" end
local function said(what, t)
	print(string.format("%s: on=%s off=%s backups=%d not_clean=%s", what,
		list(t.features_on), list(t.features_off), t.backups_rewritten,
		tostring(t.marks_not_clean)))
end
said("plan", fs:plan("/frag"))
said("plan skipped", fs:plan("/fastlink"))
local sel <close> = fs:select()
repeat until sel:scan()
said("select", sel:totals())
local none <close> = fs:select { min_size = 1 << 40 }
repeat until none:scan()
said("select none", none:totals())
said("summary dry", policy.run(fs, { name = "p", dry_run = true, out = function() end }))
local tx <close> = fs:begin()
local staged = tx:migrate("/frag")
said("staged", staged)
local list_, pending = tx:pending()
said("pending", pending)
said("pending plan", list_[1])
for _, tense in ipairs { "will", "would", "done" } do
	for _, l in ipairs(e2.effect_lines(pending, tense)) do print(tense .. ": " .. l) end
end
said("commit", tx:commit())
local _, after = tx:pending()
said("pending after", after)
said("plan after", fs:plan("/dir"))
tx:close()
said("summary run", policy.run(fs, { name = "p", out = function() end }))
print(pcall(e2.effect_lines, { features_on = { "extents" } }))
for _, l in ipairs(e2.effect_lines { features_off = { "extent" } }) do print("off: " .. l) end
EOF
cp "$off" "$T/l.img"
expect_rc 0 "$E2LUA" -w "$T/l.img" "$T/lua.lua"
cat >"$T/want" <<EOF
plan: on={extent} off={} backups=2 not_clean=true
plan skipped: on={} off={} backups=0 not_clean=false
select: on={extent} off={} backups=2 not_clean=true
select none: on={} off={} backups=0 not_clean=false
summary dry: on={extent} off={} backups=2 not_clean=true
staged: on={extent} off={} backups=2 not_clean=true
pending: on={extent} off={} backups=2 not_clean=true
pending plan: on={extent} off={} backups=2 not_clean=true
will: feature: extent will be turned on: $MEANS
will: backups: 2 $BK will be rewritten to carry the new feature set
would: feature: extent would be turned on: $MEANS
would: backups: 2 $BK would be rewritten to carry the new feature set
done: feature: extent turned on: $MEANS
done: backups: 2 $BK rewritten to carry the new feature set
commit: on={extent} off={} backups=2 not_clean=true
pending after: on={} off={} backups=0 not_clean=false
plan after: on={} off={} backups=0 not_clean=true
summary run: on={} off={} backups=0 not_clean=true
false	effects: features_on: unknown feature 'extents'
off: feature: extent will be turned off: kernels and boot loaders without extent support can read every file again (other ext4 features the filesystem has may still stop them)
EOF
diff "$T/want" "$T/out" >"$T/diff" || fail "Lua tables: $(cat "$T/diff")"

# ---- the question when quitting with staged work: said before it, then
# the commit answered y says it was done
if command -v python3 >/dev/null 2>&1; then
	cp "$off" "$T/tty.img"
	cat >"$T/steps" <<'STEPS'
expect e2lua: 
send migrate /frag\n
expect e2lua: 
send quit\n
expect Commit 1 staged inode? [y/N] 
send y\n
expect committed 1 inode
wait
STEPS
	E2LUA_HISTORY= python3 "$TOP/tests/pty_session.py" "$T/steps" -- "$E2LUA" -w "$T/tty.img" \
		>"$T/tty" 2>&1 || fail "quit session: $(tail -c 600 "$T/tty")"
	tr -d '\r' <"$T/tty" | sed -n '/^e2lua: quit/,$p' >"$T/quit.out"
	lines 1 "$WILL" "$T/quit.out" "the question at quit"
	lines 1 "$DONE" "$T/quit.out" "the commit at quit"
	dumpe2fs -h "$T/tty.img" 2>/dev/null | grep -q "^Filesystem features:.* extent" ||
		fail "committed at quit: no extent feature"
fi
finish
