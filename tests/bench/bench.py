#!/usr/bin/env python3
"""bench.py -- e2lua against e2fsck and debugfs (run by tests/bench/bench.sh).

Images, made once and cached in build/bench/ (rebuilt when gen_bench.py or
the recipe below changes):
  main.img    4 GiB ext3, 4 KiB blocks, block-mapped: 100,000 small files,
              16 large, 500 sparse (some triple indirect), 8 fragmented
              (~1,500 fragments each) and the 12,000 fillers between them.
  big.img     1 KiB blocks, /big: 1,048,576 data blocks (triple indirect).
  inodes.img  4 KiB blocks, 1,100,000 inodes, 10,000 of them in use.

Runs (each migration on a fresh copy, synced to disk first so nobody pays
for the copy's write-back; median of BENCH_RUNS, default 3):
  a. e2lua -w IMG scripts/migrate-all.lua  vs  e2fsck -fy -E bmap2extent IMG
     (and, for reference, the core alone: build/crash/crashmig IMG)
  b. e2lua -w IMG scripts/sized.lua --order largest --max-files N (the
     largest 1% of the files)  vs  the same e2fsck run
  c. e2lua -R 'blocks /big'  vs  debugfs -R 'blocks /big' (same output,
     checked), and the inode-table walk fs:inodes() vs debugfs lsdel (a
     sequential scan of every inode that prints nothing on a clean fs: the
     same work, the cheapest debugfs command that does it)
  d. the kernel's chattr +e over every file, where loop mounting works.
  e. the whole-filesystem fragmentation report: e2lua -R survey (and
     frag -a) vs e2fsck -fn on main.img, read-only, warm cache; the
     non-contiguous counts must agree with e2fsck -fnv's.
  f-i. at scale (issue 12; images in build/bench-scale/, see "At scale"
     below): f. the floor and 200,000 files, g. cold cache on main.img,
     h. 4 TiB ext3 with 1,000 and 30,000 files, i. peak memory on 512 GiB
     and 16 TiB.
  j. relocation (issue 10): the copy's throughput, relocating reloc.img's
     /big (1 GiB; a 3 GiB ext3 image of 4 KiB blocks, made once), against
     dd copying the same bytes between the same places of the same image
     (goal: at least 0.8x dd's); and defragmenting
     main.img's 8 fragmented files (defrag.lua) against migrating them in
     place.
BENCH_ONLY=part[,part...] runs only those parts: main (a-e), floor,
cold, tera, memory, reloc.  Every migration result must pass e2fsck -fn, and the runs count what
they left block-mapped.  Targets print PASS or MISS; a failed check
(e2fsck, a file left behind, blocks output unlike debugfs's) fails.
"""
import bisect
import collections
import errno
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.path.join(TOP, "build", "bench")
W = os.path.join(B, "work")
E2LUA = os.path.join(TOP, "e2lua")
SCRIPTS = os.path.join(TOP, "scripts")
GEN = os.path.join(TOP, "tests", "bench", "gen_bench.py")
CRASHMIG = os.path.join(TOP, "build", "crash", "crashmig")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RECIPE = "v1"   # bump when an image recipe below changes

UUID = "6d2a4b3c-1111-4222-8333-444455556666"
MKFS = ["mke2fs", "-q", "-F", "-t", "ext3", "-U", UUID, "-E", "hash_seed=" + UUID]


def sh(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace", **kw)
    if r.returncode:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                r.stderr[-800:]))
    return r.stdout


def stamp():
    h = hashlib.sha256(RECIPE.encode())
    with open(GEN, "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:16]


def build_images():
    """Make the three images unless the cached ones match the recipe."""
    st = os.path.join(B, "stamp")
    want = stamp()
    imgs = [os.path.join(B, n) for n in ("main.img", "big.img", "inodes.img")]
    if os.path.exists(st) and open(st).read() == want and \
            all(os.path.exists(i) for i in imgs):
        return imgs
    print("bench: making the images in %s (once; a few minutes)" % B, flush=True)
    shutil.rmtree(B, ignore_errors=True)
    os.makedirs(B)
    tree = os.path.join(B, "tree")
    sh(["python3", GEN, "main", tree])
    sh(MKFS + ["-b", "4096", "-d", tree, imgs[0], "4G"])
    sh(["debugfs", "-w", "-f", tree + ".frag", imgs[0]])
    clean_tree(tree)
    sh(["python3", GEN, "big", tree])
    sh(MKFS + ["-b", "1024", "-d", tree, imgs[1], "1200M"])
    clean_tree(tree)
    sh(["python3", GEN, "inodes", tree])
    sh(MKFS + ["-b", "4096", "-N", "1100000", "-d", tree, imgs[2], "2G"])
    clean_tree(tree)
    for i in imgs:
        sh(["e2fsck", "-fn", i])
    with open(st, "w") as f:
        f.write(want)
    return imgs


def clean_tree(tree):
    shutil.rmtree(tree)
    for n in os.listdir(B):
        if n.startswith("tree."):
            os.unlink(os.path.join(B, n))


def fresh_copy(src):
    dst = os.path.join(W, "img")
    sh(["cp", "--sparse=always", src, dst])
    sh(["sync", dst])
    return dst


def timed(cmd, out):
    """Run cmd under /usr/bin/time: (wall, user, sys, peak KiB, exit)."""
    tf = os.path.join(W, "time")
    with open(out, "w") as o:
        rc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf] + cmd,
                            stdout=o, stderr=subprocess.STDOUT).returncode
    return time_vals(tf) + (rc,)


