#!/usr/bin/env python3
"""doc_examples.py -- extract the examples of the documentation and run them.

  doc_examples.py list FILE...             the examples found, one a line
  doc_examples.py run FIXTURE OUT FILE...  run each in a copy of FIXTURE

The convention (README.md says it too):

Markdown (README.md, doc/*.md): every fenced code block has an info
string, and its first word says what the block is:
  sh       shell commands, run as one `sh -e` script
  lua      a Lua chunk, run as `e2lua -w disk.img CHUNK` (the global `fs`
           is disk.img, open for write); `lua standalone`: run with no
           image open (`e2lua -e`), for chunks that open their own
  e2lua    a session at the prompt: what follows "e2lua: " and "...> "
           (blanks before them allowed) is typed into `e2lua -w disk.img`,
           other lines are output
  text     output, formats, layouts: not run
A second word `no-test` marks an example that cannot run in a test (a
real block device, `make check` itself); the rest of the line says why.
`exit=N` marks one that shows a failure: it must exit with status N (its
stderr is its message).  Any other second word (but `standalone` after
`lua`) is an error.
A fence without an info string is an error: nothing is skipped silently.

The manual (doc/e2lua.1): every .nf/.fi block holds `sh` examples, one
per command (roff escapes decoded), run in order on one copy of the
fixture (a later command may use what an earlier one made), unless the
line before it is `.\\" text` or `.\\" no-test REASON`.

Every example (every block of the manual) runs from a fresh copy of
FIXTURE, a directory holding disk.img (the image the docs call disk.img)
and whatever else the examples name; `e2lua` is on PATH.  An example
fails if it exits non-zero or writes anything to stderr (where e2lua's
errors go) but e2lua's notice that it rolled back work left staged
("e2lua: rolled back N staged inodes (not committed)", which an example
that stages and does not commit ends with) and its note of the e2undo
command when opened with an undo file (-z).  Its text, stdout and stderr
are kept in OUT/NAME.example, .out and .err, NAME being the file's path
(/ as _) and the line.
"""
import os
import re
import shutil
import subprocess
import sys

KINDS = ("sh", "lua", "e2lua", "text")
NOTICE = re.compile(r"^e2lua: rolled back \d+ staged inodes? \(not committed\)$")
UNDO_NOTE = re.compile(r"^Overwriting existing filesystem; this can be undone using the command:\n"
                       r"    e2undo \S+ \S+\n\n", re.M)
TIMEOUT = 600  # a bound for a hung example, not a delay


class Example:
    def __init__(self, path, line, kind, flags, body, group=None):
        self.path, self.line, self.kind, self.flags, self.body = path, line, kind, flags, body
        # Examples of one group run in order in one copy of the fixture.
        self.group = group or (path, line)

    @property
    def name(self):
        return "%s-%d" % (self.path.replace("/", "_"), self.line)

    def flag(self):
        """The word after the kind: "no-test", "standalone", "exit=N" or None."""
        return self.flags[0] if self.flags else None

    def status(self):
        """The exit status the example must end with."""
        f = self.flag() or ""
        return int(f[5:]) if f.startswith("exit=") else 0

    def runs(self):
        return self.kind != "text" and self.flag() != "no-test"


def markdown(path, text):
    out, errors = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, info, start = m.group(1), m.group(2).split(), i + 1
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        if i == len(lines):
            errors.append("%s:%d: unclosed code block" % (path, start))
        i += 1
        if not info or info[0] not in KINDS:
            errors.append("%s:%d: code block without a known kind (%s): say one of %s" % (
                path, start, " ".join(info) or "none", ", ".join(KINDS)))
            continue
        if info[1:2] and info[1] not in ("no-test", "standalone") and \
                not re.fullmatch(r"exit=[1-9][0-9]*", info[1]):
            errors.append("%s:%d: unknown word after the kind: %s" % (path, start, info[1]))
            continue
        out.append(Example(path, start, info[0], info[1:], "\n".join(body) + "\n"))
    return out, errors


def roff_text(s):
    for a, b in (("\\-", "-"), ("\\(aq", "'"), ("\\(lq", '"'), ("\\(rq", '"'),
                 ("\\(dq", '"'), ("\\&", ""), ("\\fB", ""), ("\\fI", ""), ("\\fR", ""),
                 ("\\fP", ""), ("\\e", "\\")):
        s = s.replace(a, b)
    return s


