#!/usr/bin/env python3
"""crashtest.py -- crash a write path at its Nth write or fsync and check nothing is lost.

  crashtest.py --driver PROG --image IMG --work DIR [--all] [--jobs J]
               [--max-points K] [--no-undo] [-- DRIVER-ARGS...]

PROG is a crash driver (tests/crash/crashmig.c): it takes -n N (the Nth
write to the image), -u N (the Nth write to the undo file) or -F N (the Nth
flush of either), -a ACTION, [-s] [-z UNDO] [-t TRACE] DRIVER-ARGS IMAGE,
exits 0 when the write path completed, 99 when the crash io_manager
stopped it, 1 when it reported an error; `PROG -l IMAGE` lists "INO TYPE"
for the inodes whose content must survive.  A new write path plugs in as a
new driver (or driver arguments) and one tests/t_crash_*.sh calling this
script.  Every run records an undo file (-z), as `e2lua -w -z` does;
--no-undo runs every point without one (no undo-file points, no (c)).

1. The count run: the full write path on a copy, with a trace of every
   write ("write N OFFSET BYTES", "uwrite N ..." for the undo file) and
   flush ("flush F W FILE"); the result must be clean (e2fsck -fn), read
   back identical, and e2undo must restore the original byte for byte.  The
   same run without an undo file must complete as well.
2. Crash points.  Each image write is classified by what it overwrites
   (superblock, group descriptors, bitmaps, inode table, other blocks).
   At image writes: stop (the process _exits at write N; unix_io's
   write-back cache is lost with it), stop with -s (every earlier write on
   disk), torn (with -s: half of write N reaches the file, then stop), eio
   (write N fails once) and eio-sticky (N and every later write fail).  At
   flushes (fsync, of the image or the undo file): stop once the flush is
   done, as a kill inside fsync() leaves the files.  At undo-file writes:
   stop with -s, full (ENOSPC at write N and every later one: the undo
   disk is full) and eio (write N fails once).
   Sampled (default): stop at the first and last write and the first,
   middle and last write of every run of one kind between two flushes (at
   most K points); stop -s, torn, eio at the first write of every run and
   the last write (at most K of them, spread evenly); eio-sticky at the
   first, the first inode-table and the last write; stop at every flush; at the undo file, stop -s and full at
   its first, middle and last write and eio at its last.  --all: stop,
   torn and eio at every image write; stop -s and eio-sticky at every
   write the sample would pick with no limit; stop at every flush; stop
   -s, full and eio at every undo-file write.
3. After each point, on the image as the stop left it:
   (a) every listed inode's content (debugfs cat, hashed from the pipe)
       equals the original's, before e2fsck (debugfs -n: checksums may
       lag) and after it;
   (b) e2fsck -fy exits 0 or 1 without clearing, truncating, relocating or
       reconnecting anything, then e2fsck -fn exits 0;
   (c) the recovery doc/crash.md gives: e2undo UNDO IMAGE, and e2undo -f
       when it refuses because the superblock no longer matches its copy.
       Either it restores the original -- a stopped run never finished
       its undo file, so e2undo marks the filesystem not clean
       ("Incomplete undo record") and rewrites s_wtime and the superblock
       checksum: those bytes of the primary superblock may differ; nothing
       else -- or it refuses, writing nothing, and then the image held
       nothing to undo (it equals the original but for those bytes).
   Whatever the stop, a filesystem marked clean (by a superblock whose
   checksum matches) must pass e2fsck -fn as it is.  After an EIO: exit
   status 1 with the driver's error on stderr, the filesystem marked not
   clean if the failed write or an earlier one went to the inode table (a
   failed write may have reached the disk in part) and the driver failed
   before its close, e2fsck -fn clean at once when only write N failed and
   it came before any inode-table write (the commit restores the disk),
   and (a)-(c).  After a failed undo-file write: exit status 1 naming the
   undo file, e2fsck -fn clean at once (the commit stops before its point
   of no return, or had finished), and (a)-(c).
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recovery  # noqa: E402  (tests/crash/recovery.py)

CRASH_EXIT = 99
# e2fsck messages that mean a file lost data or its place in the tree.
LOSS = re.compile(r"Clear|lost\+found|Connect to|Unattached|Relocat|illegal|"
                  r"[Dd]uplicate|multiply-claimed|Truncat|Salvage|"
                  r"Deleted inode|i_size is|Entry .* has deleted")
SB = 1024


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=300, **kw)


class Layout:
    """Byte ranges of the filesystem's metadata, from dumpe2fs."""

    def __init__(self, img):
        out = run(["dumpe2fs", img]).stdout
        self.bs = int(re.search(r"^Block size:\s+(\d+)", out, re.M).group(1))
        self.ranges = []        # (start byte, end byte, kind)
        for m in re.finditer(r"(Primary|Backup) superblock at (\d+)", out):
            b = int(m.group(2))
            start = SB if b == 0 or (self.bs == 1024 and b == 1) else b * self.bs
            self.ranges.append((start, start + 1024, "super"))
        for pat, kind in ((r"Group descriptors at (\d+)-(\d+)", "gdt"),
                          (r"Reserved GDT blocks at (\d+)-(\d+)", "gdt"),
                          (r"Block bitmap at (\d+)()", "bbitmap"),
                          (r"Inode bitmap at (\d+)()", "ibitmap"),
                          (r"Inode table at (\d+)-(\d+)", "itable")):
            for m in re.finditer(pat, out):
                a = int(m.group(1))
                b = int(m.group(2) or a)
                self.ranges.append((a * self.bs, (b + 1) * self.bs, kind))

    def kind(self, off, size):
        for a, b, k in self.ranges:
            if off < b and a < off + size:
                return k
        return "other"


