# The README's first command runs the demo: it must keep working, end to
# end (inspection, dry run, migration, e2fsck clean, contents identical,
# e2undo back to the original bytes).
. "$(dirname "$0")/lib.sh"
sh "$TOP/tools/demo.sh" >"$T/out" 2>&1 || fail "demo failed: $(tail -15 "$T/out")"
assert_grep "^identical (" "$T/out" "contents unchanged after migrating"
assert_grep "image identical to the original" "$T/out" "e2undo restores"
assert_grep "migrated [0-9]* inodes (.*) in [0-9]* batch" "$T/out" "a migration happened"
finish
