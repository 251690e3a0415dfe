#!/usr/bin/env python3
"""End-to-end: `heapscope check` with the runtime detectors (goroutine-leak,
heap-growth, gc-thrash, gc-pause, rss-gap, alloc-hotspot) over the samples,
as a user runs it: the planted problems that facts.json describes are found
with their site and size, the healthy control and prometheus give nothing
at warning or above (exit 0) with the default and the ci packs, and a
weaker input alone (a goroutine text dump) says less, never something
wrong (TAP)."""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import HS, done, ok  # noqa: E402
MINE = ["goroutine-leak", "heap-growth", "gc-thrash", "gc-pause", "rss-gap", "alloc-hotspot"]

ENV = dict(os.environ)
ENV["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hs-check-rt-")
ENV.pop("HEAPSCOPE_PATH", None)


def check(*args):
    det = []
    for d in MINE:
        det += ["--detector", d]
    p = subprocess.run([HS, "check", "--no-cache", "--format", "json"] + det + list(args),
                       capture_output=True, timeout=300, env=ENV)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    try:
        doc = json.loads(out)
    except ValueError as e:
        doc = {"cases": []}
        err += "\njson: %s\n%s" % (e, out[:2000])
    findings = [f for c in doc["cases"] for f in c["findings"]]
    return p.returncode, findings, err


def near(got, want):
    return isinstance(got, (int, float)) and abs(got - want) <= 0.10 * want


for d in ("samples/go1.19/leaky", "samples/go1.23/leaky"):
    if not os.path.exists(d + "/facts.json"):
        continue
    facts = json.load(open(d + "/facts.json"))
    want = facts["goroutines"][0]
    rc, fs, err = check(d)
    ok(rc == 1, d + ": exit 1, findings at warning", err)
    leak = [f for f in fs if f["detector"] == "goroutine-leak" and f.get("site") == want["function"]]
    ok(len(leak) == 1 and leak[0]["severity"] == "warning" and near(leak[0]["count"], want["count"]),
       "%s: goroutine-leak finds %d %s" % (d, want["count"], want["function"]), fs)
    if leak:
        ok(near(leak[0]["evidence"]["retained_bytes"], facts["leaky_worker_scratch"]["total_bytes"]),
           d + ": ... and the scratch buffers only their stacks hold", leak[0]["evidence"])
    churn = [f for f in fs if f["detector"] == "alloc-hotspot" and f.get("site") == facts["churn_function"]]
    ok(len(churn) == 1 and near(churn[0]["bytes"], facts["churn_bytes"]),
       "%s: alloc-hotspot finds %s allocating churn_bytes" % (d, facts["churn_function"]), fs)
    # weaker evidence alone: a debug=1 dump has no waits, so the group is
    # info (an idle pool looks the same); the SIGQUIT traceback shows
    # ", 1 minutes" and makes it a warning
    rc, fs, err = check(d + "/goroutines-debug1.txt")
    leak = [f for f in fs if f["detector"] == "goroutine-leak" and f.get("site") == want["function"]]
    ok(rc == 0 and len(leak) == 1 and leak[0]["severity"] == "info" and leak[0]["count"] == want["count"]
       and "retained_bytes" not in leak[0]["evidence"],
       d + "/goroutines-debug1.txt alone: the group as info, without claims about memory", fs)
    if os.path.exists(d + "/sigquit.log"):
        rc, fs, err = check(d + "/sigquit.log")
        leak = [f for f in fs if f["detector"] == "goroutine-leak" and f.get("site") == want["function"]]
        ok(rc == 1 and len(leak) == 1 and leak[0]["severity"] == "warning",
           d + "/sigquit.log alone: parked a minute, a warning", fs)

# the controls: the healthy programs, the control that does what looks like
# a problem legitimately, and every real third-party server
CONTROLS = ["samples/%s/%s" % (v, n) for v in ("go1.19", "go1.23") for n in ("healthy", "control")]
CONTROLS += sorted(glob.glob("samples/thirdparty/*/"))
for d in CONTROLS:
    if not os.path.exists(d):
        continue
    for pack in ("default", "ci"):
        rc, fs, err = check("--pack", pack, d)
        bad = [f["title"] for f in fs if f["severity"] in ("warning", "error")]
        ok(rc == 0 and not bad, "%s, pack %s: nothing at warning or above, exit 0" % (d, pack), bad or err)

done()
