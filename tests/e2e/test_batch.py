#!/usr/bin/env python3
"""Batch runs of `heapscope check` (TAP): the machine formats read back by
readers that are not ours (python3's json, python3-msgpack, xmllint against
the JUnit schema), -j N workers giving -j 1's bytes, a killed worker, and
--shard K/N covering every case exactly once."""
import ctypes
import glob
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile

sys.path.insert(0, "tests/lib")
from tap import HS, done, ok, skip  # noqa: E402
BASIC = "tests/plugins/basic"
FIX = "tests/fixtures"
CORPUS = "tests/fuzz/corpus"

ENV = dict(os.environ, XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="hs-batch-cfg-"))
ENV.pop("HEAPSCOPE_PATH", None)


def run(*args):
    p = subprocess.run([HS] + list(args), capture_output=True, timeout=300, env=ENV)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


# A directory of small cases: gctrace and goroutine fixtures, a heap dump
# sample, and one directory with nothing heapscope reads.
tmp = tempfile.mkdtemp(prefix="hs-batch-")
root = os.path.join(tmp, "cases")
k = 0
for sub, names in (("gctrace", ("bad.log", "go1.10.log", "go1.13.log", "go1.21.log", "go1.5.log")),
                   ("goroutines", ("debug1-labels.txt", "go1.19-interleaved.txt", "go1.23-system.txt"))):
    for name in names:
        d = os.path.join(root, "%02d-%s" % (k, name.replace(".", "-")))
        os.makedirs(d)
        shutil.copy(os.path.join(CORPUS, sub, name), d)
        k += 1
os.makedirs(os.path.join(root, "zz-bad"))
with open(os.path.join(root, "zz-bad", "heap.dump"), "wb") as f:
    f.write(b"go1.7 heap dump\n" + bytes(range(256)) * 8)
os.makedirs(os.path.join(root, "zz-nothing"))
with open(os.path.join(root, "zz-nothing", "README"), "w") as f:
    f.write("notes, not evidence\n")
ARGS = ["--rules", BASIC, "--detector", "counts", "--detector", "tail", "--detector", "heap-only",
        "--fail-on", "error", root]
NCASE = k + 2   # the evidence directories, zz-bad, and the record of what is not evidence

rc, out, err = run("check", "--format", "json", *ARGS)
doc = json.loads(out)
ok(rc == 2 and len(doc["cases"]) == NCASE
   and [c["name"] for c in doc["cases"][:k + 1]] == sorted(os.path.join(root, d) for d in os.listdir(root)
                                                      if d != "zz-nothing"),
   "json: one entry per directory holding evidence (%d), a corrupt one too; exit 2" % (k + 1), err)
bad = [c for c in doc["cases"] if c["name"].endswith("zz-bad")]
ok(bad and any("zz-bad/heap.dump" in e for e in bad[0]["errors"]),
   "a directory whose evidence cannot be read is its case's error, naming the file", json.dumps(bad))
rest = doc["cases"][-1]
ok(rest["name"] == root and not rest["errors"] and [x["input"] for x in rest["skipped"]]
   == [os.path.join(root, "zz-nothing", "README")] and rest["skipped"][0]["reason"],
   "a directory with nothing heapscope reads is no case: its file is named as skipped, with the "
   "reason, in a record of the argument that is not an error", json.dumps(rest))
rc2, out2, err2 = run("check", "--format", "json", *(ARGS[:-1] + [os.path.join(root, "zz-nothing")]))
only = json.loads(out2)["cases"]
ok(rc2 == 2 and len(only) == 1 and any("nothing in this case could be read" in e for e in only[0]["errors"])
   and only[0]["skipped"] and only[0]["skipped"][0]["input"].endswith("README"),
   "an argument in which nothing could be read is an error; the skipped input is named",
   json.dumps(only))

rc, out, err = run("check", "--format", "jsonl", *ARGS)
lines = [json.loads(line) for line in out.decode().splitlines()]
ok(rc == 2 and lines == doc["cases"], "jsonl: one case map per line, the json document's cases", err)

rc, out, err = run("check", "--format", "msgpack", *ARGS)
try:
    import msgpack
except ImportError:
    msgpack = None