def time_vals(tf):
    """(wall, user, sys, peak KiB) from /usr/bin/time -f "%e %U %S %M"."""
    last = open(tf).read().split("\n")
    vals = [l for l in last if re.match(r"^[\d.]+ [\d.]+ [\d.]+ \d+$", l)][-1].split()
    return float(vals[0]), float(vals[1]), float(vals[2]), int(vals[3])


def median_run(name, cmd_of, src, check=None, meter=None, cold=False, runs=None,
               copy=None):
    """Median by wall time of RUNS runs; cmd_of(img) gives the command.
    src: copy it fresh for every run (a writer), or None (read-only).
    meter: timed, or measure (also the I/O counts); cold: the page cache
    dropped before each run; runs: instead of RUNS; copy: instead of
    fresh_copy."""
    meter = meter or timed
    results = []
    for _ in range(runs or RUNS):
        img = (copy or fresh_copy)(src) if src else None
        out = os.path.join(W, name + ".out")
        if cold:
            drop_caches()
        t = meter(cmd_of(img), out)
        if t[4] not in (0, 1) or (t[4] == 1 and not name.startswith("e2fsck")):
            sys.exit("bench: %s exited %d:\n%s" % (name, t[4], open(out).read()[-1500:]))
        if check:
            check(img, out)
        results.append(t)
    results.sort(key=lambda t: t[0])
    return results[len(results) // 2]


COUNT = ("local e, b = 0, 0 for i in fs:inodes() do "
         "if i.has_blocks and (i.ino >= fs.super.first_ino or i.ino == 2) then "
         "if i.extent_mapped then e = e + 1 else b = b + 1 end end end print(e, b)")
mapped = {}     # run name -> (extent-mapped, block-mapped) after it


def fsck_clean(img, out):
    """The result must pass e2fsck -fn; count what it left block-mapped."""
    r = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        sys.exit("bench: e2fsck -fn after %s:\n%s" % (out, r.stdout[-1500:]))
    mapped[os.path.basename(out)] = tuple(int(x) for x in sh([E2LUA, img, "-e", COUNT]).split())


def show(label, t):
    print("  %-44s %7.2f s wall %6.2f s cpu %8.1f MiB peak" %
          (label, t[0], t[1] + t[2], t[3] / 1024))


def compare(label, ours, theirs, target=None, what="wall"):
    """Print ratio lines; target: ours/theirs wall must be <= it."""
    wr = ours[0] / theirs[0] if theirs[0] else float("inf")
    cr = (ours[1] + ours[2]) / max(theirs[1] + theirs[2], 0.005)
    mr = ours[3] / theirs[3]
    print("  %-44s wall x%.3f  cpu x%.3f  memory x%.2f" % (label + ":", wr, cr, mr))
    res = []
    if target:
        res.append(("%s wall <= %s e2fsck's" % (label, "1/%d of" % round(1 / target)
                                                if target < 1 else "x%g" % target),
                    wr <= target, "x%.3f" % wr, True))
        res.append(("%s peak memory <= e2fsck's" % label, mr <= 1.0,
                    "x%.2f" % mr, True))
    return res


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    return "%d cpus, %s, %.1f GiB RAM, Linux %s" % (
        os.cpu_count(), cpu, mem / 2**20, os.uname().release)


def loop_mount_works(img):
    mnt = os.path.join(W, "mnt")
    os.makedirs(mnt, exist_ok=True)
    r = subprocess.run(["mount", "-o", "loop", img, mnt], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        return None, r.stdout.strip().splitlines()[-1:] or ["?"]
    subprocess.run(["umount", mnt])
    return mnt, None


def files_in(img):
    out = sh(["dumpe2fs", "-h", img])
    n = int(re.search(r"Inode count:\s+(\d+)", out).group(1))
    free = int(re.search(r"Free inodes:\s+(\d+)", out).group(1))
    return n - free


# ---- At scale (issue 12): a floor, cold caches, multi-terabyte images ----
#
# Their images live in build/bench-scale/, apart from the three above (a
# change of those recipes does not rebuild these), each with its own stamp.
SCALE = os.path.join(TOP, "build", "bench-scale")
FLOOR = os.path.join(TOP, "build", "benchtools", "floor")
SCALE_RECIPE = "v1"     # bump when a recipe in scale_build changes
PARTS = ("main", "floor", "cold", "tera", "memory", "reloc")
GIB = 2 ** 30
MIB = 2 ** 20
# 16 TiB less one block: the largest file an ext4 host with 4 KiB blocks
# can hold (2^32 - 1 blocks); past 2^32 - 1 blocks only 64bit addresses it.
HUGE_BYTES = 16 * 2 ** 40 - 4096
# Large volumes are made with few inodes (mke2fs -T largefile4: 1 Mi
# inodes in 4 TiB, 32 a group) as their owners make them; the default
# (128 Mi inodes, 32 GiB of inode tables) has e2fsck -fn read holes for
# 3.5 minutes.  A 128 MiB journal: neither tool reads it, and copies stay
# small.
TERA = MKFS + ["-b", "4096", "-T", "largefile4", "-J", "size=128"]
# Real bytes an image needs to be built (tree included), with room for
# one working copy; checked with statvfs before anything is written.
SCALE_NEED = {"k200": 9 * GIB, "tera1k": 2 * GIB, "tera30k": 6 * GIB,
              "g512": 1 * GIB, "huge": 3 * GIB}


def parts_wanted():
    """BENCH_ONLY=part[,part...]: only those parts (default: all)."""
    only = os.environ.get("BENCH_ONLY", "").replace(",", " ").split()
    bad = [p for p in only if p not in PARTS]
    if bad:
        sys.exit("bench: BENCH_ONLY: no part %s (parts: %s)" %
                 (", ".join(bad), " ".join(PARTS)))
    return set(only or PARTS)


Run = collections.namedtuple("Run", "wall user sys rss rc io")


def measure(cmd, out):
    """Run cmd as timed does: a Run (wall, user, sys, peak KiB, exit,
    /proc/PID/io).  /usr/bin/time is waited for without being reaped
    (WNOWAIT): its /proc/PID/io then holds what it and the child it reaped
    did (its own is a few bytes): rchar/wchar (bytes through read and
    write calls, page cache or not) and read_bytes/write_bytes (what
    reached or will reach the device).  (The peak memory comes from time,
    not from this process's rusage: a child forked from Python counts
    Python's memory before its exec.)"""
    tf = os.path.join(W, "time")
    with open(out, "w") as o:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf] + cmd,
                             stdout=o, stderr=subprocess.STDOUT)
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    with open("/proc/%d/io" % p.pid) as f:
        io = {k: int(v) for k, v in (l.split(": ") for l in f.read().splitlines())}
    p.wait()
    return Run(*time_vals(tf), p.returncode, io)


