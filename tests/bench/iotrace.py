#!/usr/bin/env python3
"""iotrace.py [--cold] IMAGE CMD [ARGS...] -- what CMD reads and writes of IMAGE.

Runs CMD under strace (pread64, pwrite64, read, write, fadvise64,
readahead, fsync, fdatasync; -T for the time in each call) and sorts every
request on IMAGE by the kind of block it touches, from the layout
dumpe2fs gives (read before CMD runs): superblock, group descriptors
(with the reserved GDT blocks), block bitmap, inode bitmap, inode table,
journal, and "other": blocks of no fixed place -- indirect and extent
blocks, directory and file data.  A migration reads no file data, so its
"other" reads are the block maps.  --cold drops the page cache first.

Prints, for reads and writes: requests, bytes and seconds spent in the
call by kind; request sizes; order (the next request starts where the last
ended / further on / further back); and writes to other files (the undo
file).  Used for doc/bench.md, "Where the time and bytes go"; run it by
hand (strace slows each call: compare seconds between kinds, not with the
bench's wall times).
"""
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile

KINDS = ("superblock", "group descriptors", "block bitmap", "inode bitmap",
         "inode table", "journal", "other")


def layout(img):
    """(block size, sorted [(first, last, kind)]) from dumpe2fs."""
    out = subprocess.run(["dumpe2fs", img], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True,
                         check=True).stdout
    bs = int(re.search(r"^Block size:\s+(\d+)", out, re.M).group(1))
    spans = []

    def add(a, b, kind):
        spans.append((int(a), int(b if b is not None else a), kind))

    for m in re.finditer(r"(Primary|Backup) superblock at (\d+)", out):
        add(m.group(2), None, "superblock")
    for m in re.finditer(r"Group descriptors at (\d+)-(\d+)", out):
        add(m.group(1), m.group(2), "group descriptors")
    for m in re.finditer(r"Reserved GDT blocks at (\d+)-(\d+)", out):
        add(m.group(1), m.group(2), "group descriptors")
    for m in re.finditer(r"Block bitmap at (\d+)", out):
        add(m.group(1), None, "block bitmap")
    for m in re.finditer(r"Inode bitmap at (\d+)", out):
        add(m.group(1), None, "inode bitmap")
    for m in re.finditer(r"Inode table at (\d+)-(\d+)", out):
        add(m.group(1), m.group(2), "inode table")
    # The journal's extents (debugfs prints them for inode 8).
    j = subprocess.run(["debugfs", "-R", "blocks <8>", img], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True).stdout.split()
    blocks = sorted(int(b) for b in j)
    i = 0
    while i < len(blocks):
        k = i
        while k + 1 < len(blocks) and blocks[k + 1] == blocks[k] + 1:
            k += 1
        add(blocks[i], blocks[k], "journal")
        i = k + 1
    spans.sort()
    return bs, spans


def kind_of(spans, starts, blk):
    i = bisect.bisect_right(starts, blk) - 1
    if i >= 0 and spans[i][0] <= blk <= spans[i][1]:
        return spans[i][2]
    return "other"


CALL = re.compile(r"^(pread64|pwrite64|read|write|fadvise64|readahead|"
                  r"fsync|fdatasync)\((\d+)<([^>]*)>(.*)\) += (-?\d+)[^<]*<([\d.]+)>")


def parse(logs):
    """[(call, path, offset or None, length, seconds)] of the logs (one
    a thread: with -ff a call is never split across lines)."""
    calls = []
    for log in logs:
        with open(log) as f:
            lines = f.readlines()
        for line in lines:
            m = CALL.match(line)
            if not m:
                continue
            call, _, path, args, ret, secs = m.groups()
            nums = re.findall(r"(?:, |^)(-?\d+)(?=,|$)", args)
            off = n = None
            if call in ("pread64", "pwrite64") and len(nums) >= 2:
                n, off = int(ret), int(nums[-1])
            elif call in ("read", "write"):
                n = int(ret)
            elif call == "fadvise64" and len(nums) >= 2:
                off, n = int(nums[0]), int(nums[1])
            elif call == "readahead" and len(nums) >= 2:
                off, n = int(nums[0]), int(nums[1])
            calls.append((call, path, off, n, float(secs)))
    return calls


