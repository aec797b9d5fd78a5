#!/usr/bin/env python3
"""pty_session.py STEPS -- CMD [ARGS...]: run CMD on a pseudo-terminal, expect-style.

STEPS is a file of lines (blank lines and lines starting with ## are skipped):
  send TEXT      write TEXT to the terminal; Python escapes (\\n \\t \\x03)
  expect TEXT    wait until TEXT appears in the output after the previous
                 match
  wait           wait for CMD to exit
(Waits give up after TIMEOUT seconds: a bound for a hung program, not a
delay; nothing here sleeps.)
Everything CMD wrote goes to stdout at the end, then "exit N".  The exit
status is 1 when an expect timed out or CMD did not exit, else 0.
"""
import os
import pty
import select
import sys
import time

TIMEOUT = 120.0


def main():
    steps_file, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    steps = [l.rstrip("\n") for l in open(steps_file)]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.execvp(cmd[0], cmd)
    out = b""
    pos = 0  # where the next expect starts looking
    status = None
    ok = True

    def pump(deadline):
        """Read what arrives before deadline: "data", "timeout" or "eof"."""
        nonlocal out
        left = deadline - time.time()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        if not r:
            return "timeout"
        try:
            data = os.read(fd, 4096)
        except OSError:
            return "eof"
        out += data
        return "data" if data else "eof"

    for step in steps:
        if not step or step.startswith("##"):
            continue
        verb, _, arg = step.partition(" ")
        text = arg.encode().decode("unicode_escape").encode("latin-1")
        if verb == "send":
            os.write(fd, text)
        elif verb == "expect":
            deadline = time.time() + TIMEOUT
            while out.find(text, pos) < 0 and time.time() < deadline:
                if pump(deadline) == "eof":
                    break
            at = out.find(text, pos)
            if at < 0:
                print("TIMEOUT waiting for %r" % text, file=sys.stderr)
                ok = False
                break
            pos = at + len(text)
        elif verb == "wait":
            deadline = time.time() + TIMEOUT
            while time.time() < deadline:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                    break
                pump(min(deadline, time.time() + 0.1))
        else:
            sys.exit("pty_session.py: bad step: " + step)
    # drain what is left
    while pump(time.time() + 0.2) == "data":
        pass
    if status is None:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        status = os.waitpid(pid, 0)[1]
        ok = False
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
    code = os.waitstatus_to_exitcode(status)
    print("\nexit %d" % code)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
