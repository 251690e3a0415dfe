#!/usr/bin/env python3
"""The progress line (TAP): long stages, and check's cases, report on
stderr when it is a terminal, never with -q or when stderr is a pipe or
file.  The samples load
in well under the one second a stage runs before it shows, so the test sets
HEAPSCOPE_PROGRESS_AFTER=0."""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tarfile
import tempfile

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

# A directory is walked as it streams, so no total is known while its
# inputs load: the line counts them and never shows a total of 0.
rc, out, err = on_pty(["--no-cache", "-e", "return #case.inputs > 1", os.path.dirname(DUMP)])
ok(rc == 0 and out.strip() == "true" and "loading input 2: " in err
   and not re.search(r"loading \d+/0 ", err),
   "loading a directory counts its inputs, without a total of 0", repr(err[-300:]))

rc, out, err = on_pty(["-q"] + q)
ok(rc == 0 and "resolving pointers" not in err and "%" not in err, "-q: no progress", repr(err))

env = dict(os.environ, HEAPSCOPE_PROGRESS_AFTER="0")
p = subprocess.run([HS] + q, capture_output=True, env=env, timeout=120)
ok(p.returncode == 0 and p.stderr == b"", "stderr not a terminal: nothing on it", p.stderr[-300:])

# check's line: cases done, bytes read of the inputs' total, rate, time
# left -- the total known from the start (a directory's files, an archive
# file's size), so the time left shows long before the last case.
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
LINE = re.compile(r"checked (\d+) cases?, ([\d.]+) (B|KiB|MiB|GiB) of ([\d.]+) (B|KiB|MiB|GiB), "
                  r"[\d.]+ (?:B|KiB|MiB|GiB)/s, about \d+ s left$")


def near(text, unit, n):
    """The size TEXT UNIT as heapscope rounds it is n bytes (to its last digit)."""
    return abs(float(text) * UNITS[unit] - n) <= UNITS[unit] * 0.06


tmp = tempfile.mkdtemp(prefix="hs-progress-")
root = os.path.join(tmp, "cases")
for i, prog in enumerate(sorted(os.listdir("samples/go1.23"))):
    for name in ("gctrace.log", "goroutines-debug2.txt"):
        src = os.path.join("samples/go1.23", prog, name)
        if os.path.exists(src):
            os.makedirs(os.path.join(root, prog), exist_ok=True)
            shutil.copy(src, os.path.join(root, prog, name))
ncase = len(os.listdir(root))
nbytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
arc = os.path.join(tmp, "cases.tar.gz")
with tarfile.open(arc, "w:gz") as t:
    t.add(root, "cases")
    for prog in sorted(os.listdir(root)):            # a case per top-level directory
        t.add(os.path.join(root, prog), prog)
for what, args, total, cases in (("a directory", [root], nbytes, ncase),
                                 ("a tar.gz", [arc], os.path.getsize(arc), ncase + 1),
                                 ("a tar.gz, -j 2", ["-j", "2", arc], os.path.getsize(arc), ncase + 1)):
    rc, out, err = on_pty(["check", "--fail-on", "never"] + args)
    segs = err.split("\r\x1b[K")
    early = [m for m in (LINE.match(s) for s in segs) if m and int(m.group(1)) < cases - 1]
    ok(rc == 0 and ncase > 3 and early and all(near(m.group(4), m.group(5), total) for m in early),
       "check %s on a terminal: before the last case of %d the line shows the bytes read of the "
       "inputs' total (%d) and the time left" % (what, cases, total), repr(err[-600:]))
    ok(segs[-1] == "", "... and it is cleared at the end", repr(err[-200:]))
rc, out, err = on_pty(["check", "-q", "--fail-on", "never", root])
ok(rc == 0 and err == "", "check -q: no progress line", repr(err))
p = subprocess.run([HS, "check", "--fail-on", "never", root], capture_output=True, timeout=120)
ok(p.returncode == 0 and p.stderr == b"", "check, stderr not a terminal: nothing on it", p.stderr[-300:])
shutil.rmtree(tmp)

done()
