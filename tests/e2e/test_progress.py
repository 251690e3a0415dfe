#!/usr/bin/env python3
"""The progress line (TAP): long stages report on stderr when it is a
terminal, never with -q or when stderr is a pipe or file.  The samples load
in well under the one second a stage runs before it shows, so the test sets
HEAPSCOPE_PROGRESS_AFTER=0."""
import os
import pty
import select
import subprocess
import sys

sys.path.insert(0, "tests/lib")
from tap import HS, done, ok  # noqa: E402
DUMP = "samples/go1.23/leaky/heap.dump.xz"


def on_pty(args):
    """Run heapscope with stderr (only) on a pseudo-terminal; return its
    stdout and what reached the terminal."""
    master, slave = pty.openpty()
    env = dict(os.environ, HEAPSCOPE_PROGRESS_AFTER="0")
    p = subprocess.Popen([HS] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave, env=env)
    os.close(slave)
    got = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    out = p.stdout.read().decode()
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, out, got.decode(errors="replace")


if not os.path.exists(DUMP):
    print("1..0 # SKIP no sample heap dump")
    sys.exit(0)

q = ["--no-cache", "-e", "return case.heap.stats.edges > 0", DUMP]
rc, out, err = on_pty(q)
ok(rc == 0 and out.strip() == "true", "the query answers with the line on", out + err)
for stage in ("reading heap dump", "resolving pointers", "computing dominators"):
    ok(stage in err, "a terminal sees the stage '%s'" % stage, repr(err[-400:]))
ok("%" in err, "... with a percentage", repr(err[-200:]))
ok(err.endswith("\r\x1b[K") or "\r\x1b[K" in err.splitlines()[-1] if err else False,
   "... and the line is cleared at the end", repr(err[-80:]))

rc, out, err = on_pty(["-q"] + q)
ok(rc == 0 and "resolving pointers" not in err and "%" not in err, "-q: no progress", repr(err))

env = dict(os.environ, HEAPSCOPE_PROGRESS_AFTER="0")
p = subprocess.run([HS] + q, capture_output=True, env=env, timeout=120)
ok(p.returncode == 0 and p.stderr == b"", "stderr not a terminal: nothing on it", p.stderr[-300:])

done()
