#!/usr/bin/env python3
"""verify.py -- snapshot every inode of an ext2/3/4 image with debugfs, and
compare two snapshots.  Independent of e2lua: everything comes from debugfs
output and from the image's bytes at the blocks debugfs reports.

  verify.py snapshot IMG > snap.json
      Every in-use inode: its names (all hard links), type, mode, uid, gid,
      size, links, mtime, generation, flags, extent-mapped or not, i_blocks,
      its map (data blocks, runs, metadata blocks), the sha256 of its raw
      inode (read where debugfs imap says it is) and of its content; plus
      superblock counts.

  verify.py compare OLD.json NEW.json [--expect-extent INO,INO,...]
                                       [--expect-blockmap INO,INO,...]
                                       [--expect-moved INO,INO,...]
      Lists the inodes that changed and checks: the same inodes are in use;
      every content is identical; each expected inode went from block-mapped
      to extent-mapped with its other attributes (type, mode, owner, size,
      links, mtime, generation, data block count) unchanged; each moved one
      (relocated: block- or extent-mapped before) is extent-mapped after,
      those attributes unchanged; every other inode is byte-identical.
      --expect-blockmap: the other way (unmigrate), the data block count
      unchanged or lower (unwritten extents become holes).  Exit 0 if all
      holds, 1 otherwise.

  verify.py expect SNAP.json [CRITERIA...]
      An independent model of the policies (scripts/*.lua): which inodes a
      policy with these options must migrate, and the free block count it
      must leave.  Prints the inode numbers (comma-separated, in ascending
      order) on line 1 and the predicted free block count on line 2.
      CRITERIA: --path P (prefix or glob, repeatable), --type T (repeatable),
      --uid N, --gid N, --mtime-before EPOCH, --mtime-after EPOCH,
      --min-fragments N, --min-size BYTES, --max-size BYTES,
      --order largest|smallest|fragmented, --max-files N,
      --max-data-blocks N, --max-index-blocks N, --keep-free PCT.

Content is hashed from the data blocks debugfs maps (read from the image at
block * blocksize), truncated to i_size, with all-zero blocks and unwritten
extents counted as holes: equal hashes mean equal bytes as read through the
filesystem, without reading a 4 GiB sparse file through `debugfs cat`.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

EXTENTS_FL = 0x80000
INLINE_FL = 0x10000000
MAX_EXTENT = 32768		# longest initialized extent
TYPES = {"regular": "regular", "directory": "directory", "symlink": "symlink",
         "block special": "blockdev", "character special": "chardev",
         "FIFO": "fifo", "socket": "socket"}


def debugfs(img, cmds):
    """Run debugfs -f - on img with cmds; return [(cmd, output)]."""
    env = dict(os.environ, DEBUGFS_PAGER="__none__", PAGER="__none__")
    p = subprocess.run(["debugfs", "-f", "-", img], input="\n".join(cmds) + "\n",
                       capture_output=True, text=True, errors="surrogateescape",
                       env=env, check=False)
    if p.returncode != 0:
        sys.exit("verify.py: debugfs %s failed: %s" % (img, p.stderr.strip()))
    out, cur = [], None
    for line in p.stdout.split("\n"):
        if line.startswith("debugfs: "):
            cur = [line[len("debugfs: "):], []]
            out.append(cur)
        elif cur is not None:
            cur[1].append(line)
    return [(c, "\n".join(lines)) for c, lines in out]


def superblock(img):
    text = debugfs(img, ["stats -h"])[0][1]
    def field(name):
        m = re.search(r"^%s:\s*(.*)$" % re.escape(name), text, re.M)
        if not m:
            sys.exit("verify.py: no '%s' in debugfs stats of %s" % (name, img))
        return m.group(1).strip()
    return {"block_size": int(field("Block size")),
            "blocks_count": int(field("Block count")),
            "free_blocks": int(field("Free blocks")),
            "inodes_count": int(field("Inode count")),
            "free_inodes": int(field("Free inodes")),
            "first_ino": int(field("First inode")),
            "inode_size": int(field("Inode size")),
            "features": field("Filesystem features").split()}


def names(img):
    """ino -> sorted list of paths, walking the tree with ls -p by level."""
    paths = {2: ["/"]}
    level = [(2, "/")]
    while level:
        res = debugfs(img, ["ls -p <%d>" % ino for ino, _ in level])
        nxt = []
        for (ino, dpath), (_, text) in zip(level, res):
            for line in text.split("\n"):
                f = line.split("/")
                if len(f) < 7 or f[5] in (".", ".."):
                    continue
                child, mode, name = int(f[1]), f[2], f[5]
                path = (dpath.rstrip("/") + "/" + name)
                first = child not in paths
                paths.setdefault(child, []).append(path)
                if first and mode.startswith("04"):
                    nxt.append((child, path))
        level = nxt
    return {ino: sorted(p) for ino, p in paths.items()}


MAP_DATA = re.compile(r"\((\d+)(?:-(\d+))?(\[u\])?\):(\d+)(?:-(\d+))?")
MAP_META = re.compile(r"\((IND|DIND|TIND|ETB\d+)\):(\d+)")


def parse_stat(text):
    """The fields of one debugfs stat output."""
    def num(pat, base=10):
        m = re.search(pat, text, re.M)
        if not m:
            raise ValueError("no %s in stat output:\n%s" % (pat, text[:500]))
        return int(m.group(1), base)
    m = re.search(r"^Inode: \d+\s+Type: (.*?)\s+Mode:\s+(\d+)\s+Flags: 0x([0-9a-f]+)", text, re.M)
    st = {"type": TYPES.get(m.group(1), m.group(1)), "mode": m.group(2),
          "flags": int(m.group(3), 16),
          "uid": num(r"User:\s*(\d+)"), "gid": num(r"Group:\s*(\d+)"),
          "size": num(r"Size:\s*(\d+)"), "links": num(r"^Links:\s*(\d+)"),
          "i_blocks": num(r"Blockcount:\s*(\d+)"),
          "generation": num(r"^Generation:\s*(\d+)"),
          "mtime": num(r"^\s*mtime:\s*0x([0-9a-f]+)", 16)}
    st["extent"] = bool(st["flags"] & EXTENTS_FL)
    fast = re.search(r'^Fast link dest: "(.*)"$', text, re.M)
    dev = re.search(r"^.*Device major/minor number: (.*)$", text, re.M)
    st["fast_symlink"] = bool(fast)
    st["special"] = fast.group(1) if fast else dev.group(1) if dev else None
    runs, meta = [], 0
    m = re.search(r"^(BLOCKS|EXTENTS):\n(.*)$", text, re.M)
    if m:
        meta = len(MAP_META.findall(m.group(2)))
        for a, b, u, p, _ in MAP_DATA.findall(m.group(2)):
            a = int(a)
            runs.append((a, int(b) if b else a, int(p), bool(u)))
    st["map"] = sorted(runs)
    st["meta_blocks"] = meta
    return st


def coalesce(runs):
    """Data runs (lblk, pblk, len) merged where both lblk and pblk continue."""
    out = []
    for a, b, p, _ in runs:
        n = b - a + 1
        if out and out[-1][0] + out[-1][2] == a and out[-1][1] + out[-1][2] == p:
            out[-1][2] += n
        else:
            out.append([a, p, n])
    return out


def content_sha(img_f, bs, st):
    h = hashlib.sha256(b"size %d\n" % st["size"])
    if st["special"] is not None:
        h.update(st["special"].encode("utf-8", "surrogateescape"))
    zero = bytes(bs)
    for a, b, p, uninit in st["map"]:
        if uninit:
            continue
        img_f.seek(p * bs)
        data = img_f.read((b - a + 1) * bs)
        for i in range(b - a + 1):
            lblk = a + i
            valid = min(bs, st["size"] - lblk * bs)
            if valid <= 0:
                break
            blk = data[i * bs:i * bs + valid]
            if blk != zero[:valid]:
                h.update(b"%d:" % lblk)
                h.update(blk)
    return h.hexdigest()


def snapshot(img):
    sb = superblock(img)
    n = sb["inodes_count"]
    used = [int(c.split("<")[1].rstrip(">")) for c, out in
            debugfs(img, ["testi <%d>" % i for i in range(1, n + 1)])
            if "marked in use" in out]
    paths = names(img)
    cmds = []
    for i in used:
        cmds += ["stat <%d>" % i, "imap <%d>" % i]
    res = debugfs(img, cmds)
    inodes = {}
    with open(img, "rb") as f:
        for k, ino in enumerate(used):
            st = parse_stat(res[2 * k][1])
            st["ino"] = ino
            st["paths"] = paths.get(ino, [])
            m = re.search(r"located at block (\d+), offset 0x([0-9a-f]+)", res[2 * k + 1][1])
            f.seek(int(m.group(1)) * sb["block_size"] + int(m.group(2), 16))
            st["inode_sha"] = hashlib.sha256(f.read(sb["inode_size"])).hexdigest()
            st["content_sha"] = content_sha(f, sb["block_size"], st)
            runs = coalesce(st["map"])
            st["data_blocks"] = sum(r[2] for r in runs)
            st["runs"] = len(runs)
            st["extents_needed"] = sum((r[2] + MAX_EXTENT - 1) // MAX_EXTENT for r in runs)
            del st["map"]
            inodes[str(ino)] = st
    return {"image": img, "super": sb, "inodes": inodes}


STABLE = ("type", "mode", "uid", "gid", "size", "links", "mtime", "generation", "data_blocks")


def ranges(nums):
    """[1,2,3,7] -> "1-3,7"."""
    out = []
    for x in sorted(nums):
        if out and out[-1][1] == x - 1:
            out[-1][1] = x
        else:
            out.append([x, x])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in out)


def compare(old, new, expect, back=False, moved=frozenset()):
    problems, changed = [], []
    o, n = old["inodes"], new["inodes"]
    if set(o) != set(n):
        problems.append("inodes in use differ: gone %s, new %s" % (
            sorted(set(o) - set(n), key=int), sorted(set(n) - set(o), key=int)))
    for ino in sorted(set(expect) - set(o), key=int):
        problems.append("<%s> expected to be migrated but is not in use" % ino)
    for ino in sorted(set(o) & set(n), key=int):
        a, b = o[ino], n[ino]
        what = "<%s> %s" % (ino, (a["paths"] or ["(no name)"])[0])
        if a["content_sha"] != b["content_sha"]:
            problems.append("%s: CONTENT CHANGED" % what)
        if a["inode_sha"] != b["inode_sha"]:
            changed.append(int(ino))
        if ino in moved:
            if not b["extent"]:
                problems.append("%s: expected extent-mapped after relocating" % what)
            for k in STABLE:
                if a[k] != b[k]:
                    problems.append("%s: %s changed: %s -> %s" % (what, k, a[k], b[k]))
        elif ino in expect:
            if a["extent"] != back or b["extent"] == back:
                problems.append("%s: expected %s, got %s -> %s" % (
                    what, "extent-mapped -> block-mapped" if back else
                    "block-mapped -> extent-mapped",
                    "extent" if a["extent"] else "block map",
                    "extent" if b["extent"] else "block map"))
            if back and b["data_blocks"] > a["data_blocks"]:
                problems.append("%s: data blocks %d -> %d" % (
                    what, a["data_blocks"], b["data_blocks"]))
            for k in STABLE:
                if a[k] != b[k] and not (back and k == "data_blocks"):
                    problems.append("%s: %s changed: %s -> %s" % (what, k, a[k], b[k]))
        elif a["inode_sha"] != b["inode_sha"]:
            diff = [k for k in a if k not in ("inode_sha",) and a[k] != b[k]]
            problems.append("%s: changed but not expected to (%s)" % (
                what, ", ".join("%s %s -> %s" % (k, a[k], b[k]) for k in diff) or "raw inode"))
    print("changed inodes (%d): %s" % (len(changed), ranges(changed) or "none"))
    print("free blocks: %d -> %d" % (old["super"]["free_blocks"], new["super"]["free_blocks"]))
    print("contents: %s" % ("identical" if not any("CONTENT" in p for p in problems)
                            else "DIFFERENT"))
    for p in problems:
        print("FAIL: " + p)
    return not problems


def glob_regex(pat):
    """A glob as a regex: * ? [..] within a name, ** across '/', '**/' may be empty."""
    out, i = [], 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and "]" in pat[i + 2:]:
            j = pat.index("]", i + 2)
            body = pat[i + 1:j]
            if body[0] in "!^":
                body = "^" + body[1:]
            out.append("(?!/)[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(paths, pats):
    for p in pats:
        if any(ch in p for ch in "*?["):
            rx = glob_regex(p)
            if any(rx.match(x) for x in paths):
                return True
        else:
            p = p.rstrip("/") or "/"
            if any(p == "/" or x == p or x.startswith(p + "/") for x in paths):
                return True
    return False


def index_blocks(extents, bs):
    """Blocks of the smallest extent tree over that many leaf extents."""
    cap, n, total = (bs - 12) // 12, extents, 0
    while n > 4:
        n = (n + cap - 1) // cap
        total += n
    return total


def expect(snap, args):
    import argparse
    ap = argparse.ArgumentParser(prog="verify.py expect")
    ap.add_argument("--path", action="append")
    ap.add_argument("--type", action="append")
    for k in ("uid", "gid", "mtime-before", "mtime-after", "min-fragments", "min-size",
              "max-size", "max-files", "max-data-blocks", "max-index-blocks"):
        ap.add_argument("--" + k, type=int)
    ap.add_argument("--keep-free", type=float)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--order", choices=("largest", "smallest", "fragmented"))
    o = ap.parse_args(args)
    sb = snap["super"]
    cands = []
    for st in sorted(snap["inodes"].values(), key=lambda s: s["ino"]):
        if o.path and not path_matches(st["paths"], o.path):
            continue
        if o.type and st["type"] not in o.type:
            continue
        if (o.uid is not None and st["uid"] != o.uid) or (o.gid is not None and st["gid"] != o.gid):
            continue
        if o.mtime_before is not None and not st["mtime"] < o.mtime_before:
            continue
        if o.mtime_after is not None and not st["mtime"] >= o.mtime_after:
            continue
        if o.min_size is not None and st["size"] < o.min_size:
            continue
        if o.max_size is not None and st["size"] > o.max_size:
            continue
        if o.min_fragments is not None and st["runs"] < o.min_fragments:
            continue
        migratable = ((st["ino"] >= sb["first_ino"] or st["ino"] == 2) and st["links"] > 0
                      and not st["flags"] & (EXTENTS_FL | INLINE_FL)
                      and (st["type"] in ("regular", "directory")
                           or (st["type"] == "symlink" and not st["fast_symlink"])))
        if migratable:
            cands.append(st)
    key = {"largest": lambda s: (-s["size"], s["ino"]),
           "smallest": lambda s: (s["size"], s["ino"]),
           "fragmented": lambda s: (-s["runs"], s["ino"])}
    if o.order:
        cands.sort(key=key[o.order])
    chosen, data, index, delta = [], 0, 0, 0
    # Free space as the commits see it: a batch's indirect blocks are free
    # once it is committed (every --batch inodes, or a full transaction:
    # 8192 inodes with indirect or index blocks, or 1024 index blocks).
    free, b_n, b_kept, b_index, b_freed = sb["free_blocks"], 0, 0, 0, 0
    for st in cands:
        ib = index_blocks(st["extents_needed"], sb["block_size"])
        d = ib - st["meta_blocks"]
        if ib > free - b_index:
            continue        # skipped: needs N index blocks, M free
        if o.max_files is not None and len(chosen) + 1 > o.max_files:
            break
        if o.max_data_blocks is not None and data + st["data_blocks"] > o.max_data_blocks:
            break
        if o.max_index_blocks is not None and index + ib > o.max_index_blocks:
            break
        if o.keep_free is not None and \
                (sb["free_blocks"] - delta - d) * 100 < o.keep_free * sb["blocks_count"]:
            break
        chosen.append(st["ino"])
        data, index, delta = data + st["data_blocks"], index + ib, delta + d
        b_n, b_index, b_freed = b_n + 1, b_index + ib, b_freed + st["meta_blocks"]
        b_kept += 1 if ib or st["meta_blocks"] else 0
        if (o.batch and b_n >= o.batch) or b_kept >= 8192 or b_index >= 1024:
            free, b_n, b_kept, b_index, b_freed = free - b_index + b_freed, 0, 0, 0, 0
    sys.stdout.write("%s\n%d\n" % (",".join(map(str, sorted(chosen))), sb["free_blocks"] - delta))


def main(argv):
    if len(argv) >= 2 and argv[0] == "snapshot" and len(argv) == 2:
        json.dump(snapshot(argv[1]), sys.stdout, sort_keys=True)
        print()
        return 0
    if len(argv) >= 3 and argv[0] == "compare":
        exp = set()
        rest = argv[3:]
        moved, back = set(), False
        flags = ("--expect-extent", "--expect-blockmap", "--expect-moved")
        while rest[:1] and rest[0] in flags and len(rest) >= 2:
            if rest[0] == "--expect-moved":
                moved.update(x for x in rest[1].split(",") if x)
            else:
                back = back or rest[0] == "--expect-blockmap"
                exp.update(x for x in rest[1].split(",") if x)
            rest = rest[2:]
        if rest:
            sys.exit("usage: verify.py compare OLD NEW [--expect-extent|--expect-blockmap INO,...] "
                     "[--expect-moved INO,...]")
        with open(argv[1]) as a, open(argv[2]) as b:
            return 0 if compare(json.load(a), json.load(b), exp, back, moved) else 1
    if len(argv) >= 2 and argv[0] == "expect":
        with open(argv[1]) as f:
            expect(json.load(f), argv[2:])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
