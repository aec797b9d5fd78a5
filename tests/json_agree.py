#!/usr/bin/env python3
"""json_agree.py TEXT JSON -- the -j output of each command says what its text says.

TEXT and JSON are -f transcripts of the same commands ("debugfs: CMD" or
"e2lua: CMD" before each output): TEXT from debugfs (or from e2lua's text
commands, for those debugfs lacks), JSON from e2lua with -j added to each
command.  Commands are paired in order and compared field by field; every
disagreement is printed, and the exit status is 1 if there was one.
"""
import base64
import json
import re
import sys

ERRORS = []


def err(cmd, msg):
    ERRORS.append("%s: %s" % (cmd, msg))


def eq(cmd, what, text, js):
    if text != js:
        err(cmd, "%s: text %r, json %r" % (what, text, js))


def transcript(path):
    """[(command, output bytes)] of a -f transcript."""
    out = []
    for line in open(path, "rb").read().split(b"\n"):
        m = re.match(rb"^(debugfs|e2lua): (.*)$", line)
        if m:
            out.append([m.group(2).decode("utf-8", "surrogateescape"), []])
        elif out:
            out[-1][1].append(line)
    return [(c, b"\n".join(o)) for c, o in out]


def raw(obj, key):
    """The exact bytes of obj[key] (its _base64 twin when there is one)."""
    if key + "_base64" in obj:
        return base64.b64decode(obj[key + "_base64"])
    return obj[key].encode("utf-8")


TYPES = {"regular": "regular", "directory": "directory", "symlink": "symlink",
         "character special": "chardev", "block special": "blockdev",
         "FIFO": "fifo", "socket": "socket", "bad type": "unknown"}


def xtime(lo, extra):
    lo = lo - (1 << 32) if lo >= 1 << 31 else lo
    return lo + ((extra & 3) << 32), extra >> 2


def ranges_text(ranges, ext):
    """The BLOCKS:/EXTENTS: line stat prints for these ranges."""
    tags = {"ind": "IND", "dind": "DIND", "tind": "TIND"}
    out = []
    for r in ranges:
        if r["kind"] == "node":
            out.append("(ETB%d):%d" % (r["level"], r["pblk"]))
        elif r["kind"] != "data":
            out.append("(%s):%d" % (tags[r["kind"]], r["pblk"]))
        else:
            u = "[u]" if r["uninit"] else ""
            if r["len"] == 1:
                out.append("(%d%s):%d" % (r["lblk"], u, r["pblk"]))
            else:
                out.append("(%d-%d%s):%d-%d" % (r["lblk"], r["lblk"] + r["len"] - 1, u,
                                                r["pblk"], r["pblk"] + r["len"] - 1))
    return ", ".join(out)


