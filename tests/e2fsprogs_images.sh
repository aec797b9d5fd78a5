#!/bin/sh
# e2fsprogs_images.sh -- `make check-e2fsprogs-images E2FSPROGS_GIT=DIR`:
# e2lua's read-only commands (stats, ls, survey, icheck, ncheck, freefrag,
# frag, sum, plan), its Lua walks and a dry-run migration over
# every test image of e2fsprogs (tests/*/image.gz, .bz2 or raw, read from
# the git repository DIR: a clone or a bare mirror), one scratch copy at a
# time.  Meant for an e2lua built with `make SANITIZE=1` (ASan, UBSan,
# LeakSanitizer): a crash, a sanitizer report or a run longer than
# E2LUA_IMAGE_TIMEOUT seconds (default 120) is a finding; an error message
# and exit 1 or 2 are what a corrupt image should get.  Not part of make
# check: it needs that repository and takes minutes.
#   IMAGES=f_badsymlinks,m_mmp   only the tests whose names contain these
. "$(dirname "$0")/lib.sh"

git=${E2FSPROGS_GIT:-}
if [ -z "$git" ] || ! git -C "$git" rev-parse --git-dir >/dev/null 2>&1; then
	echo "skipped: set E2FSPROGS_GIT to an e2fsprogs git repository" \
		"(a clone, or a bare mirror: git -C DIR works)"
	exit 0
fi
[ -x "$E2LUA" ] || { echo "no $E2LUA (run make SANITIZE=1)" >&2; exit 2; }
sanitized || note "$E2LUA is not built with SANITIZE=1: only crashes and timeouts show"
export LSAN_OPTIONS="suppressions=$TOP/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Sanitizer reports are findings; abort on the first so the status says so.
export ASAN_OPTIONS="abort_on_error=0:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
limit=${E2LUA_IMAGE_TIMEOUT:-120}

# Every inode's map four ways, its plan and path; every directory walked.
walk='
local n, bad = 0, 0
for i in fs:inodes() do
	n = n + 1
	for _, how in ipairs { "blocks", "runs", "holes", "extents" } do
		local ok = pcall(function() for _ in i[how](i) do end end)
		if not ok then bad = bad + 1 end
	end
	pcall(i.plan, i)
	if n <= 200 then pcall(i.path, i) end
end
pcall(function() for _ in fs:walk("/") do end end)
for b = fs.super.first_data_block, math.min(fs.super.blocks_count - 1, 64) do
	pcall(fs.owner, fs, b)
end
print(n .. " inodes, " .. bad .. " walks refused")'

found=0 checked=0 findings=""
for path in $(git -C "$git" ls-tree -r --name-only HEAD tests |
	      grep -E '^tests/[^/]+/image(\.gz|\.bz2)?$'); do
	name=${path#tests/}
	name=${name%%/*}
	if [ -n "${IMAGES:-}" ]; then
		match=0
		for p in $(echo "$IMAGES" | tr , ' '); do
			case $name in *"$p"*) match=1 ;; esac
		done
		[ $match = 1 ] || continue
	fi
	found=$((found + 1))
	img=$T/$name.img
	case $path in
	*.gz) git -C "$git" show "HEAD:$path" | gunzip >"$img" 2>/dev/null ;;
	*.bz2) git -C "$git" show "HEAD:$path" | bunzip2 >"$img" 2>/dev/null ;;
	*) git -C "$git" show "HEAD:$path" >"$img" ;;
	esac
	[ -s "$img" ] || { note "$name: cannot unpack $path"; rm -f "$img"; continue; }
	checked=$((checked + 1))
	i=0
	for run in "-R stats" "-R ls_-l_/" "-R ls_-p_-d_/" "-R survey_/" \
		   "-R icheck_1_2_3_100_1000" "-R ncheck_-c_2_11_12" \
		   "-R freefrag" "-R frag_-a" "-R sum_-r_/" "-R plan_-r_/" \
		   "-c -R stats" "-e walk" "migrate-all --dry-run" \
		   "sized --dry-run --min-size 1"; do
		i=$((i + 1))
		set --
		case $run in
		"-e walk") set -- -e "$walk" "$img" ;;
		migrate-all*|sized*)
			set -- "$img" "$TOP/scripts/${run%% *}.lua" ${run#* } ;;
		"-c "*) set -- -c -R "$(echo "${run#-c -R }" | tr _ ' ')" "$img" ;;
		*) set -- -R "$(echo "${run#-R }" | tr _ ' ')" "$img" ;;
		esac
		timeout "$limit" "$E2LUA" "$@" >"$T/out" 2>"$T/err" </dev/null
		rc=$?
		what="$name: e2lua $(echo "$run" | tr _ ' ')"
		if [ $rc -ge 124 ] || grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T/err"; then
			case $rc in
			124) why="timed out after ${limit}s" ;;
			86) why="sanitizer report" ;;
			*) why="exit $rc" ;;
			esac
			echo "FINDING $what: $why"
			grep -m 12 -E "ERROR|SUMMARY|runtime error|#[0-9] " "$T/err" | sed 's/^/    /'
			findings="$findings $name"
			cp "$img" "$TOP/build/finding-$name.img" 2>/dev/null
		fi
	done
	rm -f "$img"
done
echo "e2fsprogs images: $checked of $found checked, $(echo $findings | wc -w) finding(s)${findings:+:$findings}"
[ -z "$findings" ]