ok(msgpack is not None, "python3-msgpack reads the stream back (scripts/setup installs it; "
   "tests/run-test runs Debian's python3, which has it)")
if msgpack is not None:
    up = msgpack.Unpacker(raw=False)
    up.feed(out)
    maps = list(up)
    ok(rc == 2 and maps == lines, "msgpack: a stream of the same maps (read by python3-msgpack)", err)

rc, out, err = run("check", "--format", "junit", *(ARGS[:-1] + ["--fail-on", "warning", root]))
xml = os.path.join(tmp, "junit.xml")
with open(xml, "wb") as f:
    f.write(out)
if shutil.which("xmllint"):
    p = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(FIX, "junit.xsd"), xml],
                       capture_output=True)
    ok(p.returncode == 0, "junit: valid against the JUnit schema (xmllint)", p.stderr.decode())
else:
    skip("junit: valid against the JUnit schema (xmllint)",
         "xmllint is not installed (scripts/setup installs libxml2-utils)")
top = ET.fromstring(out)
suites = top.findall("testsuite")
want_fail = sum(1 for c in doc["cases"] for f in c["findings"] if f["severity"] in ("warning", "error"))
cases_of = [(s.get("name"), [t.get("name") for t in s.findall("testcase")]) for s in suites]
ok([s for s, _ in cases_of] == [c["name"] for c in doc["cases"]]
   and all(set(["counts", "tail", "heap-only"]) <= set(t) for _, t in cases_of),
   "junit: a test suite per case, a test case per detector", str(cases_of[:3]))
ok(len(top.findall(".//failure")) == want_fail and int(top.get("failures")) >= 1
   and len(top.findall(".//skipped")) == NCASE and len(top.findall(".//error")) == 1,
   "junit: a failure per finding at --fail-on (warning) or above, skipped detectors, load errors",
   out.decode()[:1500])

# -j 2 gives -j 1's bytes, in every format
for fmt in ("text", "json", "jsonl", "msgpack", "junit"):
    r1 = run("check", "--format", fmt, "-j", "1", *ARGS)
    r2 = run("check", "--format", fmt, "-j", "2", *ARGS)
    r3 = run("check", "--format", fmt, "-j3", *ARGS)
    ok(r1[:2] == r2[:2] == r3[:2], "-j 1, -j 2 and -j3 print the same bytes (%s)" % fmt, r2[2] + r3[2])

# --shard K/N: every case in exactly one shard; the union is one run
cases = set(line for line in run("check", "--format", "jsonl", *ARGS)[1].decode().splitlines())
shards = []
for i in range(1, 4):
    rc, out, err = run("check", "--format", "jsonl", "--shard", "%d/3" % i, *ARGS)
    shards.append(out.decode().splitlines())
union = [line for s in shards for line in s]
ok(sorted(union) == sorted(cases) and len(union) == len(cases) == NCASE,
   "--shard 1/3, 2/3, 3/3: each case exactly once; the union is one run (%s)"
   % "+".join(str(len(s)) for s in shards))
# stable when the inputs are named in another order
dirs = sorted(os.path.join(root, d) for d in os.listdir(root))
a = run("check", "--format", "jsonl", "--shard", "2/3", *(ARGS[:-1] + dirs))[1]
b = run("check", "--format", "jsonl", "--shard", "2/3", *(ARGS[:-1] + dirs[::-1]))[1]
ok(sorted(a.splitlines()) == sorted(b.splitlines()), "a shard depends on case names, not input order")
for bad in ("0/3", "4/3", "1/0", "x"):
    rc, out, err = run("check", "--shard", bad, root)
    ok(rc == 2 and "--shard" in err, "--shard %s is a usage error" % bad, err)
rc, out, err = run("check", "-j", "0", root)
ok(rc == 2 and "-j" in err, "-j 0 is a usage error", err)

# A worker killed mid-case: that case is an error, the others are reported.
plug = os.path.join(tmp, "plugins")
os.makedirs(plug)


def plugin(name, summary, body, title):
    """A detector NAME in plug that runs the Lua BODY on each case, then emits TITLE."""
    with open(os.path.join(plug, name + ".lua"), "w") as f:
        f.write('return { id = "%s", summary = "test: %s", run = function(case, emit)\n  %s\n'
                '  emit{ severity = "info", title = "%s" } end }\n' % (name, summary, body, title))


