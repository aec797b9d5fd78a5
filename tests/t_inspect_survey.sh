# The Lua "survey" command: its counts agree with the tree the image was
# built from (an independent source) and with the migrate-all dry run; it
# writes nothing.  Without a directory it surveys the whole filesystem
# (every inode in use, in C: "Survey of the filesystem"); here every inode
# is reachable from /, so the counts are the tree's all the same.
. "$(dirname "$0")/lib.sh"
mk_image "$T/img" ext3 1024 || fail "mk_image"
before=$(sum "$T/img")
expect_rc 0 "$E2LUA" -R "survey" "$T/img"
cp "$T/out" "$T/survey"
cat "$T/survey"

# Types and links from the source tree: inodes under / minus what mk_image
# added (lost+found, /fill and its files, /frag).
python3 - "$T/tree.1024" "$T/survey" <<'PY' || fail "survey counts differ from the tree"
import os, re, stat, sys
tree, out = sys.argv[1], open(sys.argv[2]).read()
seen, kinds = set(), {}
for d, dirs, files in os.walk(tree):
    for n in dirs + files:
        st = os.lstat(os.path.join(d, n))
        if st.st_ino in seen:
            continue
        seen.add(st.st_ino)
        k = ("regular" if stat.S_ISREG(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode)
             else "symlink" if stat.S_ISLNK(st.st_mode) else "other")
        kinds[k] = kinds.get(k, 0) + 1
rows = {m.group(1): sum(map(int, m.groups()[1:])) for m in
        re.finditer(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.M)}
fill = int(re.search(r"Survey of the filesystem: (\d+) inodes", out).group(1))
# mk_image adds: root, lost+found and /fill (directories), /frag and the
# 400 fillers left in /fill (regular files)
other = sum(rows.get(t, 0) for t in ("chardev", "blockdev", "fifo", "socket"))
ok = rows["symlink"] == kinds["symlink"] and rows["regular"] == kinds["regular"] + 401 \
     and rows["directory"] == kinds["directory"] + 3 and other == kinds.get("other", 0)
print("tree:", kinds, "survey:", rows, "total", fill)
sys.exit(0 if ok else 1)
PY

# What it says is migratable is what the migrate-all dry run would migrate.
expect_rc 0 "$E2LUA" -w "$T/img" "$TOP/scripts/migrate-all.lua" --dry-run
want=$(sed -n 's/.*: \([0-9]*\) inodes (.*) would be migrated/\1/p' "$T/out")
got=$(sed -n 's/^Migratable: \([0-9]*\) inodes.*/\1/p' "$T/survey")
# migrate-all also converts block-mapped inodes with no name under / (none
# here) and empty files/dirs, which survey counts the same way.
assert_eq "$want" "$got" "migratable count vs migrate-all --dry-run"
# (the line after the table's header)
grep -A2 "^Most fragmented:" "$T/survey" | tail -n 1 | grep -q " /frag$" ||
	fail "/frag is not the most fragmented"

# A subdirectory, and bad input.
expect_rc 0 "$E2LUA" -R "survey /dir/sub" "$T/img"
assert_grep "^Survey of /dir/sub: 3 inodes" "$T/out" "survey of a subdirectory"
expect_rc 1 "$E2LUA" -R "survey /nope" "$T/img"
assert_grep "File not found" "$T/err" "survey of a missing directory"
expect_rc 1 "$E2LUA" -R "survey / extra" "$T/img"
assert_grep "Usage: survey" "$T/err" "survey with too many arguments"
assert_eq "$before" "$(sum "$T/img")" "survey wrote to the image"
finish
