#!/usr/bin/env python3
"""End-to-end tests of the heapscope command as a user runs it (TAP)."""
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, "tests/lib")
from tap import HS, done, ok, skip  # noqa: E402


def run(*args, stdin=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([HS] + list(args), input=stdin, capture_output=True,
                       timeout=120, env=e)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


tmp = tempfile.mkdtemp(prefix="hs-e2e-")

rc, out, err = run("--help")
ok(rc == 0 and "Usage:" in out and "-e CODE" in out and "info INPUT" in out and "heapdump" in out and "gctrace" in out,
   "--help teaches the verbs", out + err)
ok("] diff BASE TARGET" in out, "--help lists diff", out)
long = [l for l in out.splitlines() if len(l) > 80]
ok(not long, "--help fits an 80-column terminal", "\n".join(long))
ok("] report " in out and "html" in out, "--help lists report and the html format", out)
ok(all(v in out for v in ("HEAPSCOPE_THREADS", "HEAPSCOPE_PATH", "NO_COLOR")),
   "--help names the environment variables heapscope reads", out)
rc, out, _ = run("--version")
ok(rc == 0 and out.startswith("heapscope "), "--version", out)

rc, out, err = run("-e", "return 1+1")
ok(rc == 0 and out.strip() == "2", "-e prints what the chunk returns", out + err)
rc, out, err = run("-e", "return 'a', 2")
ok(out.strip() == "a\t2", "several results are tab-separated", out)
rc, out, err = run("-e", "error('boom')")
ok(rc == 1 and "(command line):1: boom" in err and "traceback" not in err,
   "a Lua error exits 1 naming the line; one frame needs no traceback", err)
rc, out, err = run("-e", "local function f() error('deep') end local function g() f() end g()")
ok(rc == 1 and "(command line):1: deep" in err and "stack traceback (your code):" in err
   and "in function 'g'" in err and "in main chunk" in err and "[C]" not in err,
   "an error in the user's nested functions shows the user's frames", err)
# Errors inside heapscope's own Lua name the user's call, never our files
# or the inner C function a method called (seen as a new user would).
leaky = "samples/go1.23/leaky/heap.dump.xz"
if os.path.exists(leaky):
    rc, out, err = run("--no-cache", "-e", "local t = case.heap:top_retainers('x') return #t", leaky)
    ok(rc == 1 and "(command line):1: bad argument to top_retainers (number expected, got string)"
       in err and "core/lua" not in err and "heap_dominated" not in err and "traceback" not in err,
       "a method given a wrong argument names the method and the user's line", err)
    rc, out, err = run("--no-cache", "-e",
                       "return case.heap.objects:where(function(o) return o.nosuch.x end)", leaky)
    ok(rc == 1 and "attempt to index field 'nosuch'" in err and "profile" not in err
       and "core/lua" not in err,
       "a nil field of a row is not explained as a missing profile", err)
else:
    skip("bad-argument and nil-field messages on a heap", "no samples/go1.23/leaky")
# A heap dump of which no record could be read is an error, not a cut-short
# warning: a case holding only that is a case nothing could be read in
# (exit 2), and the other case of the archive is still reported.
bad = os.path.join(tmp, "arch", "bad")
os.makedirs(bad, exist_ok=True)
with open(os.path.join(bad, "heap.dump"), "wb") as f:
    f.write(b"go1.7 heap dump\n\x01\x02garbage")
good = os.path.join(tmp, "arch", "good")
os.makedirs(good, exist_ok=True)
with open(os.path.join(good, "gctrace.log"), "w") as f:
    f.write("gc 1 @0.011s 2%: 0.009+0.23+0.004 ms clock, 0.038+0.12/0.19/0.17+0.019 ms cpu, "
            "4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n")
rc, out, err = run("info", os.path.join(bad, "heap.dump"))
ok(rc == 2 and "error: incomplete object record at offset 16" in out + err
   and "nothing to load" in out + err,
   "a heap dump with no whole record is an error naming the offset", out + err)
atar = os.path.join(tmp, "bad-good.tar")
with tarfile.open(atar, "w") as t:
    t.add(bad, arcname="bad")
    t.add(good, arcname="good")
rc, out, err = run("check", "--format", "jsonl", "--fail-on", "never", atar)
maps = [json.loads(l) for l in out.splitlines() if l.strip()]
byname = {m["name"]: m for m in maps}
ok(rc == 2 and atar.split("/")[-1] + "/bad" in " ".join(byname) and
   any("nothing" in e for m in maps if m["name"].endswith("/bad") for e in m["errors"]) and
   any(m["name"].endswith("/good") and not m["errors"] for m in maps),
   "check: that case is an error (exit 2), the good one beside it is reported", out + err)
# The same for a pprof profile cut before any sample (`head -c 40` of the
# heap profile Go wrote, or its .pb.gz cut the same way): an error naming
# the byte where the cut field starts, nothing loaded; cut after some
# samples it stays a warning with those samples loaded.  The top-level
# fields are walked here, independently of the loader.
def pb_fields(b):
    """(start, field number, end) of each whole top-level field, and where the first
    cut one starts."""
    def varint(i):
        v, k = 0, 0
        while i < len(b):
            v |= (b[i] & 0x7f) << k
            k += 7
            i += 1
            if not b[i - 1] & 0x80:
                return v, i
        return None, i
    i, out = 0, []
    while i < len(b):
        key, j = varint(i)
        if key is None:
            break
        if key & 7 == 0:
            v, j = varint(j)
        elif key & 7 == 2:
            v, j = varint(j)
            j = j + v if v is not None and j + v <= len(b) else None
        if v is None or j is None:
            break
        out.append((i, key >> 3, j))
        i = j
    return out, i


heappb = "samples/go1.23/leaky/heap.pb"
if os.path.exists(heappb):
    raw = open(heappb, "rb").read()
    fields, _ = pb_fields(raw)
    iSample = min(st for st, f, _ in fields if f == 2)   # the first sample's field
    head = raw[:iSample + 3]
    _, iCut = pb_fields(head)
    pbad = os.path.join(tmp, "parch", "bad")
    os.makedirs(pbad, exist_ok=True)
    with open(os.path.join(pbad, "heap.pb"), "wb") as f:
        f.write(raw[:40])
    with open(os.path.join(pbad, "cut.pb"), "wb") as f:
        f.write(head)
    with open(os.path.join(pbad, "heap.pb.gz"), "wb") as f:
        f.write(gzip.compress(head)[:-8])             # the gzip trailer cut off too
    _, iCut40 = pb_fields(raw[:40])
    for name, off in (("heap.pb", iCut40), ("cut.pb", iCut), ("heap.pb.gz", iCut)):
        rc, out, err = run("info", os.path.join(pbad, name))
        ok(rc == 2 and re.search(r"offset %d: error: pprof: expected .* at byte %d of %d, before any "
                                 r"sample; nothing to load" % (off, off, 40 if name == "heap.pb" else len(head)),
                                 out + err) and "profiles." not in out,
           "a pprof profile cut before any sample (%s) is an error naming the offset" % name, out + err)
    # cut inside a later sample: the whole samples before it are loaded
    iLater = [st for st, f, _ in fields if f == 2][5]
    with open(os.path.join(tmp, "later.pb"), "wb") as f:
        f.write(raw[:iLater + 3])
    nWhole = sum(1 for st, f, _ in fields if f == 2 and st < iLater)
    rc, out, err = run("-e", "local n = 0 for _, p in pairs(case.profiles) do n = n + #p.samples end "
                       "return n", os.path.join(tmp, "later.pb"))
    ok(rc == 0 and out.strip() == str(nWhole) and "warning: pprof: expected" in err
       and "(%d samples)" % nWhole in err,
       "a pprof profile cut after %d samples loads them with a warning" % nWhole, out + err)
    ptar = os.path.join(tmp, "pbad-good.tar")
    with tarfile.open(ptar, "w") as t:
        t.add(os.path.join(pbad, "heap.pb"), arcname="bad/heap.pb")
        t.add(good, arcname="good")
    rc, out, err = run("check", "--format", "jsonl", "--fail-on", "never", ptar)
    maps = [json.loads(l) for l in out.splitlines() if l.strip()]
    ok(rc == 2 and any(m["name"].endswith("/bad") and
                       any("before any sample" in e for e in m["errors"]) for m in maps) and
       any(m["name"].endswith("/good") and not m["errors"] for m in maps),
       "check: a case holding only a cut pprof is an error (exit 2), the good one is reported",
       out + err)
else:
    skip("pprof cut before any sample", "no " + heappb)

# -o says where the file went (a new user ran `report -o` and saw nothing);
# -q keeps stderr empty for scripts.
if os.path.isdir("samples/go1.23/leaky-rate1"):
    html = os.path.join(tmp, "r.html")
    rc, out, err = run("--no-cache", "report", "-o", html, "samples/go1.23/leaky-rate1")
    ok(rc == 0 and os.path.getsize(html) > 0 and ("wrote %s (" % html) in err,
       "report -o says where it wrote the page, and its size", err)
    rc, out, err = run("--no-cache", "report", "-q", "-o", html, "samples/go1.23/leaky-rate1")
    ok(rc == 0 and err == "", "report -q -o writes nothing on stderr", err)
if os.path.isdir("samples/go1.23/leaky-rate1"):
    rc, out, err = run("--no-cache", "-e", "return case.profiles.heapx.top", "samples/go1.23/leaky-rate1")
    ok(rc == 1 and "no heapx profile here (case.profiles has allocs" in err,
       "a profile name mistyped is explained with the profiles there are", err)
else:
    skip("a mistyped profile name", "no samples/go1.23/leaky-rate1")
rc, out, err = run("--frobnicate")
ok(rc == 2 and "unknown option" in err and "--help" in err, "a bad option exits 2 and points at --help", err)

rc, out, err = run("info", os.path.join(tmp, "missing.dump"))
ok(rc == 2 and "missing.dump" in (out + err) and "No such file" in (out + err),
   "a missing input exits 2 naming it", out + err)

# An input nothing recognises, named together with a good one: reported,
# the rest still loads.
junk = os.path.join(tmp, "core.1234")
with open(junk, "wb") as f:
    f.write(b"\x7fELF\x02\x01\x01" + b"\0" * 100)
good = os.path.join(tmp, "script.lua")
with open(good, "w") as f:
    f.write("print('script ran', #cases, case and case.name)\nreturn 3\n")
rc, out, err = run("info", junk)
ok(rc == 2 and "core.1234" in out + err and "ELF" in out + err and "tried:" in out + err,
   "an unrecognised file is an error naming what it looks like and what was tried", out + err)

# run SCRIPT with args after --; its number is the exit status
args_script = os.path.join(tmp, "args.lua")
with open(args_script, "w") as f:
    f.write("print(arg[0] ~= nil, arg[1], arg[2], select('#', ...))\nreturn 3\n")
rc, out, err = run("run", args_script, "--", "x", "--y")
ok(rc == 3 and out.strip() == "true\tx\t--y\t2", "run passes ARGs after -- and returns its status", out + err)

# Lua from stdin when stdin is not a terminal
rc, out, err = run(stdin=b"return 6*7\n")
ok(rc == 0 and "42" in out, "Lua is read from stdin when it is a pipe", out + err)

# Archives: one case per top-level directory; nothing is extracted to disk;
# a member named ../../x is only a name.
arch = os.path.join(tmp, "captures.tar.gz")
with tarfile.open(arch, "w:gz") as tf:
    gc = (b"gc 1 @0.011s 2%: 0.010+0.20+0.003 ms clock, 0.080+0.10/0.30/0.50+0.024 ms cpu, "
          b"4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n")
    for name, data in [("podA/gctrace.log", gc), ("podB/gctrace.log", gc),
                       ("podB/../../escape.txt", b"evil")]:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
cwd = tempfile.mkdtemp(prefix="hs-cwd-")
p = subprocess.run([os.path.abspath(HS), "-e", "local t={} for _,c in ipairs(cases) do t[#t+1]=c.name end return table.concat(t,' ')", arch],
                   capture_output=True, cwd=cwd, timeout=60)
out = p.stdout.decode()
ok("captures.tar.gz/podA" in out and "captures.tar.gz/podB" in out,
   "an archive of directories gives one case per directory", out + p.stderr.decode())
ok(not os.path.exists(os.path.join(tmp, "escape.txt")) and not os.listdir(cwd)
   and not os.path.exists(os.path.join(os.path.dirname(tmp), "escape.txt")),
   "a member named ../../x creates no file")

# Decompression bomb: 64 MiB of gctrace lines in a small .gz, limit 1M
bomb = os.path.join(tmp, "bomb.gz")
with gzip.open(bomb, "wb") as f:
    line = b"gc 1 @0.011s 2%: 0.010+0.20+0.003 ms clock, 0.080+0.10/0.30/0.50+0.024 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n"
    chunk = line * ((1 << 20) // len(line))
    for _ in range(64):
        f.write(chunk)
rc, out, err = run("--max-bytes", "1M", "info", bomb)
ok(rc == 2 and "bomb.gz" in out + err and "--max-bytes (1.0 MiB" in out + err,
   "a decompression bomb stops at the limit with an error naming the input and the flag", out + err)
ok(os.path.getsize(bomb) < (1 << 20), "the bomb is small on disk")

# A truncated .gz keeps what decoded and warns.
text = b"".join(b"line %d\n" % i for i in range(200000))
trunc = os.path.join(tmp, "trunc.gz")
with open(trunc, "wb") as f:
    f.write(gzip.compress(text)[:20000])
rc, out, err = run("info", trunc)
ok("trunc.gz" in out + err and ("corrupt" in out + err or "truncated" in out + err),
   "a truncated .gz is reported with the decoded size", out + err)

# Directory of case directories: one case each, dotfiles skipped
root = os.path.join(tmp, "root")
for d in ("c1", "c2"):
    os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, d, "gctrace.log"), "wb") as f:
        f.write(line)