def drop_caches():
    """Write back and drop the page cache: None, or why it cannot."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as e:
        return "%s (needs root, and a writable /proc/sys)" % e.strerror
    return None


def room(what, need):
    """Whether SCALE's filesystem has need bytes free (statvfs); says
    so when not."""
    os.makedirs(SCALE, exist_ok=True)
    st = os.statvfs(SCALE)
    free = st.f_bavail * st.f_frsize
    if free < need:
        print("  skipped: %s needs %.1f GiB free in %s, %.1f GiB there" %
              (what, need / GIB, SCALE, free / GIB))
        return False
    return True


def real_size(path):
    return os.stat(path).st_blocks * 512


def scale_build(name, img, tree):
    """Make image name at img (tree: scratch for its files)."""
    sh(["python3", GEN, {"k200": "k200", "tera30k": "tera30k"}.get(name, "tera1k"),
        tree])
    if name == "k200":
        sh(MKFS + ["-b", "4096", "-d", tree, img, "12G"])
    elif name.startswith("tera"):
        sh(TERA + ["-d", tree, img, "4T"])
    elif name == "g512":
        sh(TERA + ["-d", tree, img, "512G"])
    else:
        # mke2fs refuses 64bit without extent, and debugfs writes
        # block-mapped files only while the extent feature is off: make
        # an ext4 (64bit, flex_bg, metadata_csum, lazy inode tables), turn
        # extent off, write the files, turn it back on.
        with open(img, "w") as f:
            f.truncate(HUGE_BYTES)
        sh(["mke2fs", "-q", "-F", "-t", "ext4", "-O", "64bit", "-b", "4096",
            "-U", UUID, "-E", "hash_seed=%s,lazy_itable_init=1" % UUID,
            "-J", "size=128", img])
        script = img + ".cmd"
        with open(script, "w") as f:
            f.write("feature -extent\nmkdir /d\n")
            for d, _, files in sorted(os.walk(tree)):
                rel = os.path.relpath(d, tree)
                if rel != ".":
                    f.write("mkdir /d/%s\n" % rel)
                for n in sorted(files):
                    f.write("write %s /d/%s/%s\n" % (os.path.join(d, n), rel, n))
            f.write("feature extent\n")
        sh(["debugfs", "-w", "-f", script, img])
        os.unlink(script)
    shutil.rmtree(tree)


def scale_image(name):
    """build/bench-scale/NAME.img, made unless the cached one matches the
    recipe; None (said why) when there is no room for it and a copy."""
    img = os.path.join(SCALE, name + ".img")
    st = img + ".stamp"
    h = hashlib.sha256((SCALE_RECIPE + name).encode())
    with open(GEN, "rb") as f:
        h.update(f.read())
    want = h.hexdigest()[:16]
    if os.path.exists(st) and open(st).read() == want and os.path.exists(img):
        return img if room("a copy of " + name, real_size(img) + GIB) else None
    if not room("making " + name, SCALE_NEED[name]):
        return None
    print("  making %s (once)" % img, flush=True)
    for p in (img, st):
        if os.path.exists(p):
            os.unlink(p)
    tree = os.path.join(SCALE, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    scale_build(name, img, tree)
    sh(["e2fsck", "-fn", img])
    with open(st, "w") as f:
        f.write(want)
    return img


def data_segments(fd):
    """[(start, end)] of an open file's data (SEEK_DATA/SEEK_HOLE)."""
    segs, off, size = [], 0, os.fstat(fd).st_size
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                break
            raise
        off = os.lseek(fd, start, os.SEEK_HOLE)
        segs.append((start, off))
    return segs