def parse_trace(path, layout):
    """[(n, kind)] of every image write, the image write counts at flushes
    of the image, the undo-file writes grouped by the image write they
    save a block for ([[n...]...]), the number of that image write for
    each group, and the number of flushes."""
    writes, flushes, ugroups, nflush, last = [], [], [], 0, -1
    ug_writes = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "write":
                writes.append((int(w[1]), layout.kind(int(w[2]), int(w[3]))))
            elif w[0] == "uwrite":
                if last != len(writes):
                    ugroups.append([])
                    last = len(writes)
                    ug_writes.append(last + 1)
                ugroups[-1].append(int(w[1]))
            elif w[0] == "flush":
                nflush = int(w[1])
                if w[3] == "image":
                    flushes.append(int(w[2]))
    return writes, flushes, ugroups, ug_writes, nflush


def job_kind(job):
    """The --kinds name of a point (where, action, n, sync)."""
    where, action, _, sync = job
    if where != "w":
        return {"u": "undo", "f": "flush"}[where]
    if action.startswith("eio"):
        return "eio"
    return "torn" if action == "torn" else "sync" if sync else "write"


def first_commit_itable(writes, flushes):
    """The first write of the commit's step 3: its inode-table writes come
    after its first flush (those before it write back what is there, for
    the undo file to save).  None without one."""
    first_flush = flushes[0] if flushes else 0
    itables = [n for n, k in writes if k == "itable" and n > first_flush]
    return itables[0] if itables else None


def undo_points(ugroups):
    """Undo-file writes to act on: of the writes made for each image write,
    the first 7 (the first ever set the file up: 3 blocks, then a record:
    data, key block, header, superblock copy) and the last 4 (its last
    record).  The records in between differ only in the block saved."""
    pts = set()
    for g in ugroups:
        pts |= set(g[:7]) | set(g[-4:])
    return sorted(pts)


def segments(writes, flushes):
    """Runs of writes of one kind not crossing a flush: [(first, last, kind)]."""
    segs, marks = [], set(flushes)
    for n, k in writes:
        if segs and segs[-1][2] == k and (n - 1) not in marks:
            segs[-1][1] = n
        else:
            segs.append([n, n, k])
    return [tuple(s) for s in segs]