def check_j2(detector):
    """check -j 2 with DETECTOR over root, running (json on its stdout)."""
    return subprocess.Popen([HS, "check", "--format", "json", "-j", "2", "--rules", plug, "--detector",
                             detector, "--budget", "1e14", root], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)


plugin("spin", "spins on one case", 'if case.name:find("03%-") then while true do end end', "spun")
p = check_j2("spin")
victim = None
for _ in range(100):
    time.sleep(0.1)
    try:
        kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
    except OSError:
        kids = []
    for kid in kids:
        try:
            # the spinning worker is the one that has used CPU for a while
            if int(open("/proc/%s/stat" % kid).read().rsplit(")", 1)[1].split()[11]) > 30:
                victim = int(kid)
        except (OSError, IndexError, ValueError):
            pass
    if victim:
        break
if victim:
    os.kill(victim, signal.SIGKILL)
try:
    out, err = p.communicate(timeout=120)
    doc = json.loads(out)
    spun = [c for c in doc["cases"] if "03-" in c["name"]]
    others = [c for c in doc["cases"] if "03-" not in c["name"]]
    ok(victim and p.returncode == 2 and spun and any("killed by signal 9" in e for e in spun[0]["errors"])
       and all(c["findings"] and c["findings"][0]["title"] == "spun" for c in others)
       and len(doc["cases"]) == NCASE,
       "a worker killed mid-case: that case's error; every other case reported", out.decode()[:2000])
except (subprocess.TimeoutExpired, ValueError) as e:
    p.kill()
    ok(False, "a worker killed mid-case", str(e))

# Workers are long-lived: -j 2 over the directory's cases (each made slow
# by a plugin's loop) forks two processes that check case after case, not
# one per case -- with --binary too: the worker loads the executable into
# each case it is sent (the parent once loaded it into every case, and a
# case loaded in part had a worker of its own).