def manpage(path, text):
    out, errors = [], []
    lines = text.split("\n")
    for i, l in enumerate(lines):
        if l.strip() != ".nf":
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() != ".fi":
            j += 1
        if j == len(lines):
            errors.append("%s:%d: .nf without .fi" % (path, i + 1))
            continue
        mark = re.match(r'^\.\\"\s*(text|no-test)\b', lines[i - 1]) if i else None
        kind = "text" if mark and mark.group(1) == "text" else "sh"
        flags = ["no-test"] if mark and mark.group(1) == "no-test" else []
        # One example per command (a command may span lines: an open
        # quote), each on a fresh image.
        cmd, first = [], None
        for k in range(i + 1, j):
            if lines[k].startswith("."):
                continue
            cmd.append(roff_text(lines[k]))
            first = first or k + 1
            text = "\n".join(cmd) + "\n"
            if subprocess.run(["sh", "-n", "-c", text], capture_output=True).returncode == 0:
                out.append(Example(path, first, kind, flags, text, (path, i + 1)))
                cmd, first = [], None
        if cmd:
            errors.append("%s:%d: an incomplete command" % (path, first))
    return out, errors


def extract(paths):
    examples, errors = [], []
    for p in paths:
        text = open(p, encoding="utf-8").read()
        ex, err = (manpage if re.search(r"\.[1-9]$", p) else markdown)(p, text)
        examples += ex
        errors += err
    return examples, errors


def session_input(body):
    """The lines typed at the prompt of an `e2lua` block."""
    typed = []
    for l in body.split("\n"):
        for prompt in ("e2lua: ", "...> "):
            if l.lstrip().startswith(prompt):
                typed.append(l.lstrip()[len(prompt):])
    return "\n".join(typed) + "\n"


def run(ex, work, outdir):
    if ex.kind == "sh":
        cmd, stdin = ["sh", "-e", "-c", ex.body], ""
    elif ex.kind == "lua":
        with open(os.path.join(work, "example.lua"), "w") as f:
            f.write(ex.body)
        if ex.flag() == "standalone":
            cmd = ["e2lua", "-e", 'dofile("example.lua")']
        else:
            cmd = ["e2lua", "-w", "disk.img", "example.lua"]
        stdin = ""
    else:
        cmd, stdin = ["e2lua", "-w", "disk.img"], session_input(ex.body)
    try:
        p = subprocess.run(cmd, cwd=work, input=stdin, capture_output=True, text=True,
                           errors="replace", timeout=TIMEOUT)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or "", (e.stderr or "") + "\n(timed out)"
        out, err = (x.decode() if isinstance(x, bytes) else x for x in (out, err))
    for suffix, data in ((".example", ex.body), (".out", out), (".err", err)):
        with open(os.path.join(outdir, ex.name + suffix), "w") as f:
            f.write(data)
    err = UNDO_NOTE.sub("", err)
    return rc, "".join(l for l in err.splitlines(True) if not NOTICE.match(l.rstrip("\n")))


def main(argv):
    if len(argv) >= 2 and argv[0] == "list":
        examples, errors = extract(argv[1:])
        for ex in examples:
            print("%s:%d %s%s" % (ex.path, ex.line, ex.kind,
                                  "".join(" " + f for f in ex.flags)))
        for e in errors:
            print("ERROR " + e)
        return 1 if errors else 0
    if len(argv) >= 4 and argv[0] == "run":
        fixture, outdir = argv[1], argv[2]
        examples, errors = extract(argv[3:])
        bad = list(errors)
        ran, group, work = 0, None, os.path.join(outdir, "work")
        for ex in examples:
            if not ex.runs():
                continue
            ran += 1
            if ex.group != group:
                # A fresh copy for each group (cp keeps the images sparse).
                shutil.rmtree(work, ignore_errors=True)
                subprocess.run(["cp", "-a", "--sparse=always", fixture, work], check=True)
                group = ex.group
            rc, err = run(ex, work, outdir)
            what = "%s:%d (%s)" % (ex.path, ex.line, ex.kind)
            if rc != ex.status() or (err and not ex.status()):
                bad.append("%s: exit %s (wanted %d)%s\n  %s\n  stderr: %s" % (
                    what, rc, ex.status(), "" if err else ", nothing on stderr",
                    ex.body.strip().replace("\n", "\n  "), err.strip()[:800]))
            else:
                print("ok " + what)
        shutil.rmtree(work, ignore_errors=True)
        for b in bad:
            print("FAIL " + b)
        print("%d examples run, %d failed" % (ran, len(bad)))
        return 1 if bad or not ran else 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
