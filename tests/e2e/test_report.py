#!/usr/bin/env python3
"""End-to-end tests of the HTML report (`heapscope report`, `check --format
html`): the page carries the same run as --format json plus each case's chart
data, checked against what the sample program made true (facts.json, its own
gctrace log, go tool pprof's output captured with it) and against the tables
heapscope -e shows; a real browser (Debian's chromium, headless) renders it
from a file URL with no console messages, one finding block per finding and
one GC timeline point per gc row, also for a case without a heap dump; a
screenshot is kept for a look.  check's text output has the live heap
sparkline.  A case holding a series (the growth program's three dumps) has a
diff view whose data is the program's planted growth and temporary garbage
and go tool pprof's own diffs; a case without one has none."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import ok, run, done  # noqa: E402
import browser  # noqa: E402

CASE = "samples/go1.23/leaky"
tmp = tempfile.mkdtemp(prefix="hs-report-")


def page_data(path):
    """The run's JSON embedded in the page (<\\/ is JSON's escape of /)."""
    html = open(path, encoding="utf-8").read()
    m = re.search(r'<script id="hs-data" type="application/json">(.*?)</script>', html, re.S)
    return html, json.loads(m.group(1)) if m else None


page = os.path.join(tmp, "report.html")
rc, out, err = run("report", "-o", page, CASE)
ok(rc == 0, "report -o FILE exits 0 (findings never fail a report)", err)
rc, jout, err = run("check", "--format", "json", "--fail-on", "never", CASE)
want = json.loads(jout)
html, got = page_data(page)
charts = [c.pop("charts", None) for c in got["cases"]] if got else []
ok(got is not None and got["cases"] == want["cases"],
   "the page embeds the cases exactly as --format json reports them, plus charts")
ok(not re.search(r'"(charts|gc_sparkline)"', jout), "--format json has no chart data")
ok(got is not None and got["summary"] == want["summary"], "and the same summary")
ok(html.count("</script>") == 2 and not re.search(r"<(link|img|iframe)\b| src=", html),
   "self-contained: two inline script elements, nothing else to fetch")
findings = want["cases"][0]["findings"]
ok(len(findings) > 0, "the sample has findings to show", jout[:500])

page2 = os.path.join(tmp, "check.html")
rc, out, err = run("check", "--format", "html", "-o", page2, CASE)
ok(rc == 1 and page_data(page2)[1]["summary"]["status"] == 1,
   "check --format html keeps check's exit status (warnings fail by default)", err)

rc, out, err = run("report", CASE)
ok(rc == 2 and "report needs -o FILE" in err, "report without -o is a usage error", err)
rc, out, err = run("report", "--format", "json", "-o", page2, CASE)
ok(rc == 2 and "html only" in err, "report --format json is a usage error", err)

# Sparkline of the live heap per GC cycle in `info` (60 bars) and `check`
# (24): the gctrace log's cycles (the program's own lines) in groups of
# ceil(cycles / bars), each bar its group's largest live heap; ▁ at the
# lowest bar, █ at the tallest.
live = [int(m.group(1)) for m in
        (re.search(r"->\d+->(\d+) MB", l) for l in open(CASE + "/gctrace.log")
         if l.startswith("gc "))
        if m]


def sparkline_ok(what, out, width):
    m = re.search(r"live heap per GC cycle (\S+) (\d+)\.\.(\d+) MB over (\d+) cycles", out)
    ok(m is not None, what + " shows the live heap per GC cycle", out[-1500:])
    if not m:
        return
    per = -(-len(live) // width)
    groups = [max(live[i:i + per]) for i in range(0, len(live), per)]
    bars = m.group(1)
    ok(int(m.group(4)) == len(live) and len(bars) == len(groups),
       "%s: %d cycles of the log in %d bars" % (what, len(live), len(groups)), m.group(0))
    ok((int(m.group(2)), int(m.group(3))) == (min(live), max(live)),
       what + ": its range is the log's smallest and largest live heap", m.group(0))
    ok(len(bars) == len(groups) and bars[groups.index(max(groups))] == "█" and
       bars[groups.index(min(groups))] == "▁",
       what + ": the largest cycle is in the tallest bar, the lowest group the lowest", bars)
    return m


rc, out, err = run("info", CASE)
sparkline_ok("info", out + err, 60)
rc, out, err = run("check", CASE)
m = sparkline_ok("check", out + err, 24)
ok(m and re.search(r"^  " + re.escape(m.group(0)) + "$", out, re.M) and len(m.group(0)) + 2 <= 80,
   "check's sparkline is a line of its own under the case, in 80 columns", out[:500])

# The chart data, against the program's own facts and heapscope's tables.
facts = json.load(open(CASE + "/facts.json"))
ch = charts[0] if charts else None
ok(ch is not None and ch.get("errors") == [], "the case has chart data, built without errors",
   json.dumps(ch)[:500])
ch = ch or {}


def hs_e(code, case=CASE):
    rc, out, err = run("-e", code, case)
    return out.strip() if rc == 0 else "error: " + err


def children(nodes, parent):
    """The nodes whose parent is the 1-based index parent, in order."""
    return [n for n in nodes if n["parent"] == parent]


dnodes = (ch.get("dominators") or {}).get("nodes") or []
top = children(dnodes, 1)
want_top = hs_e('local r = case.heap:top_retainers(1)[1] '
                'return ("%d %d %d"):format(r.addr, r.retained, r.size)')
ok(top and "%d %d %d" % (top[0]["addr"], top[0]["retained"], top[0]["size"]) == want_top,
   "the dominator tree's top node is top_retainers' first row", "%s vs %s" % (top[:1], want_top))
pinned = facts["pinned_buffers"]
first_kids = [n for n in children(dnodes, dnodes.index(top[0]) + 1) if "addr" in n] if top else []
ok(top and top[0]["retained"] >= pinned["total_bytes"] and first_kids and
   all("0x%x" % n["addr"] in pinned["addrs"] and n["size"] == pinned["size"] for n in first_kids),
   "it holds the program's %d pinned buffers: its children are they (address and size)"
   % pinned["count"], json.dumps(first_kids)[:500])
ok(dnodes and dnodes[0]["retained"] >= sum(n["retained"] for n in top),
   "the root (reachable heap) is at least the sum of its children")

gc = ch.get("gc") or {}
src = gc.get("source", "")
log = [m for m in (re.search(r"\bgc (\d+) @[\d.]+s \d+%: .*?->\d+->(\d+) MB, (\d+) MB goal", l)
                   for l in open(src, errors="replace")) if m] if src else []
pts = gc.get("points") or []
ok(len(pts) == len(log) == facts["num_gc"],
   "the GC timeline has one point per gc row of %s (%d, the program's NumGC %d)"
   % (src, len(log), facts["num_gc"]), "%d points" % len(pts))
ok([(p["num"], p["heap_live"], p["goal"]) for p in pts] ==
   [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in log],
   "each point's cycle, live heap and goal are the log line's")

ms = ch.get("memstats") or {}
series = [p for p in ms.get("points", []) if p.get("source", "").endswith("memstats.jsonl")]
ok(len(series) == facts["memstats_snapshots"] and
   len(ms.get("points", [])) == int(hs_e("return #case.memstats") or -1),
   "MemStats: one point per snapshot (%d of the program's series)" % facts["memstats_snapshots"])

fl = (ch.get("flame") or {}).get("nodes") or []
exact_top = open(CASE + "/pprof-top/heap.inuse_space.exact.txt").read()
m = re.search(r"of (\d+)B total", exact_top)
ok(fl and m and fl[0]["value"] == int(m.group(1)),
   "the flame graph's root is the heap profile's inuse_space total (go tool pprof)",
   "%s vs %s" % (fl[:1], m and m.group(0)))
heavy = [l.split()[-1] for l in exact_top.splitlines()
         if re.match(r"\s*\d+B\s+([\d.]+)%", l) and float(l.split()[1].rstrip("%")) >= 1]
names = {n["name"] for n in fl}
ok(heavy and all(f in names for f in heavy),
   "every function with 1% or more of it flat in pprof -top is in the flame graph", heavy)

rows = (ch.get("goroutines") or {}).get("rows", [])
ok(all(any(g["function"] in r["stack"].split(" < ") and r["count"] == g["count"] and
           r["created_by"] == g["created_by"] for r in rows) for g in facts["goroutines"]),
   "goroutine groups: the program's parked goroutines with their counts",
   json.dumps(facts["goroutines"])[:300])

# A case with only some evidence (no heap dump, no heap profile) renders.
part = os.path.join(tmp, "partial")
os.mkdir(part)
for f in ("gctrace.log", "memstats.jsonl", "goroutines-debug2.txt"):
    shutil.copy(os.path.join(CASE, f), part)
page3 = os.path.join(tmp, "partial.html")
rc, out, err = run("report", "-o", page3, part)
pch = page_data(page3)[1]["cases"][0].get("charts") or {} if rc == 0 else {}
ok(rc == 0 and "dominators" not in pch and "flame" not in pch and pch.get("gc") and
   pch.get("memstats") and pch.get("goroutines") and pch.get("errors") == [],
   "without a heap dump: the charts of the evidence there is, no errors",
   err + json.dumps(pch)[:300])

# The diff view: only a case holding a series has one (the leaky sample is
# one dump).  The growth program's three dumps of one process: what the
# middle one added that the last still holds is the sessions it planted at
# its growing site, its temporary buffers are garbage, never a candidate;
# the profile pairs are what go tool pprof -top -diff_base printed when the
# sample was made.
ok("diff" not in ch, "a case without a series has no diff data", json.dumps(ch.get("diff"))[:200])


def near(got, want):
    return isinstance(got, (int, float)) and abs(got - want) <= 0.1 * want


def pprof_rows(path):
    """(name, flat, cum) of a captured go tool pprof -top listing."""
    def num(x):
        return int(x.rstrip("B"))
    out = []
    for line in open(path):
        m = re.match(r"\s*(-?\d+B?)\s+\S+%\s+\S+%\s+(-?\d+B?)\s+\S+%\s+(.*?)"
                     r"( \((partial-)?inline\))?$", line.rstrip("\n"))
        if m:
            out.append((m.group(3), num(m.group(1)), num(m.group(2))))
    return out


growth_pages = {}
for v in ("go1.19", "go1.23"):
    gdir = "samples/series/%s/growth" % v
    if not os.path.exists(gdir + "/facts.json"):
        print("# SKIP %s: not generated (samples/gen-problems.sh)" % gdir)
        continue
    gf = json.load(open(gdir + "/facts.json"))
    gpage = os.path.join(tmp, "growth-%s.html" % v)
    growth_pages[v] = gpage
    rc, out, err = run("report", "-o", gpage, gdir)
    rc2, gjson, err2 = run("check", "--format", "json", "--fail-on", "never", gdir)
    gdata = page_data(gpage)[1] if rc == 0 else None
    gch = gdata["cases"][0].pop("charts", None) if gdata else None
    for gc_ in (gdata or {}).get("cases", [])[1:]:
        gc_.pop("charts", None)   # e.g. the record of the folder's files that are not evidence
    ok(gdata is not None and gdata["cases"] == json.loads(gjson)["cases"],
       v + " growth: the page's cases are --format json's, plus charts", err + err2)
    gd = (gch or {}).get("diff") or {}
    ok(gch and gch.get("errors") == [] and gd,
       v + " growth: the series case has diff data, built without errors",
       json.dumps(gch)[:500])
    dumps = [x["name"].rsplit("/", 1)[-1] for x in gd.get("dumps", [])]
    ok([d.rsplit(".xz", 1)[0] for d in dumps] == [d["dump"] for d in gf["dumps"]],
       v + " growth: base, target and final are the program's three dumps in order", dumps)
    kept, garbage = gd.get("kept") or {}, gd.get("garbage") or {}
    ok(near(kept.get("bytes"), gf["leak_candidate_bytes"]),
       v + " growth: leak candidates %s bytes, within 10%% of the planted %d"
       % (kept.get("bytes"), gf["leak_candidate_bytes"]))
    sites = gd.get("sites") or [{}]
    ok(sites[0].get("name") == gf["growth_site"] and near(sites[0].get("bytes"),
                                                          gf["growth_bytes_per_step"]),
       v + " growth: the first leak-candidate site is the planted %s with its %d bytes "
       "(within 10%%)" % (gf["growth_site"], gf["growth_bytes_per_step"]), sites[:3])
    ok(0 < sites[0].get("sampled", 0) < sites[0].get("count", 0),
       v + " growth: ... most of them estimated from the sampled ones under their holder",
       sites[:1])
    pend = gf["pending_buffers"]
    ok(all(s["name"] != pend["site"] for s in gd.get("sites", [])),
       v + " growth: the middle dump's temporary buffers (%s) are not among the leak "
       "candidates' sites" % pend["site"], gd.get("sites"))
    gsites = gd.get("garbage_sites") or [{}]
    ok(near(garbage.get("bytes"), pend["total_bytes"]) and gsites[0].get("name") == pend["site"]
       and near(gsites[0].get("bytes"), pend["total_bytes"]),
       v + " growth: they are the temporary garbage, at %s with %d bytes (within 10%%)"
       % (pend["site"], pend["total_bytes"]), (garbage, gsites[:2]))
    buf = gf["step1_session_buffers"]
    types = gd.get("types") or [{}]
    # near, not equal: a slot freed before the base dump and reused looks
    # like the same object (address, size and no bucket), so not new
    ok(near(types[0].get("count"), buf["count"]) and near(types[0].get("bytes"),
                                                          buf["total_bytes"]),
       v + " growth: the largest type of candidates is the %d session buffers (%d bytes), "
       "within 10%%" % (buf["count"], buf["total_bytes"]), types[:2])
    ses = gf["step1_sessions"]
    ret = gd.get("retainers") or [{}]
    ok(near(ret[0].get("bytes"), ses["total_bytes"] + buf["total_bytes"]) and
       ret[0].get("name", "").startswith(gf["types"][0]["addr"]),
       v + " growth: the largest holder is main.sessions' backing array %s" % gf["types"][0]["addr"],
       ret[:2])
    checked = 0
    for pr in gd.get("profiles", []):
        b, t = (x.rsplit("/", 1)[-1].split(".")[0] for x in (pr["base"], pr["target"]))
        cap = "%s/pprof-diff/%s-vs-%s.%s.txt" % (gdir, t, b, pr["sample_type"])
        if os.path.exists(cap):
            want_rows = pprof_rows(cap)[:len(pr["rows"])]
            got_rows = [(r["name"], r["flat"], r["cum"]) for r in pr["rows"]]
            ok(got_rows == want_rows and got_rows,
               "%s growth: %s -> %s %s is go tool pprof -top -diff_base's first %d rows"
               % (v, b, t, pr["sample_type"], len(got_rows)), (got_rows[:4], want_rows[:4]))
            checked += 1
    ok(checked >= 4, v + " growth: every captured pprof diff (2 pairs, 2 types) is in the view",
       checked)

# Two dumps named together are a series of two: what the second added, by
# site (the sessions and the temporary buffers); two heap profiles alone
# are a series with profile pairs only.
gdir = "samples/series/go1.23/growth"
if os.path.exists(gdir + "/facts.json"):
    gf = json.load(open(gdir + "/facts.json"))
    two = os.path.join(tmp, "two.html")
    rc, out, err = run("report", "-o", two, gdir + "/heap2.dump.xz", gdir + "/heap1.dump.xz")
    d2 = (page_data(two)[1]["cases"][0].get("charts") or {}).get("diff") or {} if rc == 0 else {}
    by = {r["name"]: r["bytes"] for r in d2.get("sites", [])}
    s1, b1, pend = gf["step1_sessions"], gf["step1_session_buffers"], gf["pending_buffers"]
    ok(len(d2.get("dumps", [])) == 2 and "kept" not in d2 and
       near(by.get(gf["growth_site"]), s1["total_bytes"] + b1["total_bytes"]) and
       near(by.get(pend["site"]), pend["total_bytes"]),
       "two dumps: the new objects by site are the step's sessions at %s and the buffers at %s"
       % (gf["growth_site"], pend["site"]), err + json.dumps(d2)[:600])
    prof_only = os.path.join(tmp, "profiles.html")
    rc, out, err = run("report", "-o", prof_only, gdir + "/heap1.pb.gz", gdir + "/heap2.pb.gz")
    pd = (page_data(prof_only)[1]["cases"][0].get("charts") or {}).get("diff") or {} \
        if rc == 0 else {}
    ok("dumps" not in pd and len(pd.get("profiles", [])) == 2,
       "two heap profiles: a diff of the pair for each byte sample type, no dumps",
       err + json.dumps(pd)[:300])
    growth_pages["profiles"] = prof_only

# check without a gctrace log: no sparkline.
rc, out, err = run("check", part + "/goroutines-debug2.txt")
ok("live heap per GC cycle" not in out, "and none without a gctrace log", out[:300])

if not browser.path():
    print("# SKIP browser tests: chromium is not installed (scripts/setup installs it)")
else:
    def chromium(*args, page=page):
        return browser.run(page, *args)

    rc, dom, err = chromium("--dump-dom")
    console = [l for l in err.splitlines() if ":CONSOLE" in l]
    ok(rc == 0 and not console, "chromium loads the page with no console messages",
       "\n".join(console) or err[-2000:])
    ok(dom.count('class="finding sev-') == len(findings),
       "the rendered page has one finding block per finding (%d)" % len(findings))
    ok(all(f["detector"] in dom for f in findings) and "case " + CASE in dom,
       "each finding's detector and the case name are on the page")
    svg = re.search(r'<svg[^>]*class="lines gc-heap".*?</svg>', dom, re.S)
    ok(svg and svg.group(0).count('class="point"') == len(log),
       "the drawn GC timeline has one point per gc row (%d)" % len(log))
    icicle = re.search(r'<svg[^>]*class="partition dominators".*?</svg>', dom, re.S)
    ok(icicle and icicle.group(0).count('class="block"') > len(top) and
       re.search(r'class="partition flame"', dom),
       "the icicle and the flame graph are drawn")
    ok('class="diff"' not in dom, "the page of a case without a series has no diff view")
    gpage = growth_pages.get("go1.23")
    if gpage:
        gd = page_data(gpage)[1]["cases"][0]["charts"]["diff"]
        js_diff = """(function () {
          function rows(cls) {
            return Array.prototype.map.call(document.querySelectorAll("table." + cls + " tbody tr"),
              function (tr) {
                var td = tr.querySelectorAll("td");
                return { name: td[0].textContent, bytes: td[2].textContent,
                         title: td[2].querySelector("span").getAttribute("title") };
              });
          }
          return { sites: rows("diff-sites"), garbage: rows("diff-garbage-sites"),
                   profiles: document.querySelectorAll("table.diff-profile").length,
                   split: document.querySelectorAll(".diff-split rect").length };
        })()"""
        vals, console = browser.evaluate(gpage, [js_diff])
        dv = vals[0] if isinstance(vals[0], dict) and "error" not in vals[0] else {}
        ok(not console and dv, "chromium renders the growth series' page with no console messages",
           (console, vals))
        s0 = (dv.get("sites") or [{}])[0]
        ok(len(dv.get("sites", [])) == len(gd["sites"]) and s0.get("name") == gd["sites"][0]["name"]
           and s0.get("title") == "%s bytes" % format(gd["sites"][0]["bytes"], ",")
           and s0.get("bytes", "").endswith("MiB"),
           "its diff view draws one row per leak-candidate site, the first %s in MiB with the "
           "exact bytes on hover" % gd["sites"][0]["name"], s0)
        ok([r["name"] for r in dv.get("garbage", [])] == [r["name"] for r in gd["garbage_sites"]]
           and dv.get("split") == 2,
           "the temporary garbage has its own table, and kept against garbage its bar",
           json.dumps(dv)[:400])
        ok(dv.get("profiles") == len([p for p in gd["profiles"] if p["rows"]]),
           "one table per profile pair that changed", dv.get("profiles"))
        if growth_pages.get("profiles"):
            rc, pdom, err = chromium("--dump-dom", page=growth_pages["profiles"])
            console = [l for l in err.splitlines() if ":CONSOLE" in l]
            ok(rc == 0 and not console and pdom.count('class="diff-table diff-profile"') == 2,
               "a series of profiles only renders its diff view with no console messages",
               "\n".join(console) or err[-1000:])
        shot = os.path.join(tmp, "growth.png")
        rc, _, err = chromium("--screenshot=" + shot, page=gpage)
        ok(rc == 0 and os.path.exists(shot), "a screenshot of the growth page", err[-1000:])
        print("# screenshot: " + shot)
    rc, pdom, err = chromium("--dump-dom", page=page3)
    console = [l for l in err.splitlines() if ":CONSOLE" in l]
    ok(rc == 0 and not console and "no heap dump with roots in this case" in pdom and
       'class="lines gc-heap"' in pdom,
       "the page of a case without a heap dump renders, and says so",
       "\n".join(console) or err[-1000:])

    # Interaction, over the DevTools protocol: click the top retainer's
    # block (node 1: the first child of the root) to zoom in, read its hover
    # text, click it again to zoom out; in the flame graph click the deepest
    # frame; hover text of the first GC point.
    CLICK = 'function click(e) { e.dispatchEvent(new MouseEvent("click", {bubbles: true})); }'
    js = """(function () {
      %s
      function state(cls) {
        var svg = document.querySelector(".partition." + cls), g = svg.querySelector(".block");
        return { node: +g.getAttribute("data-node"),
                 width: +g.querySelector("rect").getAttribute("width"),
                 title: g.querySelector("title").textContent,
                 crumbs: svg.parentNode.querySelectorAll(".crumbs a").length,
                 blocks: svg.querySelectorAll(".block").length };
      }
      var out = { before: state("dominators") };
      click(document.querySelector('.partition.dominators .block[data-node="1"]'));
      out.zoomed = state("dominators");
      click(document.querySelector(".partition.dominators .block"));
      out.back = state("dominators");
      var fl = document.querySelectorAll(".partition.flame .block");
      click(fl[fl.length - 1]);
      out.flame = state("flame");
      out.gcpoint = document.querySelector(".lines.gc-heap .point title").textContent;
      return out;
    })()""" % CLICK
    vals, console = browser.evaluate(page, [js])
    v = vals[0] if isinstance(vals[0], dict) and "error" not in vals[0] else {}
    ok(not console and v, "the page runs clicks with no console messages", (console, vals))
    z = v.get("zoomed", {})
    ok(v and v["before"]["node"] == 0 and v["before"]["crumbs"] == 1 and z["node"] == 1 and
       z["width"] >= 1098 and z["crumbs"] == 2 and z["blocks"] < v["before"]["blocks"],
       "a click on the top retainer zooms the icicle to it (full width, a breadcrumb more)",
       json.dumps(v)[:600])
    ok(top and "retained %s bytes" % format(top[0]["retained"], ",") in z.get("title", "") and
       "address 0x%x" % top[0]["addr"] in z.get("title", ""),
       "its hover text has the exact retained bytes and the address", z.get("title"))
    ok(v and v["back"]["node"] == 0 and v["back"]["crumbs"] == 1,
       "a click on the focused block zooms back out", json.dumps(v.get("back")))
    depth, i = 0, len(fl) - 1
    while fl and fl[i]["parent"]:
        depth, i = depth + 1, fl[i]["parent"] - 1
    ok(v and v["flame"]["node"] == len(fl) - 1 and v["flame"]["crumbs"] == depth + 1,
       "a click on the flame graph's last frame zooms to it, its stack in the breadcrumbs (%d)"
       % (depth + 1), json.dumps(v.get("flame")))
    first = log[0] if log else None
    ok(v and first and v["gcpoint"].startswith("gc %s @" % first.group(1)) and
       "live heap %s MB" % first.group(2) in v["gcpoint"],
       "the first GC point's hover text is the log's first cycle", v.get("gcpoint"))

    shot = os.path.join(tmp, "report.png")
    rc, _, err = chromium("--screenshot=" + shot)
    ok(rc == 0 and os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
       "chromium takes a screenshot of it", err[-2000:])
    print("# screenshot: " + shot)
done()