def slow_workers(*extra, env=ENV):
    """check -j 2 with the slow detector over root: (its cases, worker processes seen, stderr)."""
    p = subprocess.Popen([HS, "check", "--format", "json", "-j", "2", "--rules", plug, "--detector",
                          "slow", "--budget", "1e14", *extra, root], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    pids = set()
    while p.poll() is None:
        try:
            pids.update(open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split())
        except OSError:
            pass
        time.sleep(0.02)
    out, err = p.communicate()
    return json.loads(out)["cases"], pids, err.decode()


plugin("slow", "a slow detector", "local x = 0 for i = 1, 2e7 do x = x + i end", "slow")
cases, pids, err = slow_workers()
slow = [c for c in cases if c["findings"] and c["findings"][0]["title"] == "slow"]
# Two, or a few more where a worker grew past its limit and was replaced (the
# asan build's quarantine of freed memory does that); one per case is NCASE.
ok(len(cases) == NCASE and len(slow) >= k and 1 <= len(pids) <= NCASE // 2,
   "-j 2: long-lived workers check all %d cases between them (worker processes seen: %d)"
   % (len(slow), len(pids)), err)
binary = "samples/go1.23/leaky/leaky.bin.xz"
if os.path.exists(binary):
    gover = json.load(open("samples/go1.23/leaky/facts.json"))["go_version"]
    # The asan build's quarantine keeps each case's freed binary (megabytes
    # of DWARF) for a while, which a worker counts as growth and retires on
    # after every case; a small quarantine shows the workers as release has
    # them (ASAN_OPTIONS means nothing to the other builds).
    asan = os.environ.get("ASAN_OPTIONS", "")
    cases, pids, err = slow_workers("--binary", binary, env=dict(
        ENV, ASAN_OPTIONS=asan + (":" if asan else "") + "quarantine_size_mb=16"))
    ok(len(cases) == NCASE and 1 <= len(pids) <= NCASE // 2,
       "-j 2 --binary: long-lived workers check the %d cases, each loading the binary (worker "
       "processes seen: %d)" % (len(cases), len(pids)), err)
    # The binary's build info in every case, as the program's facts.json says.
    plugin("gover", "names the binary's Go version", 'local b = case.binary emit{ severity = '
           '"info", title = "go " .. tostring(b and b[1] and b[1].go_version) }', "gover ran")
    outs = [run("check", "--format", "jsonl", "-j", j, "--binary", binary, "--rules", plug,
                "--detector", "gover", *ARGS) for j in ("1", "2")]
    maps = [json.loads(l) for l in outs[1][1].splitlines()]
    ok(outs[0][1] == outs[1][1] and outs[0][0] == outs[1][0] == 2 and len(maps) == NCASE and
       all(any(f["title"] == "go " + gover for f in m["findings"]) for m in maps),
       "--binary: -j 1 and -j 2 print the same bytes; every case has the binary (%s)" % gover,
       outs[1][2])
else:
    ok(True, "# SKIP no committed sample binary (%s)" % binary)
    ok(True, "# SKIP no committed sample binary (%s)" % binary)

# Case discovery: every directory holding evidence is a case, found
# recursively; a directory's own files are one case and each subdirectory
# another; what is not evidence is named as skipped, with its reason.
mixed = os.path.join(tmp, "mixed")
os.makedirs(os.path.join(mixed, "sub", "deeper"))
shutil.copy(os.path.join(CORPUS, "gctrace", "go1.21.log"), os.path.join(mixed, "gctrace.log"))
shutil.copy(os.path.join(CORPUS, "goroutines", "go1.23-system.txt"), os.path.join(mixed, "sub", "g.txt"))
shutil.copy(os.path.join(CORPUS, "gctrace", "go1.13.log"), os.path.join(mixed, "sub", "deeper", "gc.log"))
with open(os.path.join(mixed, "README"), "w") as f:
    f.write("notes, not evidence\n")
rc, out, err = run("check", "--format", "json", "--rules", BASIC, "--detector", "tail", mixed)
doc = json.loads(out)
names = [c["name"] for c in doc["cases"]]
skipped = [(c["name"], x["input"], x["reason"]) for c in doc["cases"] for x in c["skipped"]]
ok(sorted(names) == sorted([mixed, mixed + "/sub", mixed + "/sub/deeper"])
   and not any(c["errors"] for c in doc["cases"])
   and len(skipped) == 1 and skipped[0][0] == mixed and skipped[0][1] == mixed + "/README" and skipped[0][2],
   "a directory with files and subdirectories: its files one case, each subdirectory its own; "
   "its README named as skipped", json.dumps(names) + err)
rc, out, err = run("info", mixed)
out = out.decode()
ok(rc == 0 and all("case %s\n" % nm in out for nm in names)
   and re.search(r"skipped.*README", out) and "not Go evidence" in out,
   "info lists each case, what it holds, and the skipped file with its reason", out + err)
marc = os.path.join(tmp, "mixed.tar.gz")
with tarfile.open(marc, "w:gz") as t:
    t.add(mixed, "top")
    t.add(os.path.join(CORPUS, "gctrace", "go1.5.log"), "loose.log")
rc, out, err = run("check", "--format", "jsonl", "--rules", BASIC, "--detector", "tail", marc)
names = [json.loads(line)["name"] for line in out.decode().splitlines()]
ok(names == [marc + "/top", marc],
   "inside an archive each top-level directory is one case, the loose root files one", json.dumps(names))
if os.path.isdir("samples/go1.23"):
    want = sorted("samples/go1.23/" + d for d in os.listdir("samples/go1.23")
                  if os.path.exists(os.path.join("samples/go1.23", d, "facts.json")))
    rc, out, err = run("check", "--format", "jsonl", "--rules", BASIC, "--detector", "tail", "samples/go1.23/")
    maps = [json.loads(line) for line in out.decode().splitlines()]
    names = [m["name"] for m in maps]
    ok(names[:-1] == want and names[-1] == "samples/go1.23" and not maps[-1]["errors"]
       and maps[-1]["skipped"] and all("/pprof-top/" in x["input"] or x["input"].endswith("/facts.json")
                                      for x in maps[-1]["skipped"]),
       "check samples/go1.23/: one case per sample program's directory (%d), then the record "
       "naming the files that are not evidence (facts.json, go tool pprof's text output)" % len(want),
       json.dumps(names) + err)

# A shard that holds a directory's record of skipped files but none of its
# cases: the record is no error there either (as in one run).  Names are
# chosen with check's own shard function (XXH3-64 of the case name), here
# from Debian's libxxhash, not from heapscope.
XXH = ctypes.CDLL("libxxhash.so.0")
XXH.XXH3_64bits.restype = ctypes.c_uint64
XXH.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def xxh3(z):
    b = z.encode()
    return XXH.XXH3_64bits(b, len(b))


lone = os.path.join(tmp, "lone")
name = next("c%d" % i for i in range(100) if xxh3(lone + "/c%d" % i) % 2 != xxh3(lone) % 2)
os.makedirs(os.path.join(lone, name))
os.makedirs(os.path.join(lone, "notes"))
shutil.copy(os.path.join(CORPUS, "gctrace", "go1.21.log"), os.path.join(lone, name, "gctrace.log"))
with open(os.path.join(lone, "notes", "README"), "w") as f:
    f.write("notes, not evidence\n")
k = xxh3(lone) % 2 + 1
rc, out, err = run("check", "--format", "jsonl", "--rules", BASIC, "--detector", "tail", "--shard", "%d/2" % k, lone)
maps = [json.loads(line) for line in out.decode().splitlines()]
ok(rc == 0 and [m["name"] for m in maps] == [lone] and not maps[0]["errors"] and maps[0]["skipped"],
   "a shard holding only a directory's skipped files reports them without an error, as one run does",
   out.decode()[:600] + err)

# Runaway cases: past the per-case --timeout, or past its share of the
# run's --max-total (divided among the workers), a case is an error of its
# own and every other case is reported.
plugin("hog", "eats memory on one case",
       'if case.name:find("03%-") then local t = {} for i = 1, 1e8 do t[i] = ("x"):rep(100) .. i end end',
       "fed")
for jobs, limit, det, title, says in (("2", ["--timeout", "3"], "spin", "spun", "--timeout 3s"),
                                      ("1", ["--timeout", "3"], "spin", "spun", "--timeout 3s"),
                                      ("2", ["--max-total", "300M"], "hog", "fed", "share of the run's memory")):
    rc, out, err = run("check", "--format", "json", "-j", jobs, *limit, "--rules", plug, "--detector", det,
                       "--budget", "1e14", root)
    doc = json.loads(out)
    hit = [c for c in doc["cases"] if "03-" in c["name"]]
    rest = [c for c in doc["cases"] if "03-" not in c["name"] and not c["name"].endswith("zz-bad")
            and c["name"] != root]
    ok(rc == 2 and hit and any(says in e for e in hit[0]["errors"]) and len(rest) == NCASE - 3
       and all(c["findings"] and c["findings"][0]["title"] == title for c in rest),
       "-j %s %s: the runaway case is an error saying so (%s); the others are reported"
       % (jobs, " ".join(limit), says), json.dumps(hit)[:800] + err)

# The README's scale-out recipes, run as the schedulers would run them (their
# variables set by hand; heapscope and the captures' path substituted): the
# shards' outputs concatenate into one run's.
readme = open("README.md").read()
hs_abs = os.path.abspath(HS)


def sub(cmd):
    return (cmd.replace("heapscope check", "'%s' check" % hs_abs)
            .replace("/shared/captures", root).replace("/captures", root))


def sh(cmd, env=None, cwd=None):
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=300, cwd=cwd,
                       env=dict(ENV, **(env or {})))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