with open(os.path.join(root, "c1", ".hidden"), "wb") as f:
    f.write(b"\x7fELF")
rc, out, err = run("info", root)
ok(rc == 0 and "case %s/c1" % root in out and "case %s/c2" % root in out and ".hidden" not in out,
   "a directory of directories gives one case each, dotfiles skipped", out + err)

# heapscope's own index file beside a dump: not a skipped input worth a
# word in a directory, and named alone it says what it is
idxdir = os.path.join(tmp, "withindex")
os.makedirs(idxdir)
with open("tests/fuzz/corpus/heapdump/tiny-go1.23.dump", "rb") as src, \
        open(os.path.join(idxdir, "heap.dump"), "wb") as dst:
    dst.write(src.read())
rc, out, err = run("-e", "return case.heap.stats.edges >= 0", idxdir)
idx = os.path.join(idxdir, "heap.dump.hsidx")
ok(rc == 0 and os.path.exists(idx), "a heap query writes the index beside the dump", out + err)
rc, out, err = run("info", idxdir)
ok(rc == 0 and "hsidx" not in out + err, "info on the directory does not list the index file", out + err)
rc, out, err = run("info", idx)
ok(rc == 2 and "heapscope index file" in out + err, "the index file named alone says what it is", out + err)

# diff: two or three heap dumps, each its own case; or one case holding a series
rc, out, err = run("diff")
ok(rc == 2 and "BASE TARGET" in err, "diff without inputs is a usage error", out + err)
if os.path.exists("samples/go1.23/leaky/heap.dump.xz"):
    rc, out, err = run("diff", "samples/go1.23/leaky/heap.dump.xz")
    ok(rc == 1 and "holds no series" in out + err, "diff of one dump alone says it needs a series",
       out + err)
