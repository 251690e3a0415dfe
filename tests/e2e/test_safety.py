#!/usr/bin/env python3
"""Scripts cannot break heapscope; bad flags are usage errors; Ctrl-C and
--timeout/--max-memory end Lua code with a clear message (TAP)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import HS, done, ok, run, skip  # noqa: E402
SAMPLE = "samples/go1.23/leaky/gctrace.log"


def first(err):
    return err.splitlines()[0] if err else ""


tmp = tempfile.mkdtemp(prefix="hs-safety-")

# Every entry into Lua is protected: the CLI keeps hs for itself.
rc, out, err = run("-e", "hs = nil; return 1", SAMPLE)
ok(rc == 0 and out.strip() == "1" and "PANIC" not in err, "hs = nil does not break printing", err)
rc, out, err = run("-e", "hs = nil; case = nil; return {1, 2}", SAMPLE)
ok(rc == 0 and "PANIC" not in err, "nor printing a table", err)

# Errors name the user's file and line, not heapscope's own Lua files.
rc, out, err = run("-e", 'local t = case.gc:top(5, "no_such_col") return t', SAMPLE)
ok(rc == 1 and first(err).startswith("heapscope: (command line):1: no column") and
   "prelude.lua" not in first(err), "a bad column is reported at the user's line", err)
rc, out, err = run("-e", 'return case.gc:top(5, "no_such_col")', SAMPLE)
ok(rc == 1 and first(err).startswith("heapscope: (command line): no column"),
   "in a tail call, at least the user's chunk", err)
script = os.path.join(tmp, "bad.lua")
with open(script, "w") as f:
    f.write("local g = case.gc\n\nlocal x = g:sort('nope')\nreturn x\n")
rc, out, err = run("run", script, SAMPLE)
ok(rc == 1 and first(err).startswith("heapscope: %s:3: no column" % script),
   "a script's error names the script and line 3", err)

rc, out, err = run("-e", "error({})", SAMPLE)
ok(rc == 1 and first(err) == "heapscope: (command line):1: error raised with a table value: {}",
   "error({}) is readable and placed", err)
rc, out, err = run("-e", "error({code = 7})", SAMPLE)
ok(rc == 1 and "{code = 7}" in first(err), "a table error shows its fields", err)
rc, out, err = run("-e", "error(setmetatable({}, {__tostring = function() return 'mine' end}))", SAMPLE)
ok(rc == 1 and "mine" in first(err), "a table error with __tostring uses it", err)

# Columns users get are bounds-checked and read-only.
rc, out, err = run("-e", 'local a = case.gc:column("heap_end"); return a[100000000]', SAMPLE)
ok(rc == 1 and "out of range" in err and "(command line):1" in first(err),
   "reading past a column's end is an error, not a crash", err)
rc, out, err = run("-e", 'local a = case.gc:column("heap_end"); return a[-1]', SAMPLE)
ok(rc == 1 and "out of range" in err, "so is a negative index", err)
rc, out, err = run("-e", 'local a = case.gc:column("heap_end"); a[0] = 1', SAMPLE)
ok(rc == 1 and "read-only" in err, "writing a column is refused", err)
rc, out, err = run("-e", 'local a = case.gc:column("heap_end"); return #a == #case.gc, a[0] == case.gc[1].heap_end',
                   SAMPLE)
ok(rc == 0 and out.strip() == "true\ttrue", "#a is the row count and a[0] the first row", out + err)
rc, out, err = run("-e", 'local a = case.gc:column("num"); collectgarbage(); collectgarbage(); '
                   'local g = case.gc; case = nil; cases = nil; g = nil; collectgarbage(); collectgarbage(); '
                   'return a[#a - 1] > 0', SAMPLE)
ok(rc == 0 and out.strip() == "true", "a column keeps its table alive", out + err)

# Bad flags are usage errors that name the flag.
for flag, val in [("--max-bytes", "-1"), ("--max-bytes", "17179869185G"), ("--max-bytes", "0"),
                  ("--max-bytes", "18446744073709551616"), ("--max-bytes", "1.5G"),
                  ("--max-bytes", "12Q"), ("--max-bytes", ""), ("--timeout", "-1"),
                  ("--timeout", "abc"), ("--timeout", "0"), ("--timeout", "nan"),
                  ("--max-memory", "-5M")]:
    rc, out, err = run(flag, val, "-e", "return 1")
    ok(rc == 2 and flag in err and "--help" in err, "%s %r is a usage error" % (flag, val), err)
rc, out, err = run("--max-bytes", "512M", "--max-memory", "1G", "--timeout", "1m", "-e", "return 1")
ok(rc == 0 and out.strip() == "1", "good sizes and durations are accepted", err)
rc, out, err = run("--timeout")
ok(rc == 2 and "--timeout needs" in err, "a flag without its value", err)

# --timeout and --max-memory bound a script.
t0 = time.time()
rc, out, err = run("--timeout", "0.5", "-e", "while true do case.gc:sum('num') end", SAMPLE)
ok(rc == 1 and "--timeout" in err and time.time() - t0 < 10,
   "--timeout stops a busy script with a message", err)
t0 = time.time()
rc, out, err = run("--timeout", "0.3", "-e", "local x = 0 while true do x = x + 1 end", SAMPLE)
ok(rc == 1 and "--timeout" in err and time.time() - t0 < 10,
   "--timeout ends even a compiled loop", err)
rc, out, err = run("--max-memory", "32M", "-e", "local t = {} for i = 1, 1e8 do t[i] = i end", SAMPLE)
ok(rc == 1 and "--max-memory" in err and "32.0 MiB" in err, "--max-memory stops a growing script", err)
rc, out, err = run("--max-memory", "32M", "-e",
                   "return #hs.table_from('t', {{'v', 'u64'}}, {{1}}), #require('hs.core').new_table('big', {{name='v', type=2, flags=0}}, 1e8)",
                   SAMPLE)
ok(rc == 1 and "--max-memory" in err, "tables built from Lua count against --max-memory", err)

# Ctrl-C ends a script with "interrupted" and exit status 130.
p = subprocess.Popen([HS, "-e", "while true do case.gc:sum('num') end", SAMPLE],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
out, err = p.communicate(timeout=20)
err = err.decode(errors="replace")
ok(p.returncode == 130 and "interrupted" in err and "error in error handling" not in err,
   "Ctrl-C: 'interrupted', exit 130", "rc=%s %s" % (p.returncode, err))
p = subprocess.Popen([HS, "-e", "local x = 0 while true do x = x + 1 end", SAMPLE],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
time.sleep(0.3)
p.send_signal(signal.SIGINT)
out, err = p.communicate(timeout=20)
err = err.decode(errors="replace")
ok(p.returncode == 130 and "interrupted" in err and "compiled loop" not in err,
   "a second Ctrl-C ends a compiled loop: 'interrupted', exit 130", "rc=%s %s" % (p.returncode, err))

# One Ctrl-C while C code builds the object graph (no Lua runs there, so no
# hook can fire): the build polls hs_checkpoint() and the binding raises the
# stop once, "interrupted", exit 130, no "error in error handling".  The heap
# is synthetic (the benchmarks' gendump, built beside the tests), large
# enough that the build outlasts the signal's delivery: the script says
# "building" on stderr just before it calls into C, and "built" after.
GENDUMP = os.path.join(os.path.dirname(HS), "tests", "bench", "gendump")
NAME = "one Ctrl-C inside the graph build (C code): 'interrupted', exit 130"
if not os.access(GENDUMP, os.X_OK):
    skip(NAME, "no %s (scons check builds it)" % GENDUMP)
else:
    dump = os.path.join(tmp, "big.dump")
    subprocess.run([GENDUMP, dump, "1500000", "go1.23.5"], check=True, stderr=subprocess.DEVNULL)
    code = ('io.stderr:write("building\\n") io.stderr:flush() '
            'local r = case.heap:top_retainers(1) io.stderr:write("built\\n") return #r')
    p = subprocess.Popen([HS, "--no-cache", "-e", code, dump], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stderr.readline()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    err = line.decode(errors="replace") + err.decode(errors="replace")
    ok(line == b"building\n" and p.returncode == 130 and "interrupted" in err and "built" not in err
       and "error in error handling" not in err and "compiled loop" not in err, NAME,
       "rc=%s %s" % (p.returncode, err))
    os.unlink(dump)

sys.exit(done())