one = run("check", "-q", "--pack", "ci", "--fail-on", "never", "--format", "jsonl", root)[1]
want = sorted(one.decode().splitlines())
m = re.search(r'command: \["sh", "-c", "(.*?)"\]', readme, re.S)
kdir = tempfile.mkdtemp(prefix="hs-k8s-", dir=tmp)
cmd = re.sub(r"\s*\n\s*", " ", m.group(1)).replace("/results", kdir) if m else ""
codes = [sh(sub(cmd), {"JOB_COMPLETION_INDEX": str(k)})[0] for k in range(8)] if m else []
got = sorted(l for k in range(8) if os.path.exists(os.path.join(kdir, "shard-%d.jsonl" % k))
             for l in open(os.path.join(kdir, "shard-%d.jsonl" % k)).read().splitlines())
ok(m and codes == [0] * 8 and got == want,
   "README's Kubernetes Indexed Job: 8 pods' shards concatenate into one run's cases",
   "%s %s\nonly in one run: %s\nonly in the shards: %s" % (codes, cmd, sorted(set(want) - set(got))[:2],
                                                           sorted(set(got) - set(want))[:2]))
m = re.search(r"```\n(#!/bin/sh\n#SBATCH --array=1-(\d+)\n.*?)```", readme, re.S)
sdir = tempfile.mkdtemp(prefix="hs-slurm-", dir=tmp)
if m:
    with open(os.path.join(sdir, "sweep.sh"), "w") as f:
        f.write(sub(m.group(1)))
