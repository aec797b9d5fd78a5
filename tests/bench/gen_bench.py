#!/usr/bin/env python3
"""gen_bench.py KIND DIR -- write the benchmark's deterministic input.

  main DIR    the tree of the migration benchmark (4 KiB blocks in mind):
              100,000 small files (70% one block, 25% 2-8 blocks, 5% 9-32,
              past the direct blocks) in 200 directories, 16 large files of
              4-64 MiB (double indirect), 500 sparse files (holes, data up
              to past the 4 GiB triple-indirect boundary), and DIR.frag, a
              debugfs script that makes 24,000 one-block fillers under
              /gaps, deletes every other one and writes 8 files of 1,500
              blocks into the gaps (/frag/*: ~1,500 fragments each).
  big DIR     one 1 GiB file (/big: 1,048,576 blocks at 1 KiB, triple
              indirect), every block non-zero so mke2fs -d allocates it.
  inodes DIR  10,000 small files, for an image with 1.1 M inodes.
  k200 DIR    the floor image's tree: 200,000 small files of the main
              tree's mix in 400 directories and its 16 large files.
  tera1k DIR, tera30k DIR
              1,000 or 30,000 small files (1-25 blocks of 4 KiB, about half
              with an indirect block) for the 4 TiB and 16 TiB images.

File contents are slices of one seeded random buffer: no all-zero block
(mke2fs -d would leave those as holes), nothing random between runs.
"""
import os
import random
import sys

KIB = 1024
MIB = 1024 * KIB


def pool():
    return random.Random(20240501).randbytes(4 * MIB)


def put(path, buf, chunks, size=None):
    """chunks: [(offset, length)] filled from buf; size: final size."""
    with open(path, "wb") as f:
        for off, n in chunks:
            f.seek(off)
            while n > 0:
                k = min(n, len(buf))
                start = (off * 7 + n) % (len(buf) - k + 1)
                f.write(buf[start:start + k])
                off += k
                n -= k
        if size is not None:
            f.truncate(size)


def small_and_large(root, buf, rng, dirs):
    """dirs x 500 small files (70% one block, 25% 2-8, 5% 9-32) under
    small/, and 16 large ones of 4-64 MiB under large/."""
    for d in range(dirs):
        dd = os.path.join(root, "small", "d%03d" % d)
        os.makedirs(dd)
        for i in range(500):
            r = rng.random()
            if r < 0.70:
                n = rng.randint(1, 4 * KIB)
            elif r < 0.95:
                n = rng.randint(4 * KIB + 1, 32 * KIB)
            else:
                n = rng.randint(32 * KIB + 1, 128 * KIB)
            put(os.path.join(dd, "f%03d" % i), buf, [(0, n)])
    os.makedirs(os.path.join(root, "large"))
    for i in range(16):
        put(os.path.join(root, "large", "l%02d" % i), buf,
            [(0, (4 + i * 4) * MIB - rng.randint(0, 4095))])


def main_tree(root):
    buf = pool()
    rng = random.Random(7)
    os.makedirs(root)
    small_and_large(root, buf, rng, 200)
    os.makedirs(os.path.join(root, "sparse"))
    for i in range(500):
        span = (6 if i % 50 == 0 else 1) * 1024 * MIB   # some past 4 GiB
        chunks = sorted({(rng.randrange(0, span // 4096) * 4096,
                          rng.randint(1, 8) * 4096) for _ in range(3)})
        end = max(o + n for o, n in chunks)
        put(os.path.join(root, "sparse", "s%03d" % i), buf, chunks,
            end + rng.randint(0, 64) * 4096)
    fillers = 24000
    os.makedirs(os.path.join(root, "frag"))
    one = os.path.abspath(root + ".one")
    put(one, buf, [(0, 4096)])
    for i in range(8):
        put(os.path.abspath(root + ".frag%d" % i), buf, [(i * 4096, 1500 * 4096)])
    with open(root + ".frag", "w") as f:
        f.write("mkdir /gaps\n")
        for d in range(60):
            f.write("mkdir /gaps/%02d\n" % d)
        for i in range(fillers):
            f.write("write %s /gaps/%02d/%05d\n" % (one, i % 60, i))
        for i in range(0, fillers, 2):
            f.write("rm /gaps/%02d/%05d\n" % (i % 60, i))
        for i in range(8):
            f.write("write %s /frag/f%d\n" % (os.path.abspath(root + ".frag%d" % i), i))


def big_tree(root):
    buf = pool()
    os.makedirs(root)
    put(os.path.join(root, "big"), buf, [(0, 1024 * MIB)])


def inodes_tree(root):
    buf = pool()
    for d in range(20):
        dd = os.path.join(root, "d%02d" % d)
        os.makedirs(dd)
        for i in range(500):
            put(os.path.join(dd, "f%03d" % i), buf, [(0, 1 + (i * 97) % 4096)])


def k200_tree(root):
    """The floor image's tree: the main tree's mix of small files, twice
    as many (200,000), and its 16 large files."""
    os.makedirs(root)
    small_and_large(root, pool(), random.Random(200), 400)


def tera_tree(root, files):
    """files small files of 1-25 blocks (4 KiB), half of them past the
    direct blocks (one indirect block), 500 to a directory."""
    buf = pool()
    for i in range(files):
        dd = os.path.join(root, "d%03d" % (i // 500))
        if i % 500 == 0:
            os.makedirs(dd)
        put(os.path.join(dd, "f%03d" % (i % 500)), buf,
            [(0, 4096 * (1 + (i * 37) % 25) - (i * 97) % 4096)])


def main():
    kind, root = sys.argv[1], sys.argv[2]
    {"main": main_tree, "big": big_tree, "inodes": inodes_tree,
     "k200": k200_tree, "tera1k": lambda r: tera_tree(r, 1000),
     "tera30k": lambda r: tera_tree(r, 30000)}[kind](root)
    # Fixed times: the same tree every time.
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            os.utime(os.path.join(d, n), (1700000000, 1700000000))


if __name__ == "__main__":
    main()
