#!/usr/bin/env python3
"""recovery.py -- the undo recovery doc/crash.md gives, run and checked.

  recovery.py ORIG IMAGE UNDO [--finished]

Runs `e2undo UNDO IMAGE`, and `e2undo -f UNDO IMAGE` when that refuses
because the filesystem's superblock no longer matches the undo file's copy
(the write path stopped after its last record).  Then either IMAGE equals
ORIG byte for byte -- but for what e2undo itself rewrites after an undo
file that was never finished (--finished: nothing may differ) -- or
e2undo refused, wrote nothing, and IMAGE needed no undoing (it equals
ORIG up to those bytes).  Prints what is wrong and exits 1, else exits 0.
crashtest.py uses recover() after every crash point.
"""
import re
import subprocess
import sys

# Primary superblock bytes e2undo itself rewrites after an incomplete record:
# s_wtime, s_state (only EXT2_VALID_FS cleared), s_wtime_hi, s_checksum.
SB = 1024
UNDO_MAY_CHANGE = set(range(SB + 48, SB + 52)) | {SB + 0x274} | \
    set(range(SB + 1020, SB + 1024))
S_STATE = SB + 58


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=300)


def diff_bytes(now, orig, limit=64):
    """Offsets where now and orig differ, comparing 64 KiB at a time; at
    most limit of them past the first superblock (more say nothing new)."""
    bs = 65536
    out, far = [], 0
    for a in range(0, len(now), bs):
        if now[a:a + bs] != orig[a:a + bs]:
            for i in range(a, min(a + bs, len(now))):
                if now[i] != orig[i]:
                    out.append(i)
                    far += i >= 2 * SB
                    if far >= limit:
                        return out
    return out


def undo_diff(now, orig, incomplete, bs=1024):
    """What keeps now from being orig undone (empty: nothing)."""
    if len(now) != len(orig):
        return ["(c) size changed"]
    if now == orig:
        return []
    allowed = UNDO_MAY_CHANGE | {S_STATE} if incomplete else set()
    bad = [i for i in diff_bytes(now, orig) if i not in allowed or
           (i == S_STATE and now[i] != orig[i] & ~1)]
    if bad:
        return ["(c) e2undo left %d byte(s) different, first at %d "
                "(block %d)" % (len(bad), bad[0], bad[0] // bs)]
    return []


def recover(orig, undo, img, incomplete, bs=1024):
    """doc/crash.md's recovery on img (orig: the original's bytes);
    returns what is wrong."""
    with open(img, "rb") as f:
        before = f.read()
    r = run(["e2undo", undo, img])
    out = r.stdout + r.stderr
    forced = False
    if r.returncode and re.search(r"superblock (checksum )?doesn't match",
                                  out):
        forced = True
        r = run(["e2undo", "-f", undo, img])
        out += r.stdout + r.stderr
    with open(img, "rb") as f:
        after = f.read()
    if not r.returncode:
        return undo_diff(after, orig, incomplete, bs)
    # A refusal must write nothing, and leave nothing to undo.
    how = "e2undo%s refused (%s)" % (" -f" if forced else "",
                                     " ".join(out.split())[-200:])
    fails = []
    if after != before:
        fails.append("(c) %s yet wrote to the image" % how)
    bad = undo_diff(after, orig, True, bs)
    if bad:
        fails.append("(c) %s with changes left: %s" % (how, bad[0]))
    return fails


def main():
    args = [a for a in sys.argv[1:] if a != "--finished"]
    if len(args) != 3:
        sys.exit("usage: recovery.py ORIG IMAGE UNDO [--finished]")
    with open(args[0], "rb") as f:
        orig = f.read()
    fails = recover(orig, args[2], args[1], "--finished" not in sys.argv)
    for f in fails:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