codes = [sh("sh sweep.sh", {"SLURM_ARRAY_TASK_ID": str(k)}, cwd=sdir)[0]
         for k in range(1, int(m.group(2)) + 1)] if m else []
got = sorted(l for f in glob.glob(os.path.join(sdir, "results", "shard-*.jsonl"))
             for l in open(f).read().splitlines())
ok(m and codes == [0] * len(codes) and got == want,
   "README's Slurm array: every task's shard concatenates into one run's cases",
   "%s\nonly in one run: %s\nonly in the shards: %s" % (codes, sorted(set(want) - set(got))[:2],
                                                        sorted(set(got) - set(want))[:2]))
m = re.search(r"seq 1 (\d+) \| parallel [^']*'([^']*)'", readme)
outs = [sh(sub(m.group(2).replace("{}", str(k)))) for k in range(1, int(m.group(1)) + 1)] if m else []
if msgpack is not None and m:
    up = msgpack.Unpacker(raw=False)
    up.feed(b"".join(o[1] for o in outs))
    got = sorted(json.dumps(x, separators=(",", ":"), ensure_ascii=False) for x in up)
    ok(all(o[0] == 0 for o in outs)
       and got == sorted(json.dumps(json.loads(l), separators=(",", ":"), ensure_ascii=False) for l in want),
       "README's GNU parallel command: the shards' msgpack streams concatenate into one run's", str(outs)[:300])
else:
    skip("README's GNU parallel command: the shards' msgpack streams concatenate into one run's",
         "python3-msgpack is not installed (scripts/setup installs it)")

# An archive of cases: top-level directories are cases, a corrupt member is
# its case's error naming the member, the others are reported.
arch = os.path.join(tmp, "cases.tar.gz")
with tarfile.open(arch, "w:gz") as t:
    t.add(os.path.join(CORPUS, "gctrace", "go1.21.log"), "good/gctrace.log")
    t.add(os.path.join(CORPUS, "goroutines", "go1.23-system.txt"), "good2/goroutines.txt")
    corrupt = os.path.join(tmp, "heap.dump")
    with open(corrupt, "wb") as f:
        f.write(b"go1.7 heap dump\n" + bytes(range(256)) * 8)
    t.add(corrupt, "bad/heap.dump")
rc, out, err = run("check", "--format", "json", "--rules", BASIC, "--detector", "tail", arch)
doc = json.loads(out)
names = [c["name"].rsplit("/", 1)[-1] for c in doc["cases"]]
bad = [c for c in doc["cases"] if c["name"].endswith("/bad")]
ok(rc == 2 and names == ["good", "good2", "bad"] and bad and any("bad/heap.dump" in e for e in bad[0]["errors"])
   and all(not c["errors"] for c in doc["cases"] if c is not bad[0]),
   "an archive: a case per top-level directory, streamed in member order; a corrupt member is "
   "its case's error, naming it",
   json.dumps(doc)[:2000])

# An archive whose top-level directories are not contiguous (`tar cf x.tar
# a/1 b/1 a/2`, a zip in any order): each directory is still one case with
# all its members, in -j 1 and -j 2 alike.  The members are committed
# samples; each case's evidence must be its program's (facts.json).
plugin("facts", "counts GC cycles and goroutines",
       'emit{ severity = "info", title = "counted", evidence = { gc = case.gc and #case.gc or 0, '
       'goroutines = case.goroutines and #case.goroutines or 0 } }', "done")
