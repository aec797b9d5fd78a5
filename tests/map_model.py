#!/usr/bin/env python3
"""map_model.py IMG START COUNT PER_CELL (all | FILE...) -- what e2lua's
block map (fs:blockmap, the map command) must say about each cell,
computed from e2fsprogs' own output only: dumpe2fs for the free blocks and
the group metadata, debugfs stat for the block lists of the reserved
inodes and of the chosen files (by path, or "all": every in-use inode from
the first non-reserved one on, and the root, per dumpe2fs's free inodes).

Prints one line per cell: "START KIND free=N meta=N other=N data=N ind=N".
A block is the last of free, meta, other, data, ind that holds it:
meta = the groups' superblocks, descriptors, reserved GDT blocks, bitmaps
and inode tables, and every block of the reserved inodes and the journal;
other = in use and none of the rest; data/ind = the chosen inodes' data
and their indirect, extent tree (ETB) and xattr blocks.  A cell's kind:
ind if it has any ind block, else data if any data, else free if more
than half its blocks are free, else the more of meta and other (meta on
a tie).
"""
import re
import subprocess
import sys


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True,
                          errors="surrogateescape", check=True).stdout


def ranges(text):
    """'1-3, 7' -> {1, 2, 3, 7}"""
    out = set()
    for part in text.replace(" ", "").split(","):
        if part:
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    return out


def dumpe2fs(img):
    text = run(["dumpe2fs", img])
    head = dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", text, re.M))
    total, first = int(head["Block count"]), int(head["First block"])
    free, meta, used_inodes = set(), set(), set()
    ipg = int(head["Inodes per group"])
    for m in re.finditer(r"^  Free blocks: ?(.*)$", text, re.M):
        free |= ranges(m.group(1))
    for m in re.finditer(r"(?:superblock at|Group descriptors at|Reserved GDT blocks at|"
                         r"Block bitmap at|Inode bitmap at|Inode table at) ([\d-]+)", text):
        meta |= ranges(m.group(1))
    groups = re.findall(r"^  Free inodes: ?(.*)$", text, re.M)
    for g, line in enumerate(groups):
        free_i = ranges(line)
        used_inodes |= set(range(g * ipg + 1, (g + 1) * ipg + 1)) - free_i
    special = [int(head.get(k, "0").split()[0]) for k in ("Journal inode",)]
    return {"total": total, "first": first, "free": free, "meta": meta,
            "used_inodes": used_inodes, "first_ino": int(head["First inode"]),
            "special": [s for s in special if s]}


ITEM = re.compile(r"\((\d+)(?:-(\d+))?(?:\[u\])?\):(\d+)(?:-(\d+))?|\((IND|DIND|TIND|ETB\d+)\):(\d+)")


def stat_blocks(img, specs):
    """{spec: (data set, metadata set)} from debugfs stat of each spec."""
    out = run(["debugfs", "-f", "-", img], "".join("stat %s\n" % s for s in specs))
    res = {}
    sections = re.split(r"^debugfs: stat ", out, flags=re.M)[1:]
    for spec, sec in zip(specs, sections):
        data, meta = set(), set()
        acl = re.search(r"File ACL: (\d+)", sec)
        if acl and int(acl.group(1)):
            meta.add(int(acl.group(1)))
        m = re.search(r"^(?:BLOCKS|EXTENTS):\n(.*)$", sec, re.M)
        for it in ITEM.finditer(m.group(1) if m else ""):
            if it.group(5):
                meta.add(int(it.group(6)))
            else:
                p0 = int(it.group(3))
                p1 = int(it.group(4) or p0)
                data.update(range(p0, p1 + 1))
        res[spec] = (data, meta)
    if len(sections) != len(specs):
        sys.exit("debugfs stat: %d answers for %d inodes" % (len(sections), len(specs)))
    return res


def main():
    img, start, count, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    chosen = sys.argv[5:]
    fs = dumpe2fs(img)
    reserved = ["<%d>" % i for i in range(1, fs["first_ino"]) if i != 2]
    reserved += ["<%d>" % i for i in fs["special"] if i >= fs["first_ino"]]
    if chosen == ["all"]:
        chosen = ["<%d>" % i for i in sorted(fs["used_inodes"])
                  if (i >= fs["first_ino"] or i == 2) and "<%d>" % i not in reserved]
    blocks = stat_blocks(img, reserved + chosen)
    meta = set(fs["meta"])
    for r in reserved:
        meta |= blocks[r][0] | blocks[r][1]
    data, ind = set(), set()
    for c in chosen:
        data |= blocks[c][0]
        ind |= blocks[c][1]
    for cstart in range(start, start + count, per):
        n = {"free": 0, "meta": 0, "other": 0, "data": 0, "ind": 0}
        for b in range(cstart, min(cstart + per, start + count)):
            k = "free"
            if b not in fs["free"]:
                k = "other"
            if b in meta:
                k = "meta"
            if b in data:
                k = "data"
            if b in ind:
                k = "ind"
            n[k] += 1
        if n["ind"]:
            kind = "ind"
        elif n["data"]:
            kind = "data"
        elif n["free"] > n["meta"] + n["other"]:
            kind = "free"
        else:
            kind = "other" if n["other"] > n["meta"] else "meta"
        print("%d %s free=%d meta=%d other=%d data=%d ind=%d" % (
            cstart, kind, n["free"], n["meta"], n["other"], n["data"], n["ind"]))


main()
