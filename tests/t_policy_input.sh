#!/bin/sh
# Mistyped policy input never widens or changes a run (issue 9): each of
# these is refused with a message naming the problem, printed as it is
# (no script line, no traceback), exit status 1, and the image stays
# byte-identical.  On the command line: values that are options, ids of
# 2^32 and more, impossible dates, number forms the documentation does
# not give, numbers too large; in Lua: misspelt keys and wrong types in
# the opts table of policy.run.  The documented forms still work.
. "$(dirname "$0")/lib.sh"

img=$T/base.img
mk_image "$img" ext2 1024 16M || { fail "mk_image"; finish; }
before=$(sum "$img")

# refused MESSAGE POLICY ARGS...: exit 1, MESSAGE in the first line of
# stderr, which starts "e2lua: " and shows no Lua file position.
refused() {
	msg=$1 pol=$2; shift 2
	expect_rc 1 "$E2LUA" -w "$img" "$TOP/scripts/$pol.lua" "$@"
	first=$(head -n 1 "$T/err")
	case $first in
	"e2lua: $pol: "*"$msg"*) ;;
	*) fail "$pol $*: [$first] is not [e2lua: $pol: ...$msg...]" ;;
	esac
	grep -q '\.lua:[0-9]\|traceback' "$T/err" && fail "$pol $*: Lua internals shown: $(cat "$T/err")"
	assert_eq "$before" "$(sum "$img")" "$pol $*: the image"
}

# A value that is an option is a missing value: no dry run turns into a
# write (the pattern "--dry-run" being taken, and the run done for real).
refused "--path needs a value (PATTERN), not the option --dry-run (write --path=--dry-run if that is the value)" \
	sized --path --dry-run
refused "--path needs a value (PATTERN), not the option -v" selective --path -v --dry-run
refused "--min-size needs a value (SIZE), not the option --dry-run" sized --min-size --dry-run
refused "--batch needs a value (N)" migrate-all --dry-run --batch=
# uids and gids are 32 bits: 2^32 is not uid 0.
refused "--uid: bad uid '4294967296' (expected 0 to 4294967295)" selective --uid 4294967296 --path /dir --dry-run -v
refused "--gid: bad gid '4294967296'" sized --gid 4294967296
refused "--owner: bad user id '4294967296'" sized --owner 4294967296
refused "--group: bad group id '18446744073709551616'" selective --group 18446744073709551616
# Dates that do not exist are not moved to the next month.
refused "--mtime-before: bad date '2020-02-30' (2020-02 has 29 days)" selective --mtime-before 2020-02-30
refused "--mtime-after: bad date '2021-02-29' (2021-02 has 28 days)" selective --mtime-after 2021-02-29
refused "--mtime-before: bad time in '2020-12-31T23:59:60'" selective --mtime-before 2020-12-31T23:59:60
refused "--mtime-before: bad date '2020-01-01T12:3045'" selective --mtime-before 2020-01-01T12:3045
# Only the documented number forms.
refused "--min-size: bad size '1.5' (expected N bytes, or N or N.F followed by K, M, G or T)" sized --min-size 1.5
refused "--min-size: bad size '1e1'" sized --min-size 1e1
refused "--max-size: bad size '1.K'" sized --max-size 1.K
refused "--min-size: bad size '0.1K' (not a whole number of bytes)" sized --min-size 0.1K
refused "--keep-free: bad percentage '1e1'" sized --keep-free 1e1
refused "--keep-free: bad percentage '0x10'" sized --keep-free 0x10
refused "--min-size: bad size '99999999999999999999999' (too large)" sized --min-size 99999999999999999999999
refused "--max-files: bad number '99999999999999999999' (too large)" sized --max-files 99999999999999999999
refused "--mtime-before: bad date '99999999999999999999' (too large)" selective --mtime-before 99999999999999999999
# Misspelt options, and the usage hint after the message.
refused "unknown option --min-fragment" selective --min-fragment 5
assert_grep "^usage: selective \[OPTIONS\]; --help lists them$" "$T/err" "usage hint"
refused "unknown option --bogus" migrate-all --bogus
# At the prompt: the same plain message, the same exit status.
expect_rc 1 "$E2LUA" -w -R "run sized --bogus" "$img"
assert_eq "e2lua: sized: unknown option --bogus" "$(head -n 1 "$T/err")" "run sized --bogus"

# The documented forms: sizes with K/M/G/T in either case and a fraction
# that makes whole bytes, percentages with a fraction and %, dates with a
# time, leap days, --opt=VALUE, a value that looks like an option when
# written with =.
for a in "--min-size 1k --max-size 1.5M" "--min-size=4K --max-size=1t" "--keep-free 12.5%" \
	"--mtime-before 2024-02-29T12:30 --mtime-after 2020-02-29" "--uid 4294967295" \
	"--mtime-before=2020-01-01T23:59:59"; do
	expect_rc 0 "$E2LUA" "$img" "$TOP/scripts/sized.lua" --dry-run $a
	assert_grep "^sized: dry run, nothing written: " "$T/out" "sized $a"
done
expect_rc 1 "$E2LUA" "$img" "$TOP/scripts/sized.lua" --dry-run --path=--dry-run
assert_grep "^e2lua: sized: --path --dry-run: /--dry-run not found" "$T/err" "--path=--dry-run is a pattern"

# policy.run from Lua: a misspelt key does not select everything, a
# string where a table belongs does not select nothing.
lua_refused() {	# message chunk
	expect_rc 1 "$E2LUA" -w -e "$2" "$img"
	assert_eq "e2lua: $1" "$(head -n 1 "$T/err")" "Lua: $2"
	assert_eq "$before" "$(sum "$img")" "Lua: $2: the image"
}
lua_refused "policy: unknown option 'min_frags' (did you mean 'min_fragments'?)" \
	'require("e2.policy").run(fs, { min_frags = 5 })'
lua_refused "mine: option 'paths' must be an array of patterns (strings), got '/var'" \
	'require("e2.policy").run(fs, { name = "mine", paths = "/var" })'
lua_refused "policy: option 'uid' must be an integer from 0 to 4294967295, got integer" \
	'require("e2.policy").run(fs, { uid = 1 << 32 })'
lua_refused "policy: option 'keep_free' must be a number from 0 to 100, got '5%'" \
	'require("e2.policy").run(fs, { keep_free = "5%" })'

finish