PROGS = {"a": "leaky", "b": "gcthrash", "c": "goroutines"}
if all(os.path.exists("samples/go1.23/%s/facts.json" % p) for p in PROGS.values()):
    facts = {d: json.load(open("samples/go1.23/%s/facts.json" % p)) for d, p in PROGS.items()}
    order = ["a/gctrace.log", "b/gctrace.log", "c/gctrace.log", "a/goroutines-debug2.txt", "loose.log",
             "b/goroutines-debug2.txt", "c/goroutines-debug2.txt"]

    def src(member):
        d, f = member.split("/") if "/" in member else ("a", "gctrace.log")
        return "samples/go1.23/%s/%s" % (PROGS[d], f)

    inter = os.path.join(tmp, "inter.tar")
    with tarfile.open(inter, "w") as t:
        for m in order:
            t.add(src(m), m)
    interz = os.path.join(tmp, "inter.zip")
    with zipfile.ZipFile(interz, "w", zipfile.ZIP_DEFLATED) as z:
        for m in order[::-1] + ["a/README"]:   # another order, and a last member that is not evidence
            if m == "a/README":
                z.writestr(m, "notes, not evidence\n")
            else:
                z.write(src(m), m)
    intergz = os.path.join(tmp, "inter.tar.gz")
    with tarfile.open(intergz, "w:gz") as t:
        for m in order[3:] + order[:3]:
            t.add(src(m), m)
    for arc in (inter, interz, intergz):
        base = os.path.basename(arc)
        cmd = ["check", "--format", "jsonl", "--rules", plug, "--detector", "facts", arc]
        r1, r2, r1b = run(*cmd), run(*(cmd[:1] + ["-j", "2"] + cmd[1:])), run(*cmd)
        maps = [json.loads(line) for line in r1[1].decode().splitlines()]
        names = [m["name"] for m in maps]
        want = sorted([arc + "/a", arc + "/b", arc + "/c", arc])
        ok(r1[0] == 0 and sorted(names) == want,
           "%s, members of each directory apart: one case per directory, each once" % base,
           json.dumps(names) + r1[2])
        right = True
        for m in maps:
            d = m["name"][len(arc) + 1:] or None
            skipped = set(x["input"] for x in m["skipped"])
            ins = sorted(i["name"][len(arc) + 1:] for i in m["inputs"] if i["name"] not in skipped)
            ev = [f["evidence"] for f in m["findings"] if f["title"] == "counted"]
            if d is None:
                right = right and ins == ["loose.log"] and ev == [{"gc": facts["a"]["num_gc"], "goroutines": 0}]
            else:
                right = right and ins == ["%s/gctrace.log" % d, "%s/goroutines-debug2.txt" % d] and ev == [
                    {"gc": facts[d]["num_gc"], "goroutines": facts[d]["goroutines_total"]}]
        ok(right, "%s: each case holds all its directory's members, and its GC cycles and goroutines "
           "are its program's (facts.json num_gc, goroutines_total)" % base, r1[1].decode()[:3000])
        ok(r2[1] == r1[1] and r1b[1] == r1[1], "%s: -j 2 gives -j 1's bytes, and a second run the same" % base,
           r2[2])
        if arc == interz:
            readme = [x for m in maps if m["name"] == arc + "/a" for x in m["skipped"]]
            ok(len(readme) == 1 and readme[0]["input"].endswith(":a/README"),
               "inter.zip: the directory's last member, not evidence, is named as skipped in its case",
               json.dumps(maps))
    rc, out, err = run("info", inter)
    heads = [line[5:] for line in out.decode().splitlines() if line.startswith("case ")]
    ok(rc == 0 and sorted(heads) == sorted([inter + "/a", inter + "/b", inter + "/c", inter]),
       "info on inter.tar lists each directory as one case", out.decode()[:1500] + err)
    union = sorted(line for k in (1, 2, 3) for line in
                   run("check", "--format", "jsonl", "--rules", plug, "--detector", "facts", "--shard",
                       "%d/3" % k, inter, interz)[1].decode().splitlines())
    whole = sorted(run("check", "--format", "jsonl", "--rules", plug, "--detector", "facts", inter,
                       interz)[1].decode().splitlines())
    ok(union == whole and len(whole) == 8, "interleaved archives: three shards' union is one run", "")
else:
    skip("interleaved archives", "no committed samples (samples/go1.23/leaky, gcthrash, goroutines)")

shutil.rmtree(tmp)
done()
