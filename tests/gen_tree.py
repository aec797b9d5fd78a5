#!/usr/bin/env python3
"""gen_tree.py DIR BLOCKSIZE -- write the deterministic file tree the test
images are built from (mke2fs -d DIR).  Same arguments, same bytes.

Shapes (B = block size, P = B/4 pointers per indirect block):
  empty            0 bytes
  tiny             100 bytes (one partial block)
  twelve           exactly 12 blocks (direct blocks only)
  thirteen         13 blocks (first indirect block)
  ind_edge         12 + P blocks (fills the indirect block)
  dind             12 + P + 40 blocks (into double indirect)
  sparse_ind       data at block 3 and 20, size 30 blocks (holes)
  sparse_dind      data at block 0 and 12+P+5
  sparse_tind      data at 12+P+P*P+7 only (triple indirect)
  sparse_tail      data at block 1, size 50 blocks (hole at the end)
  dir/big/f0000..  a big directory (400 entries)
  dir/sub/deep/x   nested directories
  hardlink_a/_b    two names, one inode
  fastlink         symlink with a short target
  slowlink         symlink with a target longer than 60 bytes
  fifo, chardev, blockdev (device nodes only when run as root)
"""
import os
import random
import stat
import sys


def data(rng, n):
    return rng.randbytes(n)


def write(path, chunks, size=None):
    """chunks: list of (offset, bytes); size: final size (sparse tail)."""
    with open(path, "wb") as f:
        for off, b in chunks:
            f.seek(off)
            f.write(b)
        if size is not None:
            f.truncate(size)


def main():
    root, bs = sys.argv[1], int(sys.argv[2])
    p = bs // 4
    rng = random.Random(20071203 + bs)
    os.makedirs(root, exist_ok=True)
    j = lambda *a: os.path.join(root, *a)

    write(j("empty"), [])
    write(j("tiny"), [(0, data(rng, 100))])
    write(j("twelve"), [(0, data(rng, 12 * bs))])
    write(j("thirteen"), [(0, data(rng, 13 * bs - 7))])
    write(j("ind_edge"), [(0, data(rng, (12 + p) * bs))])
    write(j("dind"), [(0, data(rng, (12 + p + 40) * bs))])
    write(j("sparse_ind"), [(3 * bs, data(rng, bs)), (20 * bs, data(rng, bs))], 30 * bs)
    write(j("sparse_dind"), [(0, data(rng, bs)), ((12 + p + 5) * bs, data(rng, bs))])
    write(j("sparse_tind"), [((12 + p + p * p + 7) * bs, data(rng, 2 * bs))])
    write(j("sparse_tail"), [(bs, data(rng, bs))], 50 * bs)

    os.makedirs(j("dir", "big"), exist_ok=True)
    for i in range(400):
        write(j("dir", "big", "f%04d" % i), [(0, data(rng, 1 + (i * 37) % 300))])
    os.makedirs(j("dir", "sub", "deep"), exist_ok=True)
    write(j("dir", "sub", "deep", "x"), [(0, data(rng, 3 * bs + 1))])

    write(j("hardlink_a"), [(0, data(rng, 5 * bs))])
    os.link(j("hardlink_a"), j("hardlink_b"))
    os.symlink("tiny", j("fastlink"))
    os.symlink("dir/sub/deep/" + "long_target_name_" * 5 + "x", j("slowlink"))
    os.mkfifo(j("fifo"))
    if os.geteuid() == 0:
        os.mknod(j("chardev"), 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(j("blockdev"), 0o644 | stat.S_IFBLK, os.makedev(8, 1))
    # Fixed times, so images are byte-identical from run to run.
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            os.utime(os.path.join(d, n), (1700000000, 1700000000), follow_symlinks=False)
    os.utime(root, (1700000000, 1700000000))


if __name__ == "__main__":
    main()
