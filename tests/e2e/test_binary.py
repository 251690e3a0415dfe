#!/usr/bin/env python3
"""The program's binary from the command line (TAP): --binary FILE names the
dump's objects; a binary from another build is refused with exit status 2
and a message saying why; a stripped binary (objcopy --strip-all: no DWARF,
no symbol table) still names what malloc headers point at, and `info` says
what each binary provided.  Facts come from samples/*/facts.json."""
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, "tests/lib")
from tap import ok, done, run as hs  # noqa: E402


def run(*args):
    return hs("--no-cache", *args)


case = "samples/go1.23/leaky"
binary = case + "/leaky.bin.xz"
other = "samples/mismatch/leaky-go1.22.bin.xz"
if not os.path.exists(binary) or not os.path.exists(other):
    print("1..0 # SKIP no committed sample binaries (%s, %s)" % (binary, other))
    sys.exit(0)
facts = json.load(open(case + "/facts.json"))
dump = case + "/heap.dump.xz"
big = [t for t in facts["types"] if t["type"] == "main.Big"][0]
session = [t for t in facts["types"] if t["type"] == "main.Session"][0]
probe = "return case.heap:object(%s).type, case.heap:object(%s).type" % (big["addr"], session["addr"])

rc, out, err = run("--binary", binary, "-e", probe, dump)
ok(rc == 0 and out.split() == ["main.Big", "main.Session"],
   "--binary names a header-typed and a DWARF-typed object as facts.json says", out + err)

rc, out, err = run("--binary", other, "-e", probe, dump)
ok(rc == 2 and "not the binary that wrote" in err and "leaky-go1.22" in err and "go1.22" in err,
   "a binary of another build is refused: exit 2, the message names it and says why", out + err)
ok(out.split() == ["nil", "nil"], "... and nothing is named from it", out)

rc, out, err = run("--binary", "samples/go1.23/leaky/facts.json", "-e", "return 1", dump)
ok(rc == 2 and "facts.json" in err and "ELF" in err, "--binary with a file that is no ELF says so", err)

tmp = tempfile.mkdtemp(prefix="hs-e2e-bin-")
try:
    plain = os.path.join(tmp, "leaky")
    with open(plain, "wb") as f:
        f.write(lzma.open(binary).read())
    stripped = os.path.join(tmp, "leaky-stripped")
    objcopy = shutil.which("objcopy")
    if not objcopy:
        ok(True, "# SKIP objcopy (binutils) not installed: no stripped binary")
    else:
        subprocess.run([objcopy, "--strip-all", plain, stripped], check=True)
        rc, out, err = run("--binary", stripped, "-e", probe, dump)
        ok(rc == 0 and out.split() == ["main.Big", "nil"],
           "stripped: the malloc header's type is named, the rest stays unnamed (never guessed)", out + err)
        rc, out, err = run("info", "--binary", stripped, dump)
        ok(rc == 0 and "binary %s heapscope/samples/leaky: runtime type descriptors" % facts["go_version"] in out,
           "info says the stripped binary gave only runtime type descriptors", out + err)
    rc, out, err = run("info", "--binary", plain, dump)
    ok(rc == 0 and "DWARF (types, globals, inlined frames), symbols, runtime type descriptors" in out
       and "binary named" in out, "info says what the full binary gave and how much it named", out + err)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

done()