def cmp_stat(cmd, text, js):
    f = js["files"][0]
    t = text.decode("utf-8", "surrogateescape")
    m = re.search(r"^Inode: (\d+)   Type: (.*?)    Mode:  (\d+)   Flags: 0x([0-9a-f]+)$", t, re.M)
    if not m:
        return err(cmd, "no Inode line")
    eq(cmd, "ino", int(m.group(1)), f["ino"])
    eq(cmd, "type", TYPES[m.group(2)], f["type"])
    eq(cmd, "mode", int(m.group(3), 8), f["mode"] & 0o7777)
    eq(cmd, "flags", int(m.group(4), 16), f["flags"])
    m = re.search(r"^Generation: (\d+)    Version: 0x([0-9a-f]{8})(?::([0-9a-f]{8}))?$", t, re.M)
    eq(cmd, "generation", int(m.group(1)), f["generation"])
    v = int(m.group(2), 16) if m.group(3) is None else int(m.group(2), 16) << 32 | int(m.group(3), 16)
    if f.get("extra_isize", 0) >= 28 or m.group(3) is None:
        eq(cmd, "version", v, f["version"])
    m = re.search(r"^User: +(\d+)   Group: +(\d+)(?:   Project: +(\d+))?   Size: (\d+)$", t, re.M)
    eq(cmd, "uid", int(m.group(1)), f["uid"])
    eq(cmd, "gid", int(m.group(2)), f["gid"])
    eq(cmd, "projid", None if m.group(3) is None else int(m.group(3)), f.get("projid"))
    if f["type"] in ("regular", "directory"):
        eq(cmd, "size", int(m.group(4)), f["size"])
    else:
        eq(cmd, "size", int(m.group(4)), f["size"] & 0xffffffff)
    eq(cmd, "file_acl", int(re.search(r"^File ACL: (\d+)", t, re.M).group(1)), f["file_acl"])
    m = re.search(r"^Links: (\d+)   Blockcount: (\d+)$", t, re.M)
    eq(cmd, "links", int(m.group(1)), f["links"])
    if not f["flags"] & 0x40000:		# huge_file: i_blocks counts blocks
        eq(cmd, "i_blocks", int(m.group(2)), f["i_blocks"])
        eq(cmd, "sectors", int(m.group(2)), f["sectors"])
    for name in ("ctime", "atime", "mtime", "crtime"):
        m = re.search(r"^ ?%s: 0x([0-9a-f]{8}):([0-9a-f]{8}) --" % name, t, re.M)
        if m:
            sec, ns = xtime(int(m.group(1), 16), int(m.group(2), 16))
            eq(cmd, name, sec, f.get(name))
            eq(cmd, name + "_nsec", ns, f.get(name + "_nsec"))
            continue
        m = re.search(r"^%s: 0x([0-9a-f]{8}) --" % name, t, re.M)
        if m:
            eq(cmd, name, xtime(int(m.group(1), 16), 0)[0], f.get(name))
            eq(cmd, name + "_nsec", None, f.get(name + "_nsec"))
        elif name != "crtime":
            err(cmd, "no %s line" % name)
    m = re.search(r"^ ?dtime: 0x([0-9a-f]{8})", t, re.M)
    eq(cmd, "dtime", int(m.group(1), 16) if m else 0, f["dtime"])
    m = re.search(r"^Size of extra inode fields: (\d+)$", t, re.M)
    eq(cmd, "extra_isize", int(m.group(1)) if m else None, f.get("extra_isize"))
    m = re.search(r"^Inode checksum: 0x([0-9a-f]{8})$", t, re.M)
    eq(cmd, "inode_checksum", int(m.group(1), 16) if m else None, f.get("inode_checksum"))
    xs = re.findall(r"^  (\S+) \((\d+)\)", t.split("Extended attributes:\n")[1], re.M) \
        if "Extended attributes:\n" in t else []
    eq(cmd, "xattrs", [(n, int(l)) for n, l in xs],
       [(x["name"], len(raw(x, "value"))) for x in f["xattrs"]])
    m = re.search(rb'^Fast link dest: "(.*)"$', text, re.M | re.S)
    if m:
        eq(cmd, "target", m.group(1), raw(f, "target"))
    m = re.search(r"Device major/minor number: (\d+):(\d+)", t)
    eq(cmd, "device", (int(m.group(1)), int(m.group(2))) if m else None,
       (f["major"], f["minor"]) if "major" in f else None)
    m = re.search(r"^Size of inline data: (\d+)$", t, re.M)
    if m:
        eq(cmd, "inline_size", int(m.group(1)), f.get("inline_size"))
    m = re.search(r"^(BLOCKS|EXTENTS):(?:\n(.*?))?$", t, re.M)
    if not f["has_blocks"]:
        eq(cmd, "ranges", None, f.get("ranges"))
        return
    if not m:
        return err(cmd, "no BLOCKS/EXTENTS")
    eq(cmd, "ranges", m.group(2) if (m.group(2) or "").startswith("(") else "",
       ranges_text(f["ranges"], m.group(1) == "EXTENTS"))
    m = re.search(r"^TOTAL: (\d+)$", t, re.M)
    if m:
        eq(cmd, "total", int(m.group(1)), sum(r["len"] for r in f["ranges"]))


def cmp_blocks(cmd, text, js):
    eq(cmd, "blocks", [int(x) for x in text.split()], js["blocks"])


def cmp_ex(cmd, text, js):
    rows = []
    for line in text.decode().split("\n")[1:]:
        m = re.match(r"^\s*(\d+)/\s*(\d+)\s+(\d+)/\s*(\d+)\s+(\d+) -\s+\d+\s+(\d+)(?: -\s+\d+)?\s+(\d+)\s*(Uninit)?$", line)
        if m:
            rows.append([int(x) for x in m.groups()[:7]] + [m.group(8) is not None])
    eq(cmd, "extents", rows, [[e["level"], e["depth"], e["entry"], e["entries"], e["lblk"],
                               e["pblk"], e["len"], e["uninit"]] for e in js["extents"]])