growth = "samples/series/go1.23/growth"
if os.path.isdir(growth):
    rc, out, err = run("info", growth)
    ok(rc == 0 and "already has a heap dump" not in out + err and
       re.search(r"series case\.heaps.*\n.*heap1\.dump\.xz\n.*heap2\.dump\.xz\n.*heap3\.dump\.xz"
                 r"  = case\.heap", out) is not None,
       "info on three dumps in one directory shows the series in the program's order", out + err)
    rc, out, err = run("diff", growth)
    ok(rc == 0 and "leak candidates" in out and "-diff_base" in out and "HeapAlloc" in out,
       "diff on a directory holding a series: dumps, profiles and growth rates", out + err)
if os.path.exists("samples/go1.23/leaky/heap.dump.xz"):
    rc, out, err = run("--no-cache", "diff", "samples/go1.23/leaky/heap.dump.xz",
                       "samples/go1.23/leaky/heap.dump.xz")
    ok(rc == 0 and "new in target: 0 objects" in out, "diff of a dump with itself: nothing new",
       out + err)
    rc, out, err = run("diff", "samples/go1.23/leaky/gctrace.log", "samples/go1.23/leaky/heap.dump.xz")
    ok(rc == 1 and "no heap dump in it" in out + err, "diff of a case without a dump says so",
       out + err)

# Samples: every sample case loads without errors (skips are fine)
if os.path.isdir("samples/go1.23/leaky"):
    rc, out, err = run("info", "samples/go1.23/leaky")
    ok(rc == 0 and "case samples/go1.23/leaky" in out, "the bundled sample loads", out + err)
else:
    skip("the bundled sample loads", "samples not present")

# A directory's files that are not evidence (facts.json, pprof's text output)
# are a record of their own: overview() gives it one line, not a case's
# headings over nothing.
if os.path.isdir("samples/go1.23/leaky/pprof-top"):
    rc, out, err = run("-e", "return overview()", "samples/go1.23/leaky")
    rec = [l for l in out.splitlines() if "(not evidence)" in l]
    ok(rc == 0 and len(rec) == 1 and "none read (info says why)" in rec[0]
       and "no evidence heapscope recognised" not in out,
       "overview(): the record of files that are not evidence is one line", out[-1500:] + err)

done()
