#!/usr/bin/env python3
"""End-to-end tests of the HTML report (`heapscope report`, `check --format
html`): the page carries the same run as --format json, and a real browser
(Debian's chromium, headless) renders it from a file URL with no console
messages, one finding block per finding; a screenshot is kept for a look."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import ok, run, done  # noqa: E402

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
ok(got is not None and got["cases"] == want["cases"],
   "the page embeds the cases exactly as --format json reports them")
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

# Sparkline of the live heap per GC cycle in `info`: the gctrace log's own
# cycles, at most 60 bars (more cycles are taken in equal groups, each bar
# its group's largest live heap), ▁ at the smallest and █ at the largest.
live = [int(m.group(1)) for m in
        (re.search(r"->\d+->(\d+) MB", l) for l in open(CASE + "/gctrace.log") if l.startswith("gc "))
        if m]
per = -(-len(live) // 60)
groups = [max(live[i:i + per]) for i in range(0, len(live), per)]
rc, out, err = run("info", CASE)
m = re.search(r"live heap per GC cycle (\S+) (\d+)\.\.(\d+) MB over (\d+) cycles", out)
ok(rc == 0 and m is not None, "info shows the live heap per GC cycle", out[-1500:] + err)
if m:
    bars = m.group(1)
    ok(int(m.group(4)) == len(live) and len(bars) == len(groups),
       "one bar per GC cycle of the log (%d), or per group of %d" % (len(live), per), m.group(0))
    ok((int(m.group(2)), int(m.group(3))) == (min(live), max(live)),
       "its range is the log's smallest and largest live heap", m.group(0))
    ok(len(bars) == len(groups) and bars[groups.index(max(groups))] == "█"
       and bars[groups.index(min(groups))] == "▁",
       "the largest cycle is the tallest bar, the smallest the lowest", bars)

browser = shutil.which("chromium")
if not browser:
    print("# SKIP browser tests: chromium is not installed (scripts/setup installs it)")
else:
    def chromium(*args):
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--user-data-dir=" + tempfile.mkdtemp(dir=tmp),
               "--enable-logging=stderr", "--v=0", "--window-size=1200,1400"]
        p = subprocess.run(cmd + list(args) + ["file://" + os.path.abspath(page)],
                           capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    rc, dom, err = chromium("--dump-dom")
    console = [l for l in err.splitlines() if ":CONSOLE" in l]
    ok(rc == 0 and not console, "chromium loads the page with no console messages",
       "\n".join(console) or err[-2000:])
    ok(dom.count('class="finding sev-') == len(findings),
       "the rendered page has one finding block per finding (%d)" % len(findings))
    ok(all(f["detector"] in dom for f in findings) and "case " + CASE in dom,
       "each finding's detector and the case name are on the page")
    shot = os.path.join(tmp, "report.png")
    rc, _, err = chromium("--screenshot=" + shot)
    ok(rc == 0 and os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
       "chromium takes a screenshot of it", err[-2000:])
    print("# screenshot: " + shot)
done()