def cmp_bmap(cmd, text, js):
    m = re.match(rb"^(\d+)( \(uninit\))?$", text.strip())
    eq(cmd, "bmap", (int(m.group(1)), m.group(2) is not None), (js["pblk"], js["uninit"]))


def cmp_imap(cmd, text, js):
    m = re.match(rb"^Inode (\d+) is part of block group (\d+)\n\s*located at block (\d+), "
                 rb"offset 0x([0-9a-f]+)$", text.strip())
    if not m:
        return err(cmd, "imap: no location in the text %r" % text[:200])
    eq(cmd, "imap", (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4), 16)),
       (js["ino"], js["group"], js["block"], js["offset"]))


def cmp_dxhash(cmd, text, js):
    m = re.match(rb"^Hash of (.*) is 0x([0-9a-f]+) \(minor 0x([0-9a-f]+)\)$", text.strip())
    if not m:
        return err(cmd, "dx_hash: no hash in the text %r" % text[:200])
    eq(cmd, "dx_hash", (m.group(1), int(m.group(2), 16), int(m.group(3), 16)),
       (raw(js, "name"), js["hash"], js["minor_hash"]))


def cmp_ls(cmd, text, js):
    """ls -p: /ino/mode/uid/gid/name/size/ for every live entry."""
    want = []
    for e in js["entries"]:
        if e["deleted"] or "name" not in e:
            continue
        mode = e.get("mode", 0)
        size = b"" if mode & 0o170000 == 0o040000 else str(e.get("size", 0)).encode()
        want.append(b"/%d/%06o/%d/%d/%s/%s/" % (e["ino"], mode, e.get("uid", 0), e.get("gid", 0),
                                                 raw(e, "name"), size))
    have = [l for l in text.split(b"\n") if l.startswith(b"/")]
    eq(cmd, "entries", have, want)


def cmp_ls_short(cmd, text, js):
    """ls (short, with -d and -c as given): ino, rec_len, name of each."""
    have = re.findall(rb"([ <])(\d+)([ >]) \((?:(\d+)\) (.*?)|dirblock checksum: 0x([0-9a-f]{8})\))   ",
                      text.replace(b"\n", b""))
    want = []
    for e in js["entries"]:
        if "checksum" in e:
            want.append((b" ", b"%d" % e["ino"], b" ", b"", b"", b"%08x" % e["checksum"]))
        else:
            name = raw(e, "name")
            shown = b"".join(b"\\x%02x" % c if c < 32 or c >= 127 or c == 92 else bytes([c])
                             for c in name)
            lb, rb = (b"<", b">") if e["deleted"] else (b" ", b" ")
            want.append((lb, b"%d" % e["ino"], rb, b"%d" % e["rec_len"], shown, b""))
    eq(cmd, "entries", have, want)


def cmp_ncheck(cmd, text, js):
    have = []
    for line in text.split(b"\n")[1:]:
        if b"\t" in line:
            ino, path = line.split(b"\t", 1)
            path = path.replace(b"  <--- BAD FILETYPE", b"")
            have.append((int(ino), re.sub(rb"^//", b"/", path)))
    eq(cmd, "names", have, [(n["ino"], raw(n, "path")) for n in js["names"]])
    bad = [b"<--- BAD FILETYPE" in l for l in text.split(b"\n")[1:] if b"\t" in l]
    if "-c" in cmd.split():
        eq(cmd, "bad_file_type", bad, [n["bad_file_type"] for n in js["names"]])


def cmp_icheck(cmd, text, js):
    have = []
    for line in text.decode().split("\n")[1:]:
        if "\t" in line:
            b, o = line.split("\t")
            have.append((int(b), None if o == "<block not found>" else int(o)))
    eq(cmd, "owners", have, [(b["block"], b.get("ino")) for b in js["blocks"]])


def cmp_testb(cmd, text, js):
    have = [(int(b), u == "marked in use") for b, u in
            re.findall(r"^Block (\d+) (marked in use|not in use)$", text.decode(), re.M)]
    eq(cmd, "testb", have, [(b["block"], b["used"]) for b in js["blocks"]])


