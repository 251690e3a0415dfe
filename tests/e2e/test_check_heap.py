#!/usr/bin/env python3
"""End-to-end: `heapscope check` with the heap detectors (slice-retention,
dominant-retainer, finalizer-cycle, pool-misuse, http-body-leak) as a user
runs it, JSON output checked against what the sample programs planted
(facts.json); the controls quiet under the default and ci packs; the exit
status follows --fail-on."""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import HS, ok, done  # noqa: E402

HEAP = ["slice-retention", "dominant-retainer", "finalizer-cycle", "pool-misuse", "http-body-leak"]


ENV = dict(os.environ)
ENV["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hs-check-heap-")
ENV.pop("HEAPSCOPE_PATH", None)


def check(*args):
    det = []
    for d in HEAP:
        det += ["--detector", d]
    p = subprocess.run([HS, "check", "--no-cache", "--format", "json"] + det + list(args),
                       capture_output=True, timeout=300, env=ENV)
    try:
        doc = json.loads(p.stdout.decode(errors="replace"))
    except ValueError:
        doc = None
    return p.returncode, doc, p.stderr.decode(errors="replace")


def near(got, want):
    return isinstance(got, (int, float)) and abs(got - want) <= 0.1 * want


def findings(doc):
    return doc["cases"][0]["findings"] if doc and doc.get("cases") else []


for v in ("go1.19", "go1.23"):
    d = "samples/%s/leaky" % v
    facts_path = d + "/facts.json"
    if not os.path.exists(facts_path):
        ok(True, "# SKIP %s: samples not generated" % d)
        continue
    facts = json.load(open(facts_path))
    rc, doc, err = check("--fail-on", "warning", d)
    fs = findings(doc)
    ok(doc is not None, "%s: check --format json gives a document" % d, err)
    ok(rc == 1, "%s: exit status 1 with warnings at --fail-on warning" % d, "rc=%d %s" % (rc, err))
    pb = facts["pinned_buffers"]
    sr = [f for f in fs if f["detector"] == "slice-retention" and f.get("site") == pb["site"]]
    ok(len(sr) == 1 and near(sr[0]["bytes"], facts["pinned_wasted_bytes"]) and sr[0]["count"] == pb["count"],
       "%s: slice-retention: %d pinned buffers, pinned_wasted_bytes, at %s" % (d, pb["count"], pb["site"]),
       json.dumps(sr)[:1500])
    fc = facts["finalizer_cycles"]
    fz = [f for f in fs if f["detector"] == "finalizer-cycle" and f["severity"] == "warning"]
    ok(len(fz) == 1 and fz[0]["count"] == fc["count"] and near(fz[0]["bytes"], fc["total_bytes"]),
       "%s: finalizer-cycle: %d leaked cycles, total_bytes" % (d, fc["count"]), json.dumps(fz)[:1500])
    dr = [f for f in fs if f["detector"] == "dominant-retainer"]
    ok(any(near(f["bytes"], pb["total_bytes"]) for f in dr),
       "%s: dominant-retainer: the pinned buffers' holder retains total_bytes" % d, json.dumps(dr)[:1500])
    # the ring, once the share threshold is lowered with --set
    rs = facts["ring_sessions"]
    rc, doc, err = check("--set", "dominant-retainer.min_share=0.01", "--set",
                         "dominant-retainer.min_bytes=0", "--fail-on", "never", d)
    ring = [f for f in findings(doc) if f["detector"] == "dominant-retainer"
            and near(f["bytes"], facts["ring_retained_bytes"])]
    ok(len(ring) == 1 and near(ring[0]["count"], rs["count"]),
       "%s: dominant-retainer --set min_share=0.01: the ring is one finding of %d" % (d, rs["count"]),
       json.dumps(ring)[:1500] + err)
    ok(rc == 0, "%s: --fail-on never exits 0" % d, "rc=%d" % rc)

# the controls: the healthy programs, the control that does what looks like
# a problem legitimately, and every real third-party server
CONTROLS = ["samples/%s/%s" % (v, n) for v in ("go1.19", "go1.23") for n in ("healthy", "control")]
CONTROLS += sorted(glob.glob("samples/thirdparty/*/"))
for d in CONTROLS:
    for pack in ("default", "ci"):
        rc, doc, err = check("--pack", pack, "--fail-on", "warning", d)
        bad = [f for f in findings(doc) if f["severity"] in ("warning", "error")]
        ok(doc is not None and not bad and rc == 0,
           "%s: no heap detector finding at warning or above (%s pack)" % (d, pack),
           json.dumps(bad)[:1500] + err)

done()
