#!/usr/bin/env python3
"""End-to-end: every detector on the weakest evidence it claims, as a user
with only some files would run it.  Each subset of a sample's files is
copied into a case of its own (one temporary directory of subdirectories,
one `heapscope check` run) and judged against the program's facts.json:
the weaker input finds what it can see with the same site and size, and
says less, never something wrong -- no claim it cannot back (no bytes
from a goroutine dump, no cycle from a stack) and, on the controls, nothing
at warning or above from any one of their files alone (TAP)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import HS, ok, done  # noqa: E402

ENV = dict(os.environ)
ENV["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hs-check-weak-")
ENV.pop("HEAPSCOPE_PATH", None)


def near(got, want):
    return isinstance(got, (int, float)) and abs(got - want) <= 0.10 * want


def check(cases, *args):
    """cases: {name: [paths]} -> {name: [findings]} from one check run."""
    tmp = tempfile.mkdtemp(prefix="hs-weak-")
    try:
        for name, paths in cases.items():
            os.mkdir(os.path.join(tmp, name))
            for p in paths:
                shutil.copy(p, os.path.join(tmp, name))
        p = subprocess.run([HS, "check", "--no-cache", "--format", "json", "--fail-on", "never"] + list(args) + [tmp],
                           capture_output=True, timeout=600, env=ENV)
        doc = json.loads(p.stdout.decode(errors="replace"))
        return {os.path.basename(c["name"].rstrip("/")): c["findings"] for c in doc["cases"]}
    finally:
        shutil.rmtree(tmp)


def of(fs, det, sev=None):
    return [f for f in fs if f["detector"] == det and (sev is None or f["severity"] == sev)]


def show(fs):
    return json.dumps([{k: f.get(k) for k in ("detector", "severity", "site", "count", "bytes", "title")} for f in fs])[:2000]


# ---- planted problems, weaker evidence ----------------------------------------
SUBSETS = {
    "finalizer-dump": ("finalizer", ["heap.dump.xz"]),
    "finalizer-debug1": ("finalizer", ["goroutines-debug1.txt"]),
    "finalizer-debug2": ("finalizer", ["goroutines-debug2.txt"]),
    "slice-dump": ("slice", ["heap.dump.xz"]),
    "retain-dump": ("retain", ["heap.dump.xz"]),
    "retain-profile": ("retain", ["heap.pb.gz"]),
    "leaky-profile": ("leaky", ["heap.pb.gz"]),
    "goroutines-profile": ("goroutines", ["goroutine.pb.gz"]),
    "goroutines-debug2": ("goroutines", ["goroutines-debug2.txt"]),
    "rssgap-proc": ("rssgap", ["status", "smaps_rollup"]),
    "rssgap-memstats": ("rssgap", ["memstats.json", "status", "smaps_rollup"]),
    "gcthrash-gctrace": ("gcthrash", ["gctrace.log"]),
    "allochot-heaptext": ("allochot", ["heap-debug1.txt"]),
    "pool-allocs": ("pool", ["allocs.pb.gz"]),
}

for v in ("go1.19", "go1.23"):
    cases, facts = {}, {}
    for name, (prog, files) in SUBSETS.items():
        d = "samples/%s/%s" % (v, prog)
        paths = [os.path.join(d, f) for f in files]
        if all(os.path.exists(p) for p in paths) and os.path.exists(d + "/facts.json"):
            cases[name] = paths
            facts[prog] = json.load(open(d + "/facts.json"))
    if not cases:
        ok(True, "# SKIP %s: samples not generated" % v)
        continue
    got = check(cases)

    def case(name):
        return got.get(name) if name in cases else None

    fs = case("finalizer-dump")
    if fs is not None:
        f = facts["finalizer"]
        cyc = [x for x in of(fs, "finalizer-cycle", "warning") if x.get("bytes")]
        ok(near(sum(x["count"] for x in cyc), f["handle_cycles"]["count"] + f["pair_cycles"]["count"])
           and near(sum(x["bytes"] for x in cyc), f["cycle_bytes"]),
           "%s finalizer, heap dump alone: the cycles of handle_cycles and pair_cycles, cycle_bytes" % v, show(fs))
        ok(any(x.get("site") == f["blocking_finalizer"] for x in of(fs, "finalizer-cycle", "warning")),
           "%s finalizer, heap dump alone: the finalizer goroutine stuck in %s" % (v, f["blocking_finalizer"]), show(fs))
    fs = case("finalizer-debug1")
    if fs is not None:
        f = facts["finalizer"]
        ok(len(fs) == 1 and fs[0]["detector"] == "finalizer-cycle" and fs[0]["severity"] == "warning"
           and fs[0].get("site") == f["blocking_finalizer"] and not fs[0].get("bytes"),
           "%s finalizer, debug=1 dump alone: only the stuck finalizer, no cycles or bytes claimed" % v, show(fs))
    fs = case("finalizer-debug2")
    if fs is not None:
        # debug=2 hides runtime.runfinq: the goroutine cannot be told apart
        # from any other, so nothing is said about finalizers
        ok(not of(fs, "finalizer-cycle") and not [x for x in fs if x["severity"] != "info"],
           "%s finalizer, debug=2 dump alone: says nothing it cannot see" % v, show(fs))

    fs = case("slice-dump")
    if fs is not None:
        f = facts["slice"]
        for key, waste in (("byte_slices", "byte_slices_wasted_bytes"), ("strings", "strings_wasted_bytes")):
            hit = [x for x in of(fs, "slice-retention") if near(x["bytes"], f[waste]) and near(x["count"], f[key]["count"])]
            ok(len(hit) == 1 and hit[0].get("site") in (f[key]["site"], None),
               "%s slice, heap dump alone: %s, count and %s" % (v, key, waste), show(fs))

    fs = case("retain-dump")
    if fs is not None:
        f = facts["retain"]
        for shape in ("ring", "list", "tree"):
            nodes, ret = f[shape + "_nodes"], f[shape + "_retained_bytes"]
            hit = [x for x in of(fs, "dominant-retainer") if near(x["bytes"], ret) and near(x["count"], nodes["count"])]
            ok(len(hit) == 1, "%s retain, heap dump alone: the %s, %d nodes retaining %s_retained_bytes"
               % (v, shape, nodes["count"], shape), show(fs))
    fs = case("retain-profile")
    if fs is not None:
        # a heap profile has sites, not references: no retainer, no slice claim
        ok(not of(fs, "dominant-retainer") and not of(fs, "slice-retention") and not of(fs, "finalizer-cycle"),
           "%s retain, heap profile without a dump: no claim about what holds what" % v, show(fs))
    fs = case("leaky-profile")
    if fs is not None:
        f = facts["leaky"]
        hot = [x for x in of(fs, "alloc-hotspot") if x.get("site") == f["churn_function"]]
        ok(len(hot) == 1 and near(hot[0]["bytes"], f["churn_bytes"]) and not of(fs, "dominant-retainer")
           and not of(fs, "slice-retention"),
           "%s leaky, heap profile without a dump: %s allocating churn_bytes, no retention claims" % (v, f["churn_function"]),
           show(fs))

    for name, sev in (("goroutines-profile", "info"), ("goroutines-debug2", "warning")):
        fs = case(name)
        if fs is None:
            continue
        f = facts["goroutines"]
        for g in f["goroutines"]:
            hit = [x for x in of(fs, "goroutine-leak") if x.get("site") == g["site"]]
            # a profile has no waits: the group is info; debug=2 shows
            # hold_seconds of waiting: a warning.  Neither holds a heap dump,
            # so neither claims memory beyond 2 KiB of stack per goroutine
            ok(len(hit) == 1 and hit[0]["count"] == g["count"] and hit[0]["severity"] == sev
               and "retained_bytes" not in hit[0]["evidence"] and hit[0]["bytes"] == 2048 * g["count"],
               "%s goroutines, %s alone: %d in %s, %s, no memory claimed" % (v, name, g["count"], g["site"], sev),
               show(fs))

    fs = case("rssgap-proc")
    if fs is not None:
        ok(not of(fs, "rss-gap", "warning") and not of(fs, "rss-gap", "error"),
           "%s rssgap, /proc alone: without the Go heap's size no gap is claimed" % v, show(fs))
    fs = case("rssgap-memstats")
    if fs is not None:
        f = facts["rssgap"]
        gap = of(fs, "rss-gap", "warning")
        ok(len(gap) == 1 and near(gap[0]["bytes"], f["mmap_bytes"]),
           "%s rssgap, MemStats and /proc: the gap of mmap_bytes outside the Go heap" % v, show(fs))

    fs = case("gcthrash-gctrace")
    if fs is not None:
        th = of(fs, "gc-thrash", "warning")
        ok(len(th) == 1, "%s gcthrash, gctrace alone: GC thrashing" % v, show(fs))

    fs = case("allochot-heaptext")
    if fs is not None:
        s = facts["allochot"]["sites"][0]
        hot = [x for x in of(fs, "alloc-hotspot") if x.get("site") == s["function"]]
        ok(len(hot) == 1 and near(hot[0]["bytes"], s["bytes"]),
           "%s allochot, debug=1 heap text alone: %s allocating its bytes" % (v, s["function"]), show(fs))

    fs = case("pool-allocs")
    if fs is not None:
        f = facts["pool"]
        pm = [x for x in of(fs, "pool-misuse") if x["evidence"].get("new_function") == f["churn_new_function"]]
        ok(len(pm) == 1 and pm[0].get("site") == f["churn_site"] and not [x for x in of(fs, "pool-misuse")
                                                                       if "referenced" in x["title"]],
           "%s pool, allocs profile alone: New %s below Get at %s, no alias claims" % (v, f["churn_new_function"],
                                                                                    f["churn_site"]), show(fs))

# ---- controls: any one file alone says nothing at warning -----------------------
CONTROLS = ["samples/%s/%s" % (v, n) for v in ("go1.19", "go1.23") for n in ("healthy", "control")]
CONTROLS += sorted(d.rstrip("/") for d in glob.glob("samples/thirdparty/*/"))
cases = {}
for d in CONTROLS:
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        p = os.path.join(d, f)
        # not the index files heapscope writes beside a dump (left by other tests):
        # they are no control's evidence, and alone they make no case
        if os.path.isfile(p) and f not in ("facts.json", "VERSION.txt") and ".bin" not in f \
                and not f.endswith(".hsidx"):
            cases[d.replace("/", "-") + "--" + f] = [p]
if cases:
    for pack in ("default", "ci"):
        got = check(cases, "--pack", pack)
        bad = ["%s: %s %s" % (n, x["detector"], x["title"]) for n, fs in sorted(got.items()) for x in fs
               if x["severity"] in ("warning", "error")]
        ok(len(got) == len(cases) and not bad,
           "controls, each of %d files alone (%s pack): nothing at warning or above" % (len(cases), pack), "\n".join(bad))
else:
    ok(True, "# SKIP no control samples")

done()