def cmp_stats(cmd, text, js):
    t = text.decode("utf-8", "replace")
    s = js["super"]

    def field(name):
        m = re.search(r"^%s:\s+(.*)$" % re.escape(name), t, re.M)
        return m.group(1) if m else None
    for label, key in (("Inode count", "inodes_count"), ("Block count", "blocks_count"),
                       ("Free blocks", "free_blocks_count"), ("Free inodes", "free_inodes_count"),
                       ("First block", "first_data_block"), ("Block size", "block_size"),
                       ("Blocks per group", "blocks_per_group"), ("Inodes per group", "inodes_per_group"),
                       ("Inode size", "inode_size"), ("Reserved GDT blocks", "reserved_gdt_blocks")):
        if field(label) is not None:
            eq(cmd, key, int(field(label)), s[key])
    eq(cmd, "uuid", field("Filesystem UUID"), s["uuid"])
    eq(cmd, "features", (field("Filesystem features") or "").split(), s["feature_list"])
    eq(cmd, "directories", int(field("Directories")), js["directories"])
    groups = re.findall(r"^ Group +(\d+): block bitmap at (\d+), inode bitmap at (\d+), inode table at (\d+)\n"
                        r" +(\d+) free \w+s?, (\d+) free inodes?, (\d+) used director", t, re.M)
    if "-h" in cmd.split():
        eq(cmd, "groups", None, js.get("groups"))
        return
    eq(cmd, "groups", [tuple(int(x) for x in g[1:]) for g in groups],
       [(g["block_bitmap"], g["inode_bitmap"], g["inode_table"], g["free_blocks"],
         g["free_inodes"], g["used_dirs"]) for g in js["groups"]])


def cmp_pwd(cmd, text, js):
    m = re.findall(r"^\[(pwd|root)\] +INODE: +(\d+)  PATH: (.*)$", text.decode(), re.M)
    eq(cmd, "pwd", [(int(i), p) for _, i, p in m],
       [(js[k]["ino"], js[k].get("path", "NULL")) for k in ("cwd", "root")])


def plan_rows(text):
    rows = []
    for line in text.decode("utf-8", "surrogateescape").split("\n"):
        m = re.match(r"^ *(\d+) (\S+) +(\d+|-) +(\d+|-) +(\d+|-) +(\d+|-) +(\d+|-) (.*)$", line)
        if m:
            rows.append(m.groups())
    return rows


def plan_want(plans, status):
    out = []
    for p in plans:
        path = raw(p, "file").decode("utf-8", "surrogateescape")
        if p["ok"]:
            out.append(("%d" % p["ino"], status(p), "%d" % p["data_blocks"], "%d" % p["extents"],
                        "%d" % p["depth"], "%d" % p["index_blocks"], "%d" % p["meta_freed"], path))
        else:
            out.append(("%d" % p["ino"], status(p), "-", "-", "-", "-", "-",
                        "%s: %s" % (path, p["reason"])))
    return out


def cmp_plan(cmd, text, js):
    eq(cmd, "plans", plan_rows(text), plan_want(js["plans"], lambda p: "ok" if p["ok"] else
                                                 "CORRUPT" if p["skip_class"] == "corrupt" else "skip"))
    t = text.decode("utf-8", "surrogateescape")
    m = re.search(r"^total: (\d+) inodes?, (\d+) migratable, (\d+) skipped: (\d+) data blocks?, (\d+) extents?, "
                  r"(\d+) index blocks?, (\d+) indirect blocks? freed, used blocks ([-+]\d+)$", t, re.M)
    mig = js["migratable"]
    eq(cmd, "totals", tuple(int(x) for x in m.groups()),
       (len(js["plans"]), mig["inodes"], js["skipped"], mig["data_blocks"], mig["extents"],
        mig["index_blocks"], mig["meta_freed"], mig["used_delta"]))
    eq(cmd, "not_planned", re.findall(r"^not planned (\d+): (.*)$", t, re.M),
       [("%d" % q["count"], q["reason"]) for q in js["not_planned"]])


def cmp_pending(cmd, text, js):
    eq(cmd, "staged", plan_rows(text), plan_want(js["staged"], lambda p: "staged"))
    m = re.search(r"^total: (\d+) inodes?, (\d+) data blocks?", text.decode(), re.M)
    t = js["totals"]
    eq(cmd, "totals", (int(m.group(1)), int(m.group(2))) if m else (0, 0),
       (t["inodes"], t["data_blocks"]))


