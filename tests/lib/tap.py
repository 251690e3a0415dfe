"""TAP for the Python end-to-end tests: ok() prints one test line (with the
output that explains a failure), run() runs heapscope, done() prints the
plan and exits with the status prove expects.  A test does
sys.path.insert(0, "tests/lib") and imports it (tests run from the root)."""
import os
import subprocess
import sys

HS = os.environ.get("HEAPSCOPE", "build/release/heapscope")
n = 0
failed = 0


def ok(cond, name, extra=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond:
        failed += 1
        for line in str(extra).splitlines()[:30]:
            print("#   " + line)
    sys.stdout.flush()


def skip(name, why):
    """A test that cannot run here: counted, with the reason (never a silent pass)."""
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))
    sys.stdout.flush()


def run(*args, timeout=300):
    """heapscope ARGS: (exit status, stdout, stderr) as text."""
    p = subprocess.run([HS] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def done():
    print("1..%d" % n)
    sys.exit(1 if failed else 0)
