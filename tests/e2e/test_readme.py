#!/usr/bin/env python3
"""Every heapscope command README.md shows runs as shown (TAP).

The shell lines of its ```sh blocks that call build/release/heapscope run
with the binary under test, from the project root, with HEAPSCOPE_NO_INDEX
set so no index file is written next to the samples; each must exit 0 and
print something (a `check` may exit 1: it found something).  (The Lua examples of its ```lua block are run by
tests/lua/help_examples.lua.)
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
HS = os.environ.get("HEAPSCOPE") or os.path.join(ROOT, "build", "release", "heapscope")


def main():
    if not os.access(HS, os.X_OK):
        print("1..0 # SKIP no heapscope binary at %s" % HS)
        return 0
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            cmd = re.sub(r"\s{2,}# .*$", "", line).strip()
            if "build/release/heapscope" in cmd:
                lines.append(cmd)
    n = failed = 0
    env = dict(os.environ, HEAPSCOPE_NO_INDEX="1")
    for cmd in lines:
        n += 1
        run = cmd.replace("build/release/heapscope", "'%s'" % HS)
        p = subprocess.run(["sh", "-c", run], cwd=ROOT, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=120, env=env)
        # check exits 1 when it finds something at or above --fail-on: the
        # README's example over the leaky samples is meant to
        codes = (0, 1) if re.search(r"heapscope'? check ", run) else (0,)
        good = p.returncode in codes and p.stdout.strip() != b""
        print(("ok" if good else "not ok") + " %d - README: %s" % (n, cmd))
        if not good:
            failed += 1
            print("#   status %d; stderr: %s" % (p.returncode, p.stderr.decode(errors="replace")[-500:]))
    n += 1
    print(("ok" if len(lines) >= 5 else "not ok") + " %d - README shows %d heapscope commands" % (n, len(lines)))
    print("1..%d" % n)
    return 1 if failed or len(lines) < 5 else 0


if __name__ == "__main__":
    sys.exit(main())
