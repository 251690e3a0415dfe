#!/usr/bin/env python3
"""End-to-end tests of `heapscope check` and `heapscope detectors` (TAP):
the engine with the small plugins of tests/plugins (the stock detectors have
tests of their own)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "tests/lib")
from tap import HS, done, ok  # noqa: E402
BASIC, BROKEN, OVERRIDE = ("tests/plugins/" + d for d in ("basic", "broken", "override"))
GC = "tests/fuzz/corpus/gctrace/go1.21.log"
STOCK = ["alloc-hotspot", "dominant-retainer", "finalizer-cycle", "gc-pause", "gc-thrash",
         "goroutine-leak", "heap-growth", "http-body-leak", "pool-misuse", "rss-gap",
         "slice-retention"]
SEV = {"info": 1, "warning": 2, "error": 3}

# Plugins from the user's own config directory must not leak into the tests.
ENV = dict(os.environ)
ENV["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hs-check-cfg-")
ENV.pop("HEAPSCOPE_PATH", None)


def run(*args, env=None):
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.run([HS] + list(args), capture_output=True, timeout=300, env=e)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def check_json(*args, env=None):
    rc, out, err = run("check", "--format", "json", *args, env=env)
    try:
        doc = json.loads(out)
    except ValueError as e:
        doc = None
        err += "\njson: %s\n%s" % (e, out[:2000])
    return rc, doc, err


def by_detector(case):
    d = {}
    for f in case["findings"]:
        d.setdefault(f["detector"], []).append(f)
    return d


# --- no detectors installed yet: a clean report that says what is absent
rc, doc, err = check_json(GC)
stock_present = [d for d in STOCK if d not in (doc or {}).get("summary", {}).get("absent", [])]
ok(doc is not None and rc in (0, 1) and len(doc["cases"]) == 1 and doc["cases"][0]["name"] == GC,
   "check --format json is one document with the case", err)
ok(doc is not None and set(doc["summary"]["absent"]) | set(stock_present) == set(STOCK)
   and all(d in err for d in doc["summary"]["absent"]),
   "detectors of the default pack that are not installed are named (json summary, stderr)", err)
ok(doc is not None and doc["cases"][0]["inputs"][0]["kind"] == "gctrace"
   and doc["cases"][0]["inputs"][0]["size"] == os.path.getsize(GC),
   "the case lists its inputs with kind and size", json.dumps(doc)[:1000] if doc else err)

# --- the broken plugins are contained, the others still run
ARGS = ["--rules", BASIC, "--rules", BROKEN, "--budget", "1e7", GC]
rc, doc, err = check_json(*ARGS)
ok(doc is not None and rc == 1, "findings at warning or above exit 1", err)
case = doc["cases"][0] if doc else {"findings": [], "detectors": []}
f = by_detector(case)
st = {d["id"]: d for d in case.get("detectors", [])}


def one(det):
    return (f.get(det) or [{}])[0]


ok(one("failing").get("severity") == "error" and "attempt to index" in one("failing").get("message", "")
   and any("failing.lua:7" in t for t in one("failing").get("evidence", {}).get("traceback", [])),
   "a failing plugin becomes an error finding with its traceback", json.dumps(f.get("failing")))
ok([x["title"] for x in f.get("failing", [])] == ["detector failed", "before the failure"],
   "its findings from before the failure are kept", json.dumps(f.get("failing")))
for det in ("runaway", "runaway-pcall"):
    x = one(det)
    ok(x.get("severity") == "error" and "budget" in x.get("title", "") and "budget" in x.get("message", "")
       and st.get(det, {}).get("status") == "error",
       "%s: the instruction budget stops it (pcall cannot swallow it)" % det, json.dumps(x))
ok(one("syntax").get("severity") == "error" and "could not be loaded" in one("syntax").get("title", "")
   and "syntax.lua:1" in one("syntax").get("message", ""),
   "a plugin that does not compile is an error finding naming its file", json.dumps(f.get("syntax")))
bad = [x for x in f.get("bad-emit", []) if x["severity"] == "error"]
ok(len(bad) == 1 and "bad-emit" in bad[0]["message"] and "severity" in bad[0]["message"]
   and "fatal" in bad[0]["message"] and any(x["title"] == "good after bad" for x in f.get("bad-emit", [])),
   "a bad severity in emit is an error finding naming the plugin; later findings still count",
   json.dumps(f.get("bad-emit")))
probes = f.get("sandbox", [])
allowed = [x["title"] for x in probes if x["message"] != "refused"]
ok(len(probes) >= 25 and not allowed,
   "the sandbox refuses every escape tried (os.execute, io.open, require os, loadstring, string.dump ...)",
   "allowed: %s; %d probes" % (allowed, len(probes)))
ok(one("tail").get("title") == "tail ran" and len(f.get("counts", [])) == 3,
   "the well-behaved plugins ran beside the broken ones", json.dumps(sorted(f)))
ok(st.get("heap-only", {}).get("status") == "skipped" and "heap" in st.get("heap-only", {}).get("reason", ""),
   "a detector whose evidence is missing is skipped with the reason", json.dumps(st.get("heap-only")))


def order_key(x):
    return (-SEV[x["severity"]], -x.get("bytes", -1), x["detector"], x["title"])


keys = [order_key(x) for x in case["findings"]]
ok(keys == sorted(keys) and case["findings"][0]["severity"] == "error",
   "findings are ordered: severity, bytes, detector, title", "\n".join(map(str, keys)))
s = doc["summary"] if doc else {}
ok(s.get("error") == sum(1 for x in case["findings"] if x["severity"] == "error")
   and s.get("findings") == len(case["findings"]) and s.get("status") == 1 and s.get("cases") == 1,
   "the summary counts the findings", json.dumps(s))
rc2, out1, _ = run("check", "--format", "json", *ARGS)
rc3, out2, _ = run("check", "--format", "json", *ARGS)
ok(out1 == out2 and rc2 == rc3, "two runs print the same bytes")

# --- the text report
rc, out, err = run("check", *ARGS)
ok(rc == 1 and "case " + GC in out and "WARNING" in out and "4.8 MiB" in out and "\033[" not in out
   and "at main.big" in out and "step=1 type=main.T" in out,
   "text: grouped by case, human sizes, evidence lines, no colour off a terminal", out)
ok(out.index("ERROR") < out.index("WARNING") < out.index("INFO"), "text: worst first", out)

# --- Ctrl-C stops the running detector; the rest still run
p = subprocess.Popen([HS, "check", "--format", "json", "--rules", BASIC, "--rules", BROKEN,
                      "--detector", "runaway", "--detector", "tail", "--budget", "1e13", GC],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
time.sleep(1.0)
p.send_signal(signal.SIGINT)
try:
    out, err = p.communicate(timeout=60)
    doc = json.loads(out.decode())
    f = by_detector(doc["cases"][0])
    ok("interrupted" in one("runaway").get("title", "") and one("tail").get("title") == "tail ran",
       "Ctrl-C interrupts a runaway detector, which becomes an error finding; the next one runs",
       out.decode() + err.decode())
except (subprocess.TimeoutExpired, ValueError) as e:
    p.kill()
    ok(False, "Ctrl-C interrupts a runaway detector", str(e))

# --- overriding by id
rc, doc, err = check_json("--rules", BASIC, "--rules", OVERRIDE, "--detector", "counts", GC)
ok(doc is not None and [x["title"] for x in doc["cases"][0]["findings"]] == ["the override ran"]
   and "counts" in err and "overrides" in err and "override/counts.lua" in err,
   "a later plugin with the same id overrides and says so on stderr", err)
hp = tempfile.mkdtemp(prefix="hs-check-path-")
shutil.copy(os.path.join(OVERRIDE, "counts.lua"), os.path.join(hp, "counts.lua"))
rc, doc, err = check_json("--detector", "counts", GC, env={"HEAPSCOPE_PATH": BASIC + ":" + hp})
ok(doc is not None and [x["title"] for x in doc["cases"][0]["findings"]] == ["the override ran"],
   "HEAPSCOPE_PATH is searched, later directories overriding", err)
cfg = os.path.join(ENV["XDG_CONFIG_HOME"], "heapscope", "plugins")
os.makedirs(cfg)
shutil.copy(os.path.join(BASIC, "tail.lua"), cfg)
open(os.path.join(cfg, ".hidden.lua"), "w").write("error('dotfiles are skipped')")
rc, out, err = run("detectors")
shutil.rmtree(cfg)
ok(rc == 0 and "tail" in out and "hidden" not in out + err,
   "the config directory is searched, dotfiles skipped", out + err)

# --- packs, --set, --fail-on
rc, doc, err = check_json("--rules", BASIC, "--pack", "mini", GC)
big = [x for x in (doc or {"cases": [{"findings": []}]})["cases"][0]["findings"] if x["title"] == "big warning"]
ok(doc is not None and big and big[0]["bytes"] == 10000000 and doc["summary"]["pack"] == "mini"
   and doc["summary"]["absent"] == ["not-installed"] and "not-installed" in err,
   "a pack sets parameters; a detector it names that is missing is skipped with a note", err)
rc, doc, err = check_json("--rules", BASIC, "--detector", "counts", "--set", "counts.scale=2K",
                          "--set", "counts.loud=true", "--set", "counts.label=files", GC)
fs = doc["cases"][0]["findings"] if doc else []
ok([x["title"] for x in fs][:2] == ["loud error", "big warning"] and fs[1]["bytes"] == 5000000 * 2048
   and any(x.get("evidence", {}).get("label") == "files" for x in fs),
   "--set overrides number (with a suffix), boolean and string parameters", json.dumps(fs)[:1500])
for bad_set, why in [("nosuch.x=1", "unknown detector"), ("counts.nosuch=1", "no parameter"),
                     ("counts.scale=abc", "number"), ("counts.loud=maybe", "true or false"),
                     ("counts", "ID.PARAM=VALUE")]:
    rc, out, err = run("check", "--rules", BASIC, "--set", bad_set, GC)
    ok(rc == 2 and why in err and out == "", "--set %s is a usage error (exit 2)" % bad_set, out + err)
rc, out, err = run("check", "--rules", BASIC, "--detector", "nosuch", GC)
ok(rc == 2 and "nosuch" in err, "an unknown --detector is a usage error", err)
rc, out, err = run("check", "--pack", "nosuch", GC)
ok(rc == 2 and "nosuch" in err and "default" in err, "an unknown pack is a usage error listing packs", err)
rc, out, err = run("check", "--rules", "/nonexistent-dir", GC)
ok(rc == 2 and "/nonexistent-dir" in err, "a --rules DIR that does not exist is a usage error", err)
rc, out, err = run("check", "--format", "yaml", GC)
ok(rc == 2 and "yaml" in err and "json" in err, "an unknown --format is a usage error", err)
for fail_on, want in [("never", 0), ("error", 0), ("warning", 1), ("info", 1)]:
    rc, out, err = run("check", "--rules", BASIC, "--detector", "counts", "--fail-on", fail_on, GC)
    ok(rc == want, "--fail-on %s with warnings exits %d" % (fail_on, want), out + err)
rc, out, err = run("check", "--rules", BASIC, "--detector", "tail", GC)
ok(rc == 0 and "1 info" in out, "only info findings exit 0", out + err)

# --- several cases, and one that cannot be loaded
tmp = tempfile.mkdtemp(prefix="hs-check-")
for name in ("b-case", "a-case"):
    os.makedirs(os.path.join(tmp, name))
    shutil.copy(GC, os.path.join(tmp, name, "gctrace.log"))
rc, doc, err = check_json("--rules", BASIC, "--detector", "tail", tmp)
names = [c["name"] for c in doc["cases"]] if doc else []
ok(len(names) == 2 and names == sorted(names) and all(c["findings"][0]["case"] == c["name"] for c in doc["cases"]),
   "one entry per case, in a fixed order; each finding names its case", json.dumps(doc)[:1000] if doc else err)
rc, doc, err = check_json("--rules", BASIC, "--detector", "tail", os.path.join(tmp, "missing.log"), GC)
ok(doc is not None and rc == 2 and doc["summary"]["case_errors"] >= 1
   and any("missing.log" in e for c in doc["cases"] for e in c["errors"]),
   "an input that cannot be loaded: exit 2, named in the case's errors", err)

# --- detectors
rc, out, err = run("detectors", "--rules", BASIC)
ok(rc == 0 and "counts" in out and "--set counts.scale=1" in out and "(number)" in out
   and "evidence: heap" in out and "default" in out and "mini" in out,
   "detectors lists ids, summaries, evidence, parameters with defaults, packs", out + err)
rc, out, err = run("--help")
ok("check" in out and "--fail-on" in out and "detectors" in out, "--help describes check", out)

shutil.rmtree(tmp)
shutil.rmtree(hp)
done()