def cmp_sum(cmd, text, js):
    have = [tuple(l.split(b"  ", 1)) for l in text.split(b"\n") if l]
    eq(cmd, "sums", have, [(f["hash"].encode(), raw(f, "path")) for f in js["files"]])


def cmp_frag(cmd, text, js):
    t = text.decode("utf-8", "surrogateescape")
    if "all" in js:
        return cmp_fragreport(cmd, t, js["all"], "Fragmentation of")
    files = js["files"]
    if t.startswith("File: ") or "\nFile: " in t:
        blocks = re.split(r"^(?=File: )", t, flags=re.M)[1:]
        eq(cmd, "files", len(blocks), len(files))
        for b, f in zip(blocks, files):
            m = re.match(r"File: (.*)   Inode: (\d+)   Map: ", b)
            eq(cmd, "file", m.group(1), raw(f, "file").decode("utf-8", "surrogateescape"))
            eq(cmd, "ino", int(m.group(2)), f["ino"])
            for label, key in (("Data blocks", "data_blocks"), ("Runs", "runs"),
                               ("Fragments", "fragments"), ("Extents needed", "extents_needed"),
                               ("Extents now", "extents"), ("Ideal extents", "ideal")):
                m = re.search(r"^%s: (\d+)$" % label, b, re.M)
                if m or label != "Extents now":
                    eq(cmd, key, int(m.group(1)) if m else None, f[key])
            m = re.search(r"^Holes: (\d+) \((\d+) blocks?\)$", b, re.M)
            eq(cmd, "holes", (int(m.group(1)), int(m.group(2))), (f["holes"], f["hole_blocks"]))
            m = re.search(r"^Map blocks: (\d+) ", b, re.M)
            eq(cmd, "map_blocks", int(m.group(1)), f["map_blocks"])
            m = re.search(r"^e2fsck: (\S+)$", b, re.M)
            eq(cmd, "e2fsck", m.group(1) == "non-contiguous", f["e2fsck_noncontiguous"])
    else:
        lines = re.findall(r"^(.*): (\d+) fragments?, (\d+) extents? \(ideal (\d+)\)(?:, (\d+) holes?)?$", t, re.M)
        eq(cmd, "lines", [(p, int(a), int(b), int(c), int(h or 0)) for p, a, b, c, h in lines],
           [(raw(f, "file").decode("utf-8", "surrogateescape"), f["fragments"], f["extents"], f["ideal"],
             f["holes"]) for f in files])
        m = re.search(r"^(\d+) files?: (\d+) fragmented \(.*\), (\d+) fragments?, (\d+) extents? \(ideal (\d+)\)$", t, re.M)
        s = js["total"]
        if m or len(files) > 1:
            eq(cmd, "total", tuple(int(x) for x in m.groups()) if m else None,
               (s["files"], s["fragmented"], s["fragments"], s["extents"], s["ideal"]))
    runs = re.findall(r"^ *(\d+): +(\d+)\.\. +(\d+): +(\d+)\.\. +(\d+): +(\d+): +(\d+)?:? ?(\S*)$", t, re.M)
    if runs:
        want = []
        for f in files:
            for r in f.get("run_list", []):
                want.append((r["lblk"], r["lblk"] + r["len"] - 1, r["pblk"], r["pblk"] + r["len"] - 1,
                             r["len"], r.get("expected") if r["fragment"] else None, r["uninit"]))
        eq(cmd, "runs", [(int(a), int(b), int(c), int(d), int(e), int(x) if x else None, "unwritten" in fl)
                         for _, a, b, c, d, e, x, fl in runs], want)