def restore_copy(src):
    """A working copy of src, made equal to it again by rewriting only the
    chunks that differ (build/bench-scale/work/, kept between runs).
    Copying afresh would first delete the last copy, and freeing a 4 TiB
    image's tens of thousands of extents on a filesystem mounted with
    discard takes minutes."""
    work = os.path.join(SCALE, "work")
    os.makedirs(work, exist_ok=True)
    dst = os.path.join(work, os.path.basename(src))
    st = os.stat(src)
    mark = "%d %d" % (st.st_size, st.st_mtime_ns)
    if not os.path.exists(dst + ".src") or open(dst + ".src").read() != mark:
        if os.path.exists(dst):
            os.unlink(dst)
        sh(["cp", "--sparse=always", src, dst])
        sh(["sync", dst])
        with open(dst + ".src", "w") as f:
            f.write(mark)
        return dst
    chunk = MIB
    s, d = os.open(src, os.O_RDONLY), os.open(dst, os.O_RDWR)
    try:
        ss = data_segments(s)
        # After a cold run neither file is cached: ask for every segment
        # at once rather than one small read after another.
        for fd in (s, d):
            for a, b in data_segments(fd):
                os.posix_fadvise(fd, a, b - a, os.POSIX_FADV_WILLNEED)
        # What the last run wrote where src has a hole: zeros again.
        starts = [a for a, _ in ss]
        for a, b in data_segments(d):
            for off in range(a, b, chunk):
                n = min(chunk, b - off)
                i = bisect.bisect_right(starts, off) - 1
                if (i >= 0 and ss[i][1] >= off + n) or not any(os.pread(d, n, off)):
                    continue
                os.pwrite(d, os.pread(s, n, off), off)  # src: zeros or data
        for a, b in ss:
            for off in range(a, b, chunk):
                n = min(chunk, b - off)
                want = os.pread(s, n, off)
                if os.pread(d, n, off) != want:
                    os.pwrite(d, want, off)
        os.fsync(d)
    finally:
        os.close(s)
        os.close(d)
    return dst


def cpu(t):
    return max(t.user + t.sys, 0.005)


def mib(n):
    return "%.1f MiB" % (n / MIB)


def show_io(label, t):
    """show, and the I/O counts of a measure()d run."""
    show(label, t)
    io = t.io
    print("  %-44s read %s (device %s), written %s (device %s), %d reads %d writes" %
          ("", mib(io["rchar"]), mib(io["read_bytes"]), mib(io["wchar"]),
           mib(io["write_bytes"]), io["syscr"], io["syscw"]))


def goal(results, label, value, limit, unit="x"):
    """Print label's value against its goal (value <= limit): PASS/MISS."""
    ok = value <= limit
    val = ("x%.3f" % value) if unit == "x" else mib(value)
    lim = ("x%g" % limit) if unit == "x" else mib(limit)
    print("  %-44s %-12s goal <= %s: %s" % (label + ":", val, lim,
                                               "PASS" if ok else "MISS"))
    results.append(("%s <= %s" % (label, lim), ok, val, True))


def before_counts(img):
    """(extent-mapped, block-mapped) files of img (COUNT)."""
    return tuple(int(x) for x in sh([E2LUA, img, "-e", COUNT]).split())


def all_migrated(results, label, before, name):
    """Check: run name left nothing block-mapped."""
    after = mapped[name + ".out"]
    print("  %s: %d block-mapped before, extent/block-mapped after %d/%d" %
          ((label, before[1]) + after))
    results.append(("%s leaves nothing block-mapped" % label,
                    after == (before[0] + before[1], 0), "", False))


def migrate_cmd(img):
    return [E2LUA, "-w", img, os.path.join(SCRIPTS, "migrate-all.lua")]


def fsck_cmd(img):
    return ["e2fsck", "-fy", "-E", "bmap2extent", img]


def run12(name, cmd_of, src=None, **kw):
    """median_run for these parts: measured (I/O too), on a working copy
    restored for each run (src), checked with e2fsck -fn afterwards."""
    return median_run(name, cmd_of, src, fsck_clean if src else None,
                      meter=measure, copy=restore_copy, **kw)


