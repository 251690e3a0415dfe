#!/usr/bin/env python3
"""End-to-end: `heapscope check`'s text report in an 80-column terminal
(COLUMNS=80 stands for one): every line fits, or is one word too long to
break (a long symbol or path) after its indent; a size keeps its unit on
its line; numbers read as people write them (no 0.087999999999999995); a
directory given with a trailing slash names its cases without "//"; and
every finding's message says what to do.  Piped without COLUMNS the report
keeps one line per item for grep (TAP)."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, "tests/lib")
from tap import HS, ok, done  # noqa: E402

DIRS = [d for d in ("samples/go1.23/", "samples/thirdparty/") if os.path.isdir(d)]
if not DIRS:
    ok(True, "# SKIP no samples")
    done()


def check(width, *args):
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    if width:
        env["COLUMNS"] = str(width)
    p = subprocess.run([HS, "check", "--no-cache"] + list(args), capture_output=True, timeout=600, env=env)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


for d in DIRS:
    rc, out, err = check(80, d)
    lines = out.splitlines()
    ok(rc in (0, 1) and len(lines) > 10, "%s: a text report" % d, err)
    # a line over 80 columns holds, after its indent, a single word (or a
    # number and its unit)
    long_ = [l for l in lines if len(l) > 80 and len(re.sub(r"(\d) (B|KiB|MiB|GiB|ms)\b", r"\1_\2", l.strip()).split()) > 1]
    ok(not long_, "%s: every line fits in 80 columns or is one unbreakable word" % d, "\n".join(long_[:5]))
    orphans = [l for l in lines if re.match(r"^\s+(B|KiB|MiB|GiB|TiB|ms)\b", l)]
    ok(not orphans, "%s: no size or time split from its unit" % d, "\n".join(orphans[:5]))
    cases = [l for l in lines if l.startswith("case ")]
    ok(cases and not [l for l in cases if "//" in l], "%s: case names without a doubled slash" % d, "\n".join(cases[:5]))
    noisy = [l for l in lines if re.search(r"\d\.\d{9,}", l)]
    ok(not noisy, "%s: no float printed with all its binary digits" % d, "\n".join(noisy[:5]))
    # the continuation of a message keeps its indent
    body = [l for l in lines if l.startswith("           ") and not l.startswith("            ")]
    ok(len(body) > 10, "%s: messages wrap at the finding's indent" % d)

    rc, flat, err = check(0, d)
    ok(max(len(l) for l in flat.splitlines()) > 80 and len(flat.splitlines()) < len(lines),
       "%s: without a terminal or COLUMNS, one line per item (for grep)" % d)

    # every finding says what to do: the message names an action
    rc, js, err = check(0, "--format", "json", d)
    doc = json.loads(js)
    ACT = re.compile(r"\b(use|set|call|close|bound|reuse|keep|break|add|create|copy|clone|defer|find|free|"
                     r"lower|raise|read|stop|avoid|preallocate|give|check|allocate|delete|drop|release|"
                     r"munmap|leave|do|look|see|compare|take|run|cap|evict|collect|move|pass|limit|make sure|put|pair|"
                     r"ensure|return|remove)\b",
                     re.I)
    mute = ["%s: %s: %s" % (c["name"], f["detector"], f["title"]) for c in doc["cases"] for f in c["findings"]
            if f["severity"] != "info" and not ACT.search(f.get("message", ""))]
    ok(not mute, "%s: every warning's message says what to do" % d, "\n".join(mute[:10]))

done()
