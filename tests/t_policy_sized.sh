#!/bin/sh
# sized: size bounds, each order (largest, smallest, fragmented), each
# budget (files, data blocks, index blocks, free space kept), with
# selective criteria, on ext2 1 KiB with three fragmented files, and ext3
# 4 KiB in small batches.  The inodes that must be chosen come from
# tests/verify.py's model of the snapshot, not from e2lua.
. "$(dirname "$0")/lib.sh"

base=$T/ext2.img
{ mk_image "$base" ext2 1024 32M && mk_frag_file "$base" /frag2 100 &&
	mk_frag_file "$base" /frag3 200; } || { fail "images"; finish; }
snapshot "$base" "$T/base.json"
S=$T/base.json

policy_case "$S" "$base" sized "--min-size 10240 --max-size 307200" --min-size 10K --max-size 300K
policy_case "$S" "$base" sized "--order largest --max-files 5" --order largest --max-files 5
policy_case "$S" "$base" sized "--order smallest --max-files 40 --type regular" \
	--order=smallest --max-files 40 --type regular
# Most fragmented first: /frag3 (200 runs, 3 index blocks), /frag2 (100,
# 2), /frag (1); the index budget stops the run before /frag.
policy_case "$S" "$base" sized "--order fragmented --max-index-blocks 5" \
	--order fragmented --max-index-blocks 5 --verbose
sed -n 's/^  <\([0-9]*\)> .*/\1/p' "$T/run.out" | tr '\n' ' ' >"$T/order"
assert_eq "$(python3 -c "
import json; s = json.load(open('$S'))
print(' '.join(str(i['ino']) for p in ('/frag3', '/frag2') for i in s['inodes'].values() if p in i['paths']), end=' ')")" \
	"$(cat "$T/order")" "--order fragmented: staging order"
assert_grep "stopped by:     --max-index-blocks" "$T/run.out" "index budget"
policy_case "$S" "$base" sized "--order fragmented --path /dir --max-data-blocks 100" \
	--order fragmented --path /dir --max-data-blocks 100
# Keep free space: /frag3 takes 2 blocks net, /frag2 one more; a threshold
# half a block below "free - 2" lets only /frag3 through.
pct=$(python3 -c "
import json; s = json.load(open('$S'))['super']
print(repr((s['free_blocks'] - 2.5) * 100 / s['blocks_count']))")
policy_case "$S" "$base" sized "--order fragmented --keep-free $pct" --order fragmented --keep-free "$pct"
assert_grep "stopped by:     --keep-free" "$T/run.out" "--keep-free stops the run"
# Without an order the scan's order (inode numbers) meets the budget.
policy_case "$S" "$base" sized "--min-size 1024 --max-files 10" --min-size 1K --max-files 10

# ext3, 4 KiB: largest first under a data budget, committed two at a time.
img=$T/ext3.img
mk_image "$img" ext3 4096 32M || fail "mk_image ext3"
snapshot "$img" "$T/ext3.json"
policy_case "$T/ext3.json" "$img" sized "--order largest --max-data-blocks 2000" \
	--order largest --max-data-blocks 2000 --batch 2
n=$(python3 "$TOP/tests/verify.py" expect "$T/ext3.json" --order largest --max-data-blocks 2000 |
	sed -n 1p | tr ',' '\n' | grep -c .)
assert_grep "migrated $n inodes (.*) in $(( (n + 1) / 2 )) batches" "$T/run.out" "--batch 2"

# Bad budgets and orders: a message, exit 1, nothing written.
cp "$base" "$T/bad.img"
for a in "--order biggest:bad order 'biggest'" "--keep-free 101:bad percentage '101'" \
	"--max-files -1:bad number '-1'" "--min-size 10Q:bad size '10Q'" \
	"--max-files 1 --max-files 2:--max-files given twice"; do
	expect_rc 1 "$E2LUA" -w "$T/bad.img" "$TOP/scripts/sized.lua" ${a%%:*}
	assert_grep "sized: .*${a#*:}" "$T/err" "sized ${a%%:*}"
done
cmp -s "$base" "$T/bad.img" || fail "refused runs changed the image"

finish