def sample(segs, total, limit):
    """Crash points: 1 and the last, then segment starts, ends, middles."""
    tiers = [[1, total], [s[0] for s in segs], [s[1] for s in segs],
             [(s[0] + s[1]) // 2 for s in segs]]
    chosen = []
    for tier in tiers:
        for n in tier:
            if n not in chosen and len(chosen) < limit:
                chosen.append(n)
    return sorted(chosen)


def spread(points, limit):
    """At most limit of points, the first and the last among them, the
    rest evenly between."""
    if len(points) <= limit:
        return points
    if limit < 2:
        return points[:limit]
    return sorted({points[i * (len(points) - 1) // (limit - 1)]
                   for i in range(limit)})


class Checker:
    def __init__(self, args, extra, keep):
        self.args, self.extra, self.keep = args, extra, keep
        self.memo, self.lock = {}, threading.Lock()
        self.orig = args.image
        with open(self.orig, "rb") as f:
            self.orig_bytes = f.read()
        out = run([args.driver, "-l", self.orig])
        if out.returncode:
            sys.exit("crashtest: %s -l: %s" % (args.driver, out.stderr))
        self.inodes = [int(l.split()[0]) for l in out.stdout.splitlines()]
        # debugfs echoes every command it reads from a file; the comment
        # after each cat ends its output with a mark no file can hold.
        self.nonce = os.urandom(16).hex()
        self.cat_cmds = os.path.join(args.work, "cat.cmds")
        with open(self.cat_cmds, "w") as f:
            for k, i in enumerate(self.inodes):
                f.write("cat <%d>\n# %s %d\n" % (i, self.nonce, k))
        self.ref = self.sums(self.orig)
        # e2fsck -fy rebuilds large unindexed directories as htrees (pass
        # 3A) on any image, crashed or not: after e2fsck, a directory may
        # also match what e2fsck makes of the original.
        fixed = os.path.join(args.work, "ref.img")
        copy_image(self.orig, fixed)
        run(["e2fsck", "-fy", fixed])
        self.ref_fsck = self.sums(fixed)
        os.unlink(fixed)
        self.layout = Layout(self.orig)

    def sums(self, img, strict=True):
        """sha256 of every listed inode's content (file_sha's), read
        through one debugfs run (strict=False: without checksum
        verification, -n), None for an inode debugfs could not open.
        `cat` to a pipe, hashed as it comes, not `dump` to files: a
        crash point reads back about a thousand files, one of them a
        64 MiB sparse file that debugfs writes out in full, and written
        to a disk those cost far more than the checks themselves."""
        p = subprocess.Popen(["debugfs"] + ([] if strict else ["-n"]) +
                             ["-f", self.cat_cmds, img],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, bufsize=0)
        err = []
        drain = threading.Thread(target=lambda: err.append(p.stderr.read()))
        drain.start()
        try:
            got = read_cats(p.stdout, self.inodes, self.nonce)
        finally:
            p.stdout.close()
            p.wait(timeout=300)
            drain.join()
        # What keeps debugfs from opening an inode at all (as `dump`
        # would not have made its file): no filesystem open, or a number
        # it does not take.
        err = err[0].decode(errors="replace")
        if re.search(r"^cat: Filesystem not open", err, re.M):
            return dict.fromkeys(self.inodes)
        for i in self.inodes:
            if re.search(r"^<%d>: " % i, err, re.M):
                got[i] = None
        return got

    def same_files(self, img, when, fscked=False):
        # Before e2fsck, checksums may not match yet (a bitmap written,
        # its descriptor not): the data must be there all the same.
        got = self.sums(img, strict=fscked)
        bad = [i for i in self.inodes if got[i] != self.ref[i] and
               not (fscked and got[i] == self.ref_fsck[i])]
        if bad:
            return ["(a) %d inode(s) differ %s: %s" %
                    (len(bad), when, " ".join("<%d>" % i for i in bad[:10]))]
        return []

    def undo_diff(self, img, incomplete):
        """Differences between the undone image and the original."""
        with open(img, "rb") as f:
            return recovery.undo_diff(f.read(), self.orig_bytes, incomplete,
                                      self.layout.bs)

    def driver(self, img, opts):
        return run([self.args.driver] + opts + self.extra + [img])

    def count(self):
        d = os.path.join(self.args.work, "count")
        os.makedirs(d, exist_ok=True)
        img, undo, trace = (os.path.join(d, x) for x in ("img", "undo", "trace"))
        copy_image(self.orig, img)
        no_undo = self.args.no_undo
        r = self.driver(img, ["-t", trace] + ([] if no_undo else
                                               ["-z", undo]))
        fails = []
        if r.returncode:
            sys.exit("crashtest: count run failed (%d): %s" %
                     (r.returncode, r.stderr))
        migrated = int(re.search(r"migrated (\d+)", r.stdout).group(1))
        total = int(re.search(r"^writes (\d+)", r.stdout, re.M).group(1))
        commits = int(re.search(r"^commits (\d+)", r.stdout, re.M).group(1))
        if migrated == 0 or total == 0:
            fails.append("count run migrated %d inodes in %d writes" %
                         (migrated, total))
        fails += self.same_files(img, "after commit")
        fsck = run(["e2fsck", "-fn", img])
        if fsck.returncode:
            fails.append("completed run not clean: " + fsck.stdout[-600:])
        if state(img) != "clean":
            fails.append("completed run left state " + state(img))
        if not no_undo:
            r = run(["e2undo", undo, img])
            if r.returncode:
                fails.append("e2undo after the completed run: " +
                             r.stderr)
            fails += self.undo_diff(img, False)
        # Without an undo file: the same writes but those that have the
        # undo file save blocks before the commit changes anything.
        copy_image(self.orig, img)
        r = self.driver(img, [])
        m = re.search(r"^writes (\d+)", r.stdout, re.M)
        if r.returncode or not m or int(m.group(1)) > total:
            fails.append("run without undo: exit %d, %s (with undo: %d)" %
                         (r.returncode, r.stdout.strip(), total))
        fsck = run(["e2fsck", "-fn", img])
        if fsck.returncode:
            fails.append("run without undo not clean: " + fsck.stdout[-600:])
        trace = parse_trace(trace, self.layout)
        shutil.rmtree(d)
        # One commit: past its point of no return (its first inode-table
        # write after a flush) the undo file never has to grow, so a full
        # undo disk cannot stop the commit half way.
        writes, flushes, _, ug_writes, _ = trace
        first = first_commit_itable(writes, flushes)
        late = [n for n in ug_writes if first and first <= n <= total]
        if commits == 1 and late:
            fails.append("the undo file grows past the point of no return "
                         "(for image write %d, the commit's inode-table "
                         "writes start at %d)" % (late[0], first))
        return (migrated, total) + trace + (fails,)

    def check_image(self, img):
        """(a) and (b) on a stopped image (modified: e2fsck runs on it).
        Returns (failures, e2fsck repairs); many points leave the same
        image behind, so the caller remembers the answer by content."""
        fails = self.same_files(img, "after the stop")
        fsck = run(["e2fsck", "-fy", img])
        if fsck.returncode not in (0, 1):
            fails.append("(b) e2fsck -fy exit %d: %s" %
                         (fsck.returncode, fsck.stdout[-400:]))
        loss = [l for l in fsck.stdout.splitlines() if LOSS.search(l)]
        if loss:
            fails.append("(b) e2fsck -fy: " + " | ".join(loss[:5]))
        repairs = repairs_made(fsck.stdout)
        fixed = fsck.returncode != 0
        fsck = run(["e2fsck", "-fn", img])
        if fsck.returncode:
            fails.append("(b) e2fsck -fn after -fy: " + fsck.stdout[-400:])
        if fixed:       # exit 0: e2fsck changed nothing, (a) stands
            fails += self.same_files(img, "after e2fsck", True)
        return fails, repairs

    def point(self, where, action, n, sync, first_itable):
        """Crash at image write n (where "w"), undo-file write n ("u") or
        flush n ("f"); returns (label, failures, e2fsck repairs)."""
        label = "%s%s@%s%d" % (action, "/sync" if sync else "",
                               {"w": "", "u": "undo", "f": "flush"}[where], n)
        d = os.path.join(self.args.work, label.replace("/", "_"))
        os.makedirs(d, exist_ok=True)
        img, undo = os.path.join(d, "img"), os.path.join(d, "undo")
        copy_image(self.orig, img)
        opts = ["-" + {"w": "n", "u": "u", "f": "F"}[where], str(n),
                "-a", action] + ([] if self.args.no_undo else
                                 ["-z", undo]) + (["-s"] if sync else [])
        r = self.driver(img, opts)
        fails, repairs = [], []
        failed = action in ("eio", "eio-sticky", "full")
        eio = failed and where == "w"
        want = 1 if failed else CRASH_EXIT
        prog = re.escape(os.path.basename(self.args.driver))
        if r.returncode != want:
            fails.append("exit %d, wanted %d: %s" %
                         (r.returncode, want, r.stderr.strip()[-300:]))
        # libext2fs turns EIO into its own codes ("Can't write a block
        # bitmap"): the driver must report a failure, whatever the words.
        if failed and not re.search(r"^%s: \S+ .*: " % prog, r.stderr, re.M):
            fails.append("failure not reported: " + r.stderr.strip()[-300:])
        # A failed write of the undo file is reported as that file's.
        if failed and where == "u" and not re.search(
                r"^%s: (undo file %s: |close .*undo file)" % (
                    prog, re.escape(undo)), r.stderr, re.M):
            fails.append("undo file not named: " + r.stderr.strip()[-300:])
        st = state(img)
        # A failed write may have reached the disk in part: from the first
        # inode-table write on, the filesystem must say it needs e2fsck --
        # unless the write path had finished and only the close failed.
        at_close = re.search(r"^%s: close " % prog, r.stderr, re.M)
        if eio and first_itable is not None and first_itable <= n and \
                st == "clean" and not at_close:
            fails.append("EIO at or after an inode-table write, yet the "
                         "filesystem is marked " + st)
        clean_now = run(["e2fsck", "-fn", img])
        if st == "clean" and clean_now.returncode:
            fails.append("marked clean but e2fsck -fn finds errors: " +
                         clean_now.stdout[-400:])
        if ((action == "eio" and where == "w" and
             (first_itable is None or n < first_itable)) or
                (failed and where == "u")) and clean_now.returncode:
            fails.append("failed before any inode write, disk not "
                         "restored: " + clean_now.stdout[-400:])
        copy_image(img, img + ".undo")
        key = file_sha(img)
        with self.lock:
            memo = self.memo.get(key)
        if memo is None:
            memo = self.check_image(img)
            with self.lock:
                self.memo[key] = memo
        fails += memo[0]
        repairs = memo[1]
        if not self.args.no_undo:
            fails += self.recover(undo, img + ".undo", not eio)
        if fails:
            shutil.move(d, os.path.join(self.keep, os.path.basename(d)))
        else:
            shutil.rmtree(d)
        return label, fails, repairs

    def recover(self, undo, img, incomplete):
        """(c): doc/crash.md's recovery on img, checked."""
        return recovery.recover(self.orig_bytes, undo, img, incomplete,
                                self.layout.bs)


def copy_image(src, dst):
    """A copy of src with its holes left holes (SEEK_DATA, SEEK_HOLE): the
    test images are sparse, and every point copies one twice before the
    driver, e2fsck and e2undo fsync it.  A full copy (shutil's) makes a
    disk write all of it at the first fsync: the 8 MiB image has 2.4 MiB
    of data, the 24 MiB one 14."""
    with open(src, "rb", buffering=0) as i, open(dst, "wb", buffering=0) as o:
        fi, fo = i.fileno(), o.fileno()
        size = os.fstat(fi).st_size
        off = 0
        while off < size:
            try:
                off = os.lseek(fi, off, os.SEEK_DATA)
            except OSError:     # ENXIO: nothing but a hole up to the end
                break
            end = os.lseek(fi, off, os.SEEK_HOLE)
            while off < end:
                data = os.pread(fi, min(end - off, 1 << 20), off)
                if not data:
                    raise OSError("copy_image: %s shrank" % src)
                off += os.pwrite(fo, data, off)
        os.ftruncate(fo, size)


ZERO_MIB = bytes(1 << 20)


BUFS = threading.local()


class ContentHash:
    """A sha256 of a content fed in pieces of any size, hashed a MiB at a
    time: a dump of the triple-indirect sparse file is 64 MiB, nearly all
    zeros, read after every point.  An all-zero MiB is hashed as a mark of
    its own ("z" against "d" and the data): one-to-one, and only the data
    costs hashing."""

    def __init__(self):
        self.h, self.pend = hashlib.sha256(), bytearray()

    def mib(self, piece):
        """One MiB (or the last piece), as bytes or bytearray: their
        comparison is a memcmp, a memoryview's is not."""
        if piece == ZERO_MIB:
            self.h.update(b"z")
        else:
            self.h.update(b"d%d:" % len(piece))
            self.h.update(piece)

    def add(self, data):
        data = memoryview(data)
        while data:
            if not self.pend and len(data) >= len(ZERO_MIB):
                self.mib(data[:len(ZERO_MIB)].tobytes())
                data = data[len(ZERO_MIB):]
                continue
            take = len(ZERO_MIB) - len(self.pend)
            self.pend += data[:take]
            data = data[take:]
            if len(self.pend) == len(ZERO_MIB):
                self.mib(self.pend)
                self.pend = bytearray()

    def hexdigest(self):
        if self.pend:
            self.mib(self.pend)
            self.pend = bytearray()
        return self.h.hexdigest()


def file_sha(path):
    """ContentHash of a file, read a MiB at a time into the thread's
    buffer."""
    if not hasattr(BUFS, "buf"):
        BUFS.buf = bytearray(len(ZERO_MIB))
        BUFS.view = memoryview(BUFS.buf)
    h = ContentHash()
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(BUFS.buf)
            if not n:
                return h.hexdigest()
            h.mib(BUFS.buf if n == len(BUFS.buf) else BUFS.view[:n].tobytes())


def read_cats(out, inodes, nonce):
    """{inode: ContentHash hex} from the output of cat.cmds: for the k-th
    inode I, "debugfs: cat <I>\\n", its content, "# NONCE k\\n" (debugfs
    flushes its echo of a command before cat writes).  An inode whose
    output is cut short by the end of the stream (debugfs died) is None."""
    res = dict.fromkeys(inodes)
    data = bytearray()
    eof = False

    def more():
        nonlocal eof
        chunk = out.read(1 << 20)
        if chunk:
            data.extend(chunk)
        else:
            eof = True

    for k, i in enumerate(inodes):
        head = b"debugfs: cat <%d>\n" % i
        tail = b"# %s %d\n" % (nonce.encode(), k)
        while len(data) < len(head) and not eof:
            more()
        if not data and eof:
            return res
        if data[:len(head)] != head:
            raise RuntimeError("debugfs output out of step at <%d>: %r" %
                               (i, bytes(data[:80])))
        del data[:len(head)]
        h = ContentHash()
        while True:
            at = data.find(tail)
            if at >= 0:
                h.add(memoryview(data)[:at])
                del data[:at + len(tail)]
                res[i] = h.hexdigest()
                break
            # All but what may be the start of the mark is content.
            keep = len(tail) - 1
            if len(data) > keep:
                h.add(memoryview(data)[:len(data) - keep])
                del data[:len(data) - keep]
            if eof:
                return res
            more()
    return res


def repairs_made(out):
    """What e2fsck -y fixed, numbers blanked: the line before each answer."""
    kinds, prev = set(), ""
    for line in out.splitlines():
        if line.rstrip().endswith("? yes"):
            what = line if len(line.split("?")[0].split()) > 1 else prev
            kinds.add(re.sub(r"\d+", "#", what.split(":")[0]).strip())
        elif line.strip():
            prev = line
    return sorted(kinds)


def state(img):
    """The superblock's state; "invalid" when its checksum does not match
    (no tool, the kernel included, takes its word then)."""
    r = run(["dumpe2fs", "-h", img])
    if re.search(r"checksum does not match", r.stderr):
        return "invalid superblock"
    m = re.search(r"^Filesystem state:\s+(.*)$", r.stdout, re.M)
    return m.group(1).strip() if m else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--max-points", type=int, default=20)
    ap.add_argument("--kinds", default="write,sync,torn,eio,undo,flush",
                    help="sampled runs only: which points (write: stop at "
                    "image writes, sync: stop -s, torn, eio: eio and "
                    "eio-sticky, undo: undo-file writes, flush)")
    ap.add_argument("--no-undo", action="store_true",
                    help="every run without an undo file")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()

    # Scratch images under $TMPDIR when it is set (the suite runs with it
    # on tmpfs and on disk), else on tmpfs when there is one: every point
    # copies the image twice and e2fsck, e2undo and the driver fsync it.
    # A failing point's directory is moved to --work for inspection.
    shm = "/dev/shm"
    scratch = tempfile.mkdtemp(prefix="e2lua-crash.", dir=os.environ.get("TMPDIR") or (
        shm if os.access(shm, os.W_OK) else args.work))
    try:
        return run_points(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_points(args, scratch):
    work = args.work
    args.work = scratch
    os.makedirs(work, exist_ok=True)
    c = Checker(args, args.extra, work)
    (migrated, total, writes, flushes, ugroups, ug_writes, nflush,
     fails) = c.count()
    uwrites = sum(len(g) for g in ugroups)
    segs = segments(writes, flushes)
    print("count run: %d inodes migrated in %d writes, %d flushes of the "
          "image, %d flushes in all, %d writes of the undo file" %
          (migrated, total, len(flushes), nflush, uwrites))
    for a, b, k in segs:
        print("  writes %d-%d: %s" % (a, b, k))
    for f in fails:
        print("FAIL count run: " + f)
    first_itable = first_commit_itable(writes, flushes)
    first_flush = flushes[0] if flushes else 0
    if args.all:
        upts = undo_points(ugroups)
    else:
        # The first (setting the file up), the header write of the first
        # record the commit proper needs (after its first flush), the
        # first one past the point of no return (there should be none),
        # the last.
        mid = [g for g, n in zip(ugroups, ug_writes) if n > first_flush]
        late = [g for g, n in zip(ugroups, ug_writes)
                if first_itable and first_itable <= n <= total]
        upts = sorted({ugroups[0][0], ugroups[-1][-1]} |
                      ({mid[0][min(2, len(mid[0]) - 1)]} if mid else set()) |
                      ({late[0][0]} if late else set())) if ugroups else []

    # (where, action, n, sync)
    if args.all:
        every = list(range(1, total + 1))
        jobs = [("w", a, n, s) for n in every
                for a, s in (("stop", False), ("torn", True), ("eio", False))]
        pts = sample(segs, total, 10**9)
        jobs += [("w", "stop", n, True) for n in pts]
        jobs += [("w", "eio-sticky", n, False) for n in pts]
        jobs += [("u", a, n, s) for n in upts
                 for a, s in (("stop", True), ("full", False))]
        jobs += [("u", "eio", n, False)
                 for n in (sorted({upts[0], upts[-1]}) if upts else [])]
    else:
        pts = sample(segs, total, args.max_points)
        starts = spread(sorted({s[0] for s in segs} | {total}),
                        args.max_points)
        jobs = [("w", "stop", n, False) for n in pts]
        jobs += [("w", "stop", n, True) for n in starts]
        jobs += [("w", "torn", n, True) for n in starts]
        jobs += [("w", "eio", n, False) for n in starts]
        jobs += [("w", "eio-sticky", n, False) for n in sorted({1, total} |
                 ({first_itable} if first_itable else set()))]
        jobs += [("u", a, n, s) for n in upts
                 for a, s in (("stop", True), ("full", False))]
        jobs += [("u", "eio", upts[-1], False)] if upts else []
    jobs += [("f", "stop", n, False) for n in range(1, nflush + 1)]
    if not args.all:
        kinds = set(args.kinds.split(","))
        jobs = [j for j in jobs if job_kind(j) in kinds]

    nfail = len(fails)
    seen = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futs = [ex.submit(c.point, w, a, n, s, first_itable)
                for w, a, n, s in jobs]
        for done, fut in enumerate(futs, 1):
            label, pfails, repairs = fut.result()
            if done % 250 == 0:
                print("  ... %d of %d runs" % (done, len(futs)), flush=True)
            for r in repairs:
                seen[r] = seen.get(r, 0) + 1
            if pfails:
                nfail += 1
                print("FAIL %s: %s" % (label, "; ".join(pfails)))
    kinds = {}
    for w, a, _, s in jobs:
        key = a + ("/sync" if s else "") + {"w": "", "u": " (undo file)",
                                            "f": " (flush)"}[w]
        kinds[key] = kinds.get(key, 0) + 1
    print("crash points: %d runs (%s) over %d writes, %d undo-file writes, "
          "%d flushes" % (len(jobs), ", ".join(
              "%d %s" % (v, k) for k, v in sorted(kinds.items())),
              total, uwrites, nflush))
    for r, v in sorted(seen.items()):
        print("  e2fsck -fy repaired at %d point(s): %s" % (v, r))
    print("%d failed" % nfail)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