def size_class(n):
    if n <= 4096:
        return "<= 4 KiB"
    if n <= 65536:
        return "8-64 KiB"
    if n <= 1 << 20:
        return "68 KiB-1 MiB"
    return "> 1 MiB"


def report(title, reqs, bs, spans):
    """reqs: [(offset, length, seconds)] in call order."""
    starts = [s[0] for s in spans]
    if not reqs:
        print("%s: none" % title)
        return
    by = {k: [0, 0, 0.0] for k in KINDS}
    sizes = collections.Counter()
    order = collections.Counter()
    last_end = None
    for off, n, secs in reqs:
        first, last = off // bs, (off + max(n, 1) - 1) // bs
        kinds = collections.Counter(kind_of(spans, starts, b)
                                    for b in range(first, last + 1))
        main = kinds.most_common(1)[0][0]
        by[main][0] += 1
        by[main][2] += secs
        for k, c in kinds.items():
            by[k][1] += c * bs if n >= bs else n
        sizes[size_class(n)] += 1
        if last_end is not None:
            order["adjacent" if off == last_end else
                  "forward" if off > last_end else "back"] += 1
        last_end = off + n
    total = sum(n for _, n, _ in reqs)
    print("%s: %d requests, %.1f MiB, %.3f s in the calls" %
          (title, len(reqs), total / 2**20, sum(s for _, _, s in reqs)))
    for k in KINDS:
        if by[k][0] or by[k][1]:
            print("  %-18s %7d requests %9.1f MiB %8.3f s" %
                  (k, by[k][0], by[k][1] / 2**20, by[k][2]))
    print("  sizes: " + ", ".join("%s %d" % (c, sizes[c]) for c in
                                  ("<= 4 KiB", "8-64 KiB", "68 KiB-1 MiB", "> 1 MiB")
                                  if sizes[c]))
    print("  order: next starts where the last ended %d, further on %d, "
          "further back %d" % (order["adjacent"], order["forward"], order["back"]))


def main():
    args = sys.argv[1:]
    cold = args[:1] == ["--cold"]
    if cold:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__.split("\n")[0])
    img, cmd = os.path.realpath(args[0]), args[1:]
    bs, spans = layout(img)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "strace")
        if cold:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
        r = subprocess.run(["strace", "-ff", "-y", "-T", "-o", log, "-e",
                            "trace=pread64,pwrite64,read,write,fadvise64,"
                            "readahead,fsync,fdatasync"] + cmd,
                           stdout=subprocess.DEVNULL)
        calls = parse(sorted(os.path.join(tmp, n) for n in os.listdir(tmp)))
    print("%s: exit %d; %s" % (" ".join(cmd), r.returncode, img))
    mine = [c for c in calls if c[1] == img]
    report("reads", [(o, n, s) for c, _, o, n, s in mine if c == "pread64" and n],
           bs, spans)
    report("writes", [(o, n, s) for c, _, o, n, s in mine if c == "pwrite64" and n],
           bs, spans)
    unpositioned = [c for c in mine if c[0] in ("read", "write")]
    if unpositioned:
        print("read/write without an offset on the image: %d" % len(unpositioned))
    ra = [c for c in mine if c[0] in ("fadvise64", "readahead")]
    syncs = [c for c in mine if c[0] in ("fsync", "fdatasync")]
    print("read-ahead calls: %d; fsync: %d, %.3f s" %
          (len(ra), len(syncs), sum(c[4] for c in syncs)))
    other = collections.defaultdict(lambda: [0, 0])
    for c, path, _, n, _ in calls:
        if c in ("pwrite64", "write") and path != img and n and \
                not path.startswith(("/dev/", "pipe:", "socket:")):
            other[path][0] += 1
            other[path][1] += n
    for path, (k, n) in sorted(other.items()):
        print("writes to %s: %d, %.1f MiB" % (path, k, n / 2**20))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
