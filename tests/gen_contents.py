#!/usr/bin/env python3
"""gen_contents.py DIR BLOCKSIZE -- the deterministic tree of
t_inspect_contents.sh (mke2fs -d DIR): files whose bytes are known, to read
back with cat, dump, rdump, sum, ino:read and ino:lines.

  empty, tiny (100 B), oneblock, twelve, thirteen (13 blocks - 7 B),
  dind (12 + P + 40 blocks - 3 B, P = B/4: into double indirect)
  sparse       data at blocks 3, 20 and 29 (holes before and between)
  sparse_tail  data at block 1, size 50 blocks (a hole at the end: mke2fs
               1.47.0 cuts it, the test sets the size back with debugfs)
  mid          40 blocks, a hole at 10-19 (ext4: fallocated, unwritten)
  lines.txt    text: empty lines, CRLF, a 70000-byte line, no final newline
  nl.txt       "x\\n";  nonl.txt  "abc"
  etc/         hostname, passwd: for the examples of the documentation
  tree/        names with a space, a newline, a backslash, a tab, UTF-8;
               modes 0600, 0751, 0444, a 0555 directory with a file in it;
               a hard link, fast and slow symlinks, a symlink to a
               directory, a fifo, nested directories; (as root) other
               owners
Times are fixed (whole seconds, different per file) so images repeat.
"""
import os
import random
import sys

from gen_tree import write	# (path, [(offset, bytes)...], size)


def main():
    root, bs = sys.argv[1], int(sys.argv[2])
    p = bs // 4
    rng = random.Random(4242 + bs)
    data = rng.randbytes
    os.makedirs(root, exist_ok=True)
    j = lambda *a: os.path.join(root, *a)

    write(j("empty"), [])
    write(j("tiny"), [(0, data(100))])
    write(j("oneblock"), [(0, data(bs))])
    write(j("twelve"), [(0, data(12 * bs))])
    write(j("thirteen"), [(0, data(13 * bs - 7))])
    write(j("dind"), [(0, data((12 + p + 40) * bs - 3))])
    write(j("sparse"), [(3 * bs, data(bs)), (20 * bs, data(bs)),
                        (29 * bs, data(bs))])
    write(j("sparse_tail"), [(bs, data(bs))], 50 * bs)
    write(j("mid"), [(0, data(10 * bs)), (20 * bs, data(20 * bs))])

    lines = []
    for i in range(3000):
        kind = i % 7
        if kind == 0:
            lines.append(b"")
        elif kind == 1:
            lines.append(b"crlf line %d\r" % i)
        else:
            lines.append(bytes(rng.choice(b"abcdefgh ") for _ in range(i % 97)))
    lines.insert(1500, b"L" * 70000)
    write(j("lines.txt"), [(0, b"\n".join(lines) + b"\nlast line, no newline")])
    write(j("nl.txt"), [(0, b"x\n")])
    write(j("nonl.txt"), [(0, b"abc")])
    os.makedirs(j("etc"), exist_ok=True)	# for the documentation's examples
    write(j("etc", "hostname"), [(0, b"e2lua-test\n")])
    write(j("etc", "passwd"), [(0, b"root:x:0:0:root:/root:/bin/sh\n"
                                  b"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  b"toor:x:0:0:also root:/root:/bin/sh\n")])

    t = lambda *a: j("tree", *a)
    os.makedirs(t("sub", "deeper"), exist_ok=True)
    os.makedirs(t("ro_dir"), exist_ok=True)
    write(t("a b"), [(0, data(3 * bs + 17))])
    write(t("new\nline"), [(0, b"a name with a newline\n")])
    write(t("back\\slash"), [(0, data(50))])
    write(t("tab\tname"), [(0, data(5 * bs))])
    write(t("\u00fctf8-\u00e9"), [(0, "h\u00e9llo\n".encode())])
    write(t("private"), [(0, data(700))])
    write(t("exec"), [(0, b"#!/bin/sh\necho hi\n")])
    write(t("readonly"), [(0, data(2 * bs))])
    write(t("sub", "deeper", "leaf"), [(0, data(bs + 1))])
    write(t("sub", "small"), [(0, b"small\n")])
    write(t("ro_dir", "inside"), [(0, data(10))])
    os.link(t("a b"), t("hardlink"))
    os.symlink("a b", t("fast"))
    os.symlink("sub/deeper/" + "long_target_" * 8 + "leaf", t("slow"))
    os.symlink("sub", t("dirlink"))
    os.mkfifo(t("fifo"))
    os.chmod(t("private"), 0o600)
    os.chmod(t("exec"), 0o751)
    os.chmod(t("readonly"), 0o444)
    if os.geteuid() == 0:
        os.chown(t("private"), 1234, 5678)
        os.chown(t("sub"), 4321, 8765)
        os.lchown(t("slow"), 1111, 2222)
    stamp = 1600000000
    for d, dirs, files in sorted(os.walk(root, topdown=False)):
        for n in sorted(dirs + files):
            stamp += 3601
            os.utime(os.path.join(d, n), (stamp, stamp + 7),
                     follow_symlinks=False)
    os.chmod(t("ro_dir"), 0o555)
    os.utime(root, (1700000000, 1700000000))


if __name__ == "__main__":
    main()