def cmp_fragreport(cmd, t, r, head):
    m = re.search(r"^Fragmentation: (\d+) files? with data, (\d+) fragmented \(.*\): (\d+) fragments? in (\d+) runs?$", t, re.M)
    eq(cmd, "fragmentation", tuple(int(x) for x in m.groups()),
       (r["files"], r["fragmented"], r["fragments"], r["runs"]))
    m = re.search(r"^  Extents: (\d+), ideal (\d+) \((\d+) files? with", t, re.M)
    eq(cmd, "extents", tuple(int(x) for x in m.groups()), (r["extents"], r["ideal"], r["excess"]))
    m = re.search(r"^  Holes: (\d+) holes? in (\d+) files?", t, re.M)
    eq(cmd, "holes", tuple(int(x) for x in m.groups()), (r["holes"], r["holey"]))
    m = re.search(r"^  Non-contiguous as e2fsck counts them: (\d+) files?, (\d+) director", t, re.M)
    eq(cmd, "e2fsck", tuple(int(x) for x in m.groups()) if m else None,
       (r["e2fsck"]["files"], r["e2fsck"]["directories"]) if "e2fsck" in r else None)
    hist = re.findall(r"^ +(\d+)(?:-(\d+))? +(\d+) +(\d+) +(\d+)$", t, re.M)
    eq(cmd, "histogram", [(int(a), int(b or a), int(c), int(d), int(e)) for a, b, c, d, e in hist],
       [(h["min"], h["max"], h["files"], h["fragmented"], h["data_blocks"]) for h in r["histogram"]
        if h["files"]])
    m = re.search(r"^  block maps: (\d+) files?, (\d+) data blocks?, (\d+) indirect blocks? .*; as extent trees (\d+) extents?, (\d+) index blocks?$", t, re.M)
    b = r["blockmap"]
    eq(cmd, "blockmap", tuple(int(x) for x in m.groups()),
       (b["files"], b["data_blocks"], b["indirect_blocks"], b["extents_needed"], b["index_blocks_needed"]))
    m = re.search(r"^  extent trees: (\d+) files?, (\d+) data blocks?, (\d+) extents?, (\d+) index blocks?", t, re.M)
    e = r["extent_mapped"]
    eq(cmd, "extent_mapped", tuple(int(x) for x in m.groups()),
       (e["files"], e["data_blocks"], e["extents"], e["index_blocks"]))
    top = re.findall(r"^ +(\d+) +(\d+) +(\d+) +(\d+)  (.*)$", t.split("Most fragmented:")[1], re.M) \
        if "Most fragmented:" in t else []
    eq(cmd, "top", [(int(a), int(b), int(c), int(d), p) for a, b, c, d, p in top],
       [(f["fragments"], f["extents"], f["ideal"], f["data_blocks"],
         raw(f, "path").decode("utf-8", "surrogateescape") if "path" in f else "<%d>" % f["ino"])
        for f in r["top"]])
    m = re.search(r"^%s .*: (\d+) inodes in use$" % head, t, re.M)
    if m:
        eq(cmd, "inodes", int(m.group(1)), r["inodes"])


MAPS = ("blockmap", "extents", "none", "inline")


def cmp_survey(cmd, text, js):
    t = text.decode("utf-8", "surrogateescape")
    r = js["survey"]
    cmp_fragreport(cmd, t, r, "Survey of")
    rows = {m[0]: tuple(int(x) for x in m[1:]) for m in
            re.findall(r"^(\w+) +(\d+) +(\d+) +(\d+) +(\d+)$", t, re.M) if m[0] != "type"}
    eq(cmd, "types", rows, {k: tuple(v[m] for m in MAPS) for k, v in r["types"].items()
                            if any(v[m] for m in MAPS)})
    m = re.search(r"^Data in block maps: (\d+) blocks in (\d+) inodes, (\d+) indirect blocks$", t, re.M)
    b = r["blockmap"]
    eq(cmd, "block maps", tuple(int(x) for x in m.groups()), (b["data_blocks"], b["files"], b["indirect_blocks"]))
    m = re.search(r"^Migratable: (\d+) inodes, (\d+) extents, (\d+) index blocks, (\d+) indirect blocks freed \(free blocks ([-+]\d+)\)$", t, re.M)
    g = js["migratable"]
    eq(cmd, "migratable", tuple(int(x) for x in m.groups()),
       (g["inodes"], g["extents"], g["index_blocks"], g["meta_freed"], g["meta_freed"] - g["index_blocks"]))
    m = re.search(r"^Survey of (.*): (\d+) inodes", t, re.M)
    eq(cmd, "dir", m.group(1), js.get("dir", "the filesystem"))