def part_floor(results):
    """(f) 200,000 files: migrate-all against the floor and e2fsck."""
    print("\n(f) the floor: k200.img (12 GiB ext3, 200,016 files), warm cache")
    img = scale_image("k200")
    if not img:
        return
    before = before_counts(img)
    print("  %d files, directories, symlinks with blocks (block-mapped)" % before[1])
    sh([FLOOR, img])    # warm: the figures below are CPU and page cache
    floor = run12("floor", lambda _: [FLOOR, img])
    floor_s = run12("floor-s", lambda _: [FLOOR, "-s", img])
    mig = run12("migrate-all-k200", migrate_cmd, img)
    fsck = run12("e2fsck-k200", fsck_cmd, img)
    counts = open(os.path.join(W, "floor.out")).read().split()
    print("  floor walked %s maps, %s data blocks" % (counts[3], counts[5]))
    show("floor: libext2fs inode scan + every map", floor)
    show("floor -s: free inode-table tails skipped", floor_s)
    show("e2lua migrate-all.lua", mig)
    show("e2fsck -fy -E bmap2extent", fsck)
    goal(results, "k200 migrate-all / floor", mig.wall / floor.wall, 1.5)
    print("  %-44s x%.3f" % ("k200 migrate-all / floor -s:", mig.wall / floor_s.wall))
    goal(results, "k200 migrate-all / e2fsck", mig.wall / fsck.wall, 0.15)
    # On a shared machine the wall time of a warm run is mostly waiting
    # for a CPU: the CPU ratios say how much work each does.
    print("  %-44s x%.3f of the floor's, x%.3f of e2fsck's" %
          ("k200 migrate-all CPU time:", cpu(mig) / cpu(floor), cpu(mig) / cpu(fsck)))
    goal(results, "k200 migrate-all peak memory / e2fsck's", mig.rss / fsck.rss, 1)
    all_migrated(results, "k200 migrate-all", before, "migrate-all-k200")
    why = drop_caches()
    if why:
        print("  cold runs skipped: cannot drop the page cache: " + why)
        return
    print("  cold (page cache dropped before each run):")
    floor = run12("floor-cold", lambda _: [FLOOR, img], cold=True)
    floor_r = run12("floor-r-cold", lambda _: [FLOOR, "-r", img], cold=True)
    mig = run12("migrate-all-k200-cold", migrate_cmd, img, cold=True)
    fsck = run12("e2fsck-k200-cold", fsck_cmd, img, cold=True)
    show_io("floor, cold", floor)
    show_io("floor -r (read-ahead), cold", floor_r)
    show_io("e2lua migrate-all.lua, cold", mig)
    show_io("e2fsck -fy -E bmap2extent, cold", fsck)
    print("  %-44s x%.3f" % ("cold migrate-all / cold e2fsck:", mig.wall / fsck.wall))
    print("  %-44s x%.3f" % ("cold migrate-all / cold floor -r:",
                             mig.wall / floor_r.wall))


def sized_cmd(top):
    return lambda i: [E2LUA, "-w", i, os.path.join(SCRIPTS, "sized.lua"),
                      "--order", "largest", "--max-files", str(top)]