def cmp_freefrag(cmd, text, js):
    t = text.decode()
    f = js["freefrag"]
    bs = int(re.search(r"^Blocksize: (\d+) bytes$", t, re.M).group(1))
    scale = bs // 1024
    m = re.search(r"^Free blocks: (\d+) ", t, re.M)
    if "group" in js:
        eq(cmd, "free blocks", int(m.group(1)), f["free_blocks"])
        m = re.search(r"^Group: (\d+) \(blocks (\d+)-(\d+)\)$", t, re.M)
        eq(cmd, "group", tuple(int(x) for x in m.groups()), (js["group"], f["start"], f["start"] + f["count"] - 1))
    for label, key in (("Min. free extent", "min"), ("Max. free extent", "max")):
        m = re.search(r"^%s: (\d+) KB" % re.escape(label), t, re.M)
        eq(cmd, key, int(m.group(1)), f[key] * scale)
    eq(cmd, "extents", int(re.search(r"^Num. free extent: (\d+)$", t, re.M).group(1)), f["extents"])
    m = re.search(r"^Free chunks: (\d+) ", t, re.M)
    eq(cmd, "free_chunks", int(m.group(1)) if m else None, f.get("free_chunks"))
    hist = re.findall(r"^ *\d+[KMGTPEZY]\.\.\. *\S+ *: +(\d+) +(\d+) ", t, re.M)
    eq(cmd, "histogram", [(int(a), int(b)) for a, b in hist],
       [(h["extents"], h["blocks"]) for h in f["histogram"] if h["extents"]])
    groups = re.findall(r"^ +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)(?: +(\d+))?$", t, re.M)
    eq(cmd, "groups", [(int(g), int(s), int(fb), int(e), int(c) if c else None) for g, s, fb, e, _, _, _, c in groups],
       [(i, g["start"], g["free_blocks"], g["extents"], g.get("free_chunks"))
        for i, g in enumerate(js.get("groups", []))])

GLYPHS = {"new": "+", "freed": "-", "ind": "I", "data": "D", "meta": "#", "other": "o", "free": "."}


def cmp_map(cmd, text, js):
    t = text.decode("utf-8", "surrogateescape")
    if "map" not in js:
        return		# --plan: two pictures side by side; the schema checks it
    bm = js["map"]
    m = re.search(r"^(?:Group \d+: )?Blocks (\d+)-(\d+), 1 cell = (\d+) blocks? of (\d+) bytes$", t, re.M)
    eq(cmd, "range", tuple(int(x) for x in m.groups()),
       (bm["start"], bm["start"] + bm["count"] - 1, bm["per_cell"], bm["block_size"]))
    grid = "".join(g for g in re.findall(r"^ *\d+-\d+ +(\S+)$", t, re.M))
    eq(cmd, "cells", grid, "".join(GLYPHS[c["kind"]] for c in bm["cells"]))
    legend = re.findall(r"^  (\S)  (.*): (\d+) blocks?$", t, re.M)
    eq(cmd, "legend", [(g, label, int(n)) for g, label, n in legend],
       [(GLYPHS[l["kind"]], l["label"], bm["totals"][l["kind"]]) for l in bm["legend"]])


COMPARE = {"stat": cmp_stat, "blocks": cmp_blocks, "ex": cmp_ex, "bmap": cmp_bmap,
           "imap": cmp_imap, "dx_hash": cmp_dxhash, "hash": cmp_dxhash,
           "ncheck": cmp_ncheck, "icheck": cmp_icheck, "testb": cmp_testb, "stats": cmp_stats,
           "pwd": cmp_pwd, "plan": cmp_plan, "pending": cmp_pending, "sum": cmp_sum,
           "frag": cmp_frag, "survey": cmp_survey, "freefrag": cmp_freefrag, "map": cmp_map}


def main():
    text, js = transcript(sys.argv[1]), transcript(sys.argv[2])
    if len(text) != len(js) or not text:
        raise SystemExit("json_agree: %d text commands, %d json commands" % (len(text), len(js)))
    pairs = 0
    for (tcmd, tout), (jcmd, jout) in zip(text, js):
        words = tcmd.split()
        name = words[0]
        if name == "ls":
            fn = cmp_ls if "-p" in words else cmp_ls_short
        else:
            fn = COMPARE.get(name)
        if fn is None:
            continue		# cd and other steps between the checks
        lines = [l for l in jout.split(b"\n") if l.startswith(b"{")]
        if len(lines) != 1:
            err(jcmd, "no JSON line")
            continue
        fn(jcmd, tout, json.loads(lines[0]))
        pairs += 1
    for e in ERRORS:
        print(e)
    print("%d commands compared, %d disagreements" % (pairs, len(ERRORS)))
    sys.exit(1 if ERRORS else 0)


if __name__ == "__main__":
    main()