def part_cold(results, main_img):
    """(g) main.img with the page cache dropped before each run."""
    print("\n(g) cold cache: main.img, page cache dropped before each run")
    why = drop_caches()
    if why:
        print("  skipped: cannot drop the page cache: " + why)
        return
    if not room("a copy of main.img", real_size(main_img) + GIB):
        return
    top = max(1, files_in(main_img) // 100)
    fsck = run12("e2fsck-cold", fsck_cmd, main_img, cold=True)
    mig = run12("migrate-all-cold", migrate_cmd, main_img, cold=True)
    sel = run12("sized-cold", sized_cmd(top), main_img, cold=True)
    mig_w = run12("migrate-all-warm", migrate_cmd, main_img)
    sel_w = run12("sized-warm", sized_cmd(top), main_img)
    show_io("e2fsck -fy -E bmap2extent, cold", fsck)
    show_io("e2lua migrate-all.lua, cold", mig)
    show_io("e2lua sized.lua (largest %d), cold" % top, sel)
    show("e2lua migrate-all.lua, warm", mig_w)
    show("e2lua sized.lua, warm", sel_w)
    goal(results, "cold migrate-all / cold e2fsck", mig.wall / fsck.wall, 0.25)
    goal(results, "cold selective / cold e2fsck", sel.wall / fsck.wall, 0.25)
    goal(results, "cold / warm migrate-all", mig.wall / mig_w.wall, 2)
    goal(results, "cold / warm selective", sel.wall / sel_w.wall, 2)
    results.append(("cold selective migrates exactly %d files" % top,
                    mapped["sized-cold.out"][0] == top, "", False))


def undo_sizes(img, name):
    """One run each of e2lua and e2fsck with -z: the undo file's size."""
    undo = os.path.join(W, "undo")
    for tool, cmd_of in (("e2lua", migrate_cmd), ("e2fsck", fsck_cmd)):
        if os.path.exists(undo):
            os.unlink(undo)
        t = run12("%s-undo-%s" % (tool, name),
                  lambda i: cmd_of(i)[:1] + ["-z", undo] + cmd_of(i)[1:], img, runs=1)
        print("  %-44s %7.2f s wall, undo file %s" %
              ("%s with -z UNDO, warm" % tool, t.wall, mib(os.path.getsize(undo))))


def part_tera(results):
    """(h) 4 TiB ext3 with 1,000 and 30,000 small files."""
    cold_why = drop_caches()
    for name, n in (("tera1k", 1000), ("tera30k", 30000)):
        print("\n(h) 4 TiB ext3 (32,768 groups, 1 Mi inodes), %d small files: %s.img"
              % (n, name))
        img = scale_image(name)
        if not img:
            continue
        before = before_counts(img)
        modes = [("warm", False)]
        if cold_why:
            print("  cold runs skipped: cannot drop the page cache: " + cold_why)
        else:
            modes.append(("cold", True))
        for mode, cold in modes:
            mig = run12("migrate-all-%s-%s" % (name, mode), migrate_cmd, img, cold=cold)
            fsck = run12("e2fsck-%s-%s" % (name, mode), fsck_cmd, img, cold=cold)
            show_io("e2lua migrate-all.lua, " + mode, mig)
            show_io("e2fsck -fy -E bmap2extent, " + mode, fsck)
            label = "%s %s migrate-all" % (name, mode)
            if n == 1000:
                goal(results, label + " / e2fsck", mig.wall / fsck.wall, 0.1)
                goal(results, label + " written", mig.io["wchar"], 16 * MIB, "MiB")
            else:
                print("  %-44s x%.3f" % (label + " / e2fsck:", mig.wall / fsck.wall))
            goal(results, label + " peak memory / e2fsck's", mig.rss / fsck.rss, 1)
        all_migrated(results, name + " migrate-all", before, "migrate-all-%s-warm" % name)
        undo_sizes(img, name)


def part_memory(results):
    """(i) peak memory, 1,000 small files: on 512 GiB (2^27 blocks, the
    largest filesystem whose bitmaps e2lua keeps as bit arrays) and on a
    16 TiB 64bit filesystem."""
    for name, title in (
            ("g512", "512 GiB ext3 (4,096 groups, 2^27 blocks)"),
            ("huge", "16 TiB 64bit ext4 made block-mapped (131,072 groups)")):
        print("\n(i) %s, 1,000 small files: peak memory (one run each): %s.img" %
              (title, name))
        img = scale_image(name)
        if not img:
            continue
        before = before_counts(img)
        mig = run12("migrate-all-" + name, migrate_cmd, img, runs=1)
        fsck = run12("e2fsck-" + name, fsck_cmd, img, runs=1)
        show_io("e2lua migrate-all.lua", mig)
        show_io("e2fsck -fy -E bmap2extent", fsck)
        goal(results, name + " migrate-all peak memory / e2fsck's", mig.rss / fsck.rss, 1)
        all_migrated(results, name + " migrate-all", before, "migrate-all-" + name)


def part_main(results, main_img, big_img, inodes_img):
    """(a)-(e): main.img, big.img, inodes.img, warm."""
    nfiles = files_in(main_img)
    top = max(1, nfiles // 100)
    print("main.img: %d inodes in use; runs: median of %d\n" % (nfiles, RUNS))

    print("(a) migrate everything")
    fsck = median_run("e2fsck", lambda i: ["e2fsck", "-fy", "-E", "bmap2extent", i],
                      main_img, fsck_clean)
    show("e2fsck -fy -E bmap2extent", fsck)
    mig = median_run("migrate-all", lambda i: [E2LUA, "-w", i,
                     os.path.join(SCRIPTS, "migrate-all.lua")], main_img, fsck_clean)
    show("e2lua migrate-all.lua", mig)
    results += compare("migrate-all", mig, fsck, 1 / 4)
    # The core without Lua: the crash-test driver stages everything and
    # commits once -- where the policy layer's time goes, by difference.
    core = median_run("core", lambda i: [CRASHMIG, i], main_img, fsck_clean)
    show("core alone (C driver, one commit)", core)
    compare("core alone", core, fsck)
    before = tuple(int(x) for x in sh([E2LUA, main_img, "-e", COUNT]).split())
    print("  files, directories, symlinks with blocks: %d block-mapped before; "
          "extent/block-mapped after e2fsck %d/%d, after e2lua %d/%d" %
          ((before[1],) + mapped["e2fsck.out"] + mapped["migrate-all.out"]))
    results.append(("migrate-all leaves nothing block-mapped",
                    mapped["migrate-all.out"] == (before[1], 0), "", False))

    print("\n(b) the largest 1%% of the files (%d)" % top)
    sel = median_run("sized", lambda i: [E2LUA, "-w", i, os.path.join(SCRIPTS, "sized.lua"),
                     "--order", "largest", "--max-files", str(top)], main_img, fsck_clean)
    show("e2lua sized.lua --order largest --max-files %d" % top, sel)
    results += compare("selective", sel, fsck, 1 / 10)
    print("  extent-mapped after the selective run: %d" % mapped["sized.out"][0])
    results.append(("selective migrates exactly %d files" % top,
                    mapped["sized.out"][0] == top, "", False))

    print("\n(c) walking (read-only, warm cache)")
    for cmd in (["debugfs", "-R", "blocks /big", big_img],):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dbg = median_run("debugfs-blocks", lambda _: ["debugfs", "-R", "blocks /big", big_img], None)
    ours = median_run("e2lua-blocks", lambda _: [E2LUA, "-R", "blocks /big", big_img], None)
    a = sh(["debugfs", "-R", "blocks /big", big_img])
    b = sh([E2LUA, "-R", "blocks /big", big_img])
    same = a.split() == b.split()
    print("  /big: %d blocks listed; output identical to debugfs: %s" %
          (len(b.split()), "yes" if same else "NO"))
    results.append(("blocks output equals debugfs's", same, "", False))
    show("debugfs -R 'blocks /big'", dbg)
    show("e2lua -R 'blocks /big'", ours)
    compare("blocks /big", ours, dbg)
    scan = "local n = 0 for _ in fs:inodes() do n = n + 1 end print(n)"
    subprocess.run(["debugfs", "-R", "lsdel", inodes_img], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    dbg = median_run("debugfs-lsdel", lambda _: ["debugfs", "-R", "lsdel", inodes_img], None)
    ours = median_run("e2lua-inodes", lambda _: [E2LUA, inodes_img, "-e", scan], None)
    n = sh([E2LUA, inodes_img, "-e", scan]).strip()
    print("  inodes.img: 1,100,000 inodes scanned, %s in use (fs:inodes() count)" % n)
    show("debugfs -R lsdel", dbg)
    show("e2lua fs:inodes() count", ours)
    compare("inode scan", ours, dbg)

    print("\n(d) the kernel's chattr +e")
    copy = fresh_copy(main_img)
    mnt, why = loop_mount_works(copy)
    if not mnt:
        print("  skipped: loop mount unavailable (%s)" % why[0])
    else:
        # The kernel converts only on a filesystem with the extent feature.
        script = ("tune2fs -O extent %s >/dev/null && mount -o loop %s %s && "
                  "find %s -xdev \\( -type f -o -type d \\) -print0 | "
                  "xargs -0 chattr +e; sync; umount %s" % (copy, copy, mnt, mnt, mnt))
        t = timed(["sh", "-c", script], os.path.join(W, "chattr.out"))
        fsck_clean(copy, "chattr.out")
        show("mount, chattr +e on every file, umount", t)
        errs = open(os.path.join(W, "chattr.out")).read().splitlines()[:-1]
        print("  extent/block-mapped after chattr +e: %d/%d; %d error line(s)%s" %
              (mapped["chattr.out"] + (len(errs), (": " + errs[0]) if errs else "")))
        compare("chattr +e vs e2lua migrate-all", mig, t)

    print("\n(e) the whole-filesystem fragmentation report (read-only, warm cache)")
    for cmd in (["e2fsck", "-fn", main_img], [E2LUA, "-R", "survey", main_img]):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    efsck = median_run("e2fsck-fn", lambda _: ["e2fsck", "-fn", main_img], None)
    surv = median_run("survey", lambda _: [E2LUA, "-R", "survey", main_img], None)
    fraga = median_run("frag-a", lambda _: [E2LUA, "-R", "frag -a", main_img], None)
    show("e2fsck -fn", efsck)
    show("e2lua -R survey", surv)
    show("e2lua -R 'frag -a'", fraga)
    results += compare("survey", surv, efsck, 1)[:1]
    compare("frag -a", fraga, efsck)
    v = subprocess.run(["e2fsck", "-fnv", main_img], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True).stdout
    want = tuple(int(re.search(r"(\d+) non-contiguous %s" % w, v).group(1))
                 for w in ("file", "director"))
    m = re.search(r"Non-contiguous as e2fsck counts them: (\d+) files?, (\d+) director",
                  sh([E2LUA, "-R", "survey", main_img]))
    got = tuple(int(x) for x in m.groups()) if m else None
    print("  non-contiguous files, directories: e2fsck %s, survey %s" % (want, got))
    results.append(("survey's non-contiguous counts equal e2fsck's", want == got, "", False))


def extents_of(img, path):
    """The leaf extents of path (debugfs ex: level == depth)."""
    out = sh(["debugfs", "-R", "ex " + path, img])
    rows = [l.split() for l in out.splitlines()[1:] if l.strip()]
    return len([r for r in rows if r[0].rstrip("/") == r[1]])


def reloc_image():
    """reloc.img: 3 GiB ext3, 4 KiB blocks, /big of 1 GiB (made once)."""
    img = os.path.join(B, "reloc.img")
    if os.path.exists(img):
        return img
    tree = os.path.join(B, "tree.reloc")
    os.makedirs(tree, exist_ok=True)
    with open(os.path.join(tree, "big"), "wb") as f:
        for _ in range(256):
            f.write(os.urandom(4 * MIB))
    sh(MKFS + ["-b", "4096", "-d", tree, img + ".tmp", "3G"])
    shutil.rmtree(tree)
    os.rename(img + ".tmp", img)
    return img


def part_reloc(results, main_img):
    """(j): relocation throughput against dd; defragmenting against
    in-place migration."""
    print("\n(j) relocation (median of %d)" % RUNS)
    big_img = reloc_image()
    bs = 4096
    blocks = GIB // bs
    nbytes = blocks * bs
    # Where the copy goes: the plan says (the same on every fresh copy).
    plan = sh([E2LUA, big_img, "-R", "plan -m /big"])
    m = re.search(r"from (\d+)\+(\d+)", plan)
    src = int(sh(["debugfs", "-R", "bmap /big 0", big_img]).split()[0])
    if not m:
        sys.exit("bench: plan -m /big gave no free range:\n" + plan)
    dst = int(m.group(1))
    print("  /big: %d blocks of %d bytes, from block %d to %d (%s)" %
          (blocks, bs, src, dst, "one free range" if int(m.group(2)) == blocks
           else "in pieces"))

    # The fewest extents: 32768 blocks each, and a break at every
    # group's bitmaps and inode table (ext3 has no flex_bg).
    fewest = int(re.search(r"-> (\d+) extents", plan).group(1))

    def same(img, out):
        fsck_clean(img, out)
        if extents_of(img, "/big") != fewest:
            sys.exit("bench: /big not relocated into the %d extents planned" % fewest)
    rel = median_run("relocate", lambda i: [E2LUA, "-w", i, "-R", "migrate -m /big",
                     "-R", "commit"], big_img, same)
    # dd: as many bytes from /big's place to the new one, 8 MiB at a
    # time, flushed as the commit flushes (what a copy must cost at least).
    span = nbytes
    dd = median_run("dd", lambda i: ["dd", "if=" + i, "of=" + i, "bs=8M", "iflag=skip_bytes,count_bytes",
                    "oflag=seek_bytes", "skip=%d" % (src * bs), "seek=%d" % (dst * bs),
                    "count=%d" % span, "conv=notrunc,fsync", "status=none"], big_img)
    show("e2lua migrate -m /big; commit", rel)
    show("dd as many bytes, 8 MiB blocks, fsync", dd)
    print("  /big relocated into %d extents (%d leaf extents before, as blocks "
          "map runs)" % (fewest, int(re.search(r"(\d+) -> \d+ extents", plan).group(1))))
    ours, theirs = nbytes / rel[0] / MIB, span / dd[0] / MIB
    print("  throughput: e2lua %.0f MiB/s, dd %.0f MiB/s: x%.2f" % (ours, theirs, ours / theirs))
    results.append(("relocation throughput >= 0.8x dd's", ours >= 0.8 * theirs,
                    "x%.2f" % (ours / theirs), True))

    # Defragmenting main.img's /frag/f0..f7 against migrating them in place.
    files = ["/frag/f%d" % i for i in range(8)]

    def frag_extents(img):
        out = sh([E2LUA, "-R", "frag " + " ".join(files), img])
        return int(re.search(r"^\d+ files: .* (\d+) extents", out, re.M).group(1))
    before = frag_extents(main_img)
    after = {}

    def count(name):
        def check(img, out):
            fsck_clean(img, out)
            after[name] = frag_extents(img)
        return check
    inplace = median_run("inplace", lambda i: [E2LUA, "-w", i, "-R", "migrate " + " ".join(files),
                         "-R", "commit"], main_img, count("inplace"))
    defrag = median_run("defrag", lambda i: [E2LUA, "-w", i, os.path.join(SCRIPTS, "defrag.lua"),
                        "--path", "/frag"], main_img, count("defrag"))
    show("in place: migrate /frag/*; commit", inplace)
    show("defrag.lua --path /frag", defrag)
    print("  extents of the 8 files: %d before (as migrated in place); %d after "
          "migrating in place, %d after defrag.lua" % (before, after["inplace"],
                                                       after["defrag"]))
    compare("defrag vs in place", defrag, inplace)
    results.append(("defrag leaves the 8 files in 8 extents", after["defrag"] == 8,
                    str(after["defrag"]), False))


def report(results):
    """Targets print PASS or MISS; a failed correctness check fails the run."""
    print("\ntargets and checks:")
    ok = True
    for what, passed, val, target in results:
        word = ("PASS" if passed else "MISS") if target else \
            ("ok" if passed else "FAIL")
        print("  %-4s %s %s" % (word, what, val))
        ok = ok and (passed or target)
    shutil.rmtree(W, ignore_errors=True)
    return 0 if ok else 1


def main():
    os.environ.update(E2LUA_SCRIPTS=SCRIPTS, E2LUA_HISTORY="", LC_ALL="C")
    only = parts_wanted()
    imgs = build_images() if only & {"main", "cold", "reloc"} else None
    shutil.rmtree(W, ignore_errors=True)
    os.makedirs(W)
    results = []
    print("machine: " + machine())
    print("e2fsprogs: " + subprocess.run(["e2fsck", "-V"], stderr=subprocess.PIPE,
                                         text=True).stderr.splitlines()[0])
    print("parts: %s (BENCH_ONLY); runs: median of %d (BENCH_RUNS); load average %s" %
          (" ".join(p for p in PARTS if p in only), RUNS,
           " ".join(open("/proc/loadavg").read().split()[:3])))
    if "main" in only:
        part_main(results, *imgs)
    if "floor" in only:
        part_floor(results)
    if "cold" in only:
        part_cold(results, imgs[0])
    if "tera" in only:
        part_tera(results)
    if "memory" in only:
        part_memory(results)
    if "reloc" in only:
        part_reloc(results, imgs[0])
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
