#!/usr/bin/env python3
"""The REPL as a person uses it: heapscope under a real pseudo-terminal (TAP).

Python 3 stdlib only (pty, os, select).  Every read has a timeout and an
overall alarm ends the test after 180 s, so it never hangs.  HOME is a fresh
temporary directory per session, so the history file is the test's own.
"""
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HS = os.environ.get("HEAPSCOPE") or os.path.join(HERE, "..", "..", "build", "release", "heapscope")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\x07")

n = 0
failed = 0
children = []
tmpdirs = []


def ok(cond, name, extra=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond:
        failed += 1
        for line in str(extra).splitlines()[-30:]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def on_alarm(sig, frame):
    print("Bail out! the REPL test ran for 60 s; a read is stuck")
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    sys.stdout.flush()
    os._exit(1)


class Session:
    """heapscope on the slave side of a pty; we hold the master."""

    def __init__(self, home, env=None, cols=80, args=()):
        e = dict(os.environ, HOME=home, TERM="dumb")
        e.pop("XDG_STATE_HOME", None)
        e.update(env or {})
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(HS, [HS] + list(args), e)
            finally:
                os._exit(127)
        children.append(self.pid)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        self.buf = b""    # everything read, escapes removed, \r dropped
        self.pos = 0      # expect() looks at buf[pos:]
        self.status = None

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:          # EIO: the child closed the terminal
            data = b""
        if not data:
            return False
        self.buf += ANSI.sub(b"", data).replace(b"\r", b"")
        return True

    def expect(self, pattern, timeout=30):
        """Wait for a regex (bytes) after the last match; returns the match or None."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = end - time.time()
            if left <= 0 or not self._read(min(left, 0.2)):
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                return m

    def send(self, data):
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def recent(self):
        return self.buf[max(0, self.pos - 200):].decode(errors="replace")

    def wait(self, timeout=30):
        """The exit status (an int; -SIG if killed), or None after timeout."""
        end = time.time() + timeout
        while time.time() < end:
            self._read(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                children.remove(self.pid)
                os.close(self.fd)
                return self.status
        return None

    def kill(self):
        if self.pid in children:
            os.kill(self.pid, signal.SIGKILL)
            self.wait(5)


def history_entries(path):
    """Entries of a readline history file written with timestamps: each
    entry follows a '#<seconds>' line and may span several lines."""
    entries = []
    with open(path) as f:
        for line in f.read().split("\n"):
            if re.fullmatch(r"#\d+", line):
                entries.append([])
            elif entries:
                entries[-1].append(line)
            elif line:
                entries.append([line])
    return ["\n".join(e).rstrip("\n") for e in entries]


def mkhome():
    d = tempfile.mkdtemp(prefix="hs-repl-")
    tmpdirs.append(d)
    return d


PROMPT = rb"hs> "


def investigate(home):
    """From "it is using memory" to the planted ring and its allocation, as
    a user would type it, checked against the program's facts.json."""
    import json
    root = os.path.join(HERE, "..", "..")
    case = os.path.join(root, "samples", "go1.23", "leaky")
    facts_path = os.path.join(case, "facts.json")
    if not os.path.exists(facts_path):
        ok(True, "# SKIP no samples/go1.23/leaky")
        return
    with open(facts_path) as f:
        facts = json.load(f)
    ring = facts["ring_sessions"]
    s = Session(home, cols=120, args=["--no-cache", case])
    ok(s.expect(rb"heap dump .*objects(.|\n)*?goroutines(.|\n)*?overview\(\) shows more(.|\n)*?" + PROMPT),
       "the first screen is a short overview of the case", s.recent())

    def step(line, want, name):
        s.send(line + "\n")
        return ok(s.expect(want + rb"(.|\n)*?\n" + PROMPT, 30), name, s.recent())

    step("overview()", rb"top retainers(.|\n)*?chain of %d\]" % ring["count"],
         "overview() shows the ring collapsed to one line")
    step("top = case.heap:top_retainers(5)", rb"", "the top retainers")
    step("for i = 1, #top do if top[i].chain > 1 then r = top[i] end end", rb"", "find the chain")
    step("r.addr == %s" % ring["first_addr"], rb"\ntrue", "the chain's row is the ring's head")
    step("r:dominated(2)", rb"\n  1  0x[0-9a-f]+ \(48 B(.|\n)*?\n  2  0x", "a row is an object: row:dominated()")
    step("case.heap:tree(r)", rb"\[chain of %d, to 0x" % ring["count"], "the tree collapses the ring")
    step("el = case.heap:object(%s)" % facts["ring_element_addr"], rb"", "take element 500")
    s.send("el:path()\n")
    m = s.expect(rb"\nroot  global [^\n]*\n((  [^\n]*\n)+)" + PROMPT, 30)
    steps = m.group(1).decode().count("\n") if m else 0
    ok(steps == facts["ring_element_index"] + 1, "el:path() prints one step per line from the ring's global",
       "%d steps; %s" % (steps, s.recent()))
    step("el:word(8)", rb"\n%d" % facts["ring_element_index"], "o:word reads the Session's id exactly")
    step("el:word(3)", rb"not a multiple of the pointer size", "a misaligned word says why")
    step("case:goroutine_stacks():head(1)", rb"\n\s+%d\s+chan receive(.|\n)*?main\.leakyWorker"
         % facts["goroutines"][0]["count"], "goroutines grouped by stack: the planted leak first")
    step("case.heap.objects", rb"", "the session goes on")
    s.send("\x04")
    ok(s.wait() == 0, "the investigation ends with Ctrl-D", s.recent())


def main():
    if not os.access(HS, os.X_OK):
        print("1..0 # SKIP no heapscope binary at %s (build it with scons)" % HS)
        return 0
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(180)

    # ---------------------------------------------------------------- session 1
    home = mkhome()
    s = Session(home)
    ok(s.expect(PROMPT), "the prompt appears", s.recent())
    chunks = []

    def run(line, want, name, timeout=30):
        s.send(line + "\n")
        chunks.append(line)
        return ok(s.expect(want + rb"\n" + PROMPT, timeout), name, s.recent())

    run("1+1", rb"\n2", "1+1 prints 2")

    s.send("for i=1,3 do\n")
    c1 = s.expect(rb"\.\.> ")
    s.send("print(i)\n")
    c2 = s.expect(rb"\.\.> ")
    s.send("end\n")
    chunks.append("for i=1,3 do\nprint(i)\nend")
    ok(c1 and c2 and s.expect(rb"end\n1\n2\n3\n" + PROMPT),
       "a multi-line for loop runs after ..> continuation prompts", s.recent())

    s.send("string.fo\t")
    ok(s.expect(rb"string\.format"), "Tab completes string.fo to string.format", s.recent())
    s.send('("%d", 42)\n')
    chunks.append('string.format("%d", 42)')
    ok(s.expect(rb"\n42\n" + PROMPT), "the completed line runs", s.recent())

    s.send("hs.lo\t")
    s.expect(rb"hs\.lo")
    s.send(" == hs.load\n")
    chunks.append("hs.load == hs.load")
    ok(s.expect(rb"\ntrue\n" + PROMPT), "Tab completes hs.lo to hs.load", s.recent())

    run('tt = hs.table_from("x", {{"heap_end", "u64", "bytes"}, {"num", "u32"}}, {{1, 2}})',
        rb"", "a table is made")
    s.send('#tt:sort("hea\t')               # readline closes the string too
    s.expect(rb'heap_end"')
    s.send(')\n')
    chunks.append('#tt:sort("heap_end")')
    ok(s.expect(rb"\n1\n" + PROMPT), "Tab completes a column name in a string argument", s.recent())

    s.send("hs.loa\t")
    ok(s.expect(rb"hs\.load\s+hs\.loaders\s*\n" + PROMPT + rb"hs\.load"),
       "an ambiguous Tab lists the candidates and keeps the common prefix", s.recent())
    s.send("\x03")
    ok(s.expect(rb"\n" + PROMPT), "Ctrl-C at the prompt gives a fresh prompt", s.recent())

    run("21*2", rb"\n42", "21*2 prints 42")
    run("_ + 1", rb"\n43", "_ holds the last result")
    run("1, 'two', nil", rb"\n1\ttwo\tnil", "several results are tab-separated")

    s.send("(function() error('boom') end)()\n")
    chunks.append("(function() error('boom') end)()")
    ok(s.expect(rb"stdin:1: boom\r?\n" + PROMPT), "an error prints the user's line", s.recent())
    s.send("local function f() error('deep') end local function g() f() end g()\n")
    chunks.append("local function f() error('deep') end local function g() f() end g()")
    ok(s.expect(rb"deep\r?\nstack traceback \(your code\):\r?\n\t[^\n]*in function 'g'"
                rb"(.|\n)*?in main chunk\r?\n" + PROMPT),
       "an error in nested functions prints the user's frames, not heapscope's", s.recent())
    run("2+2", rb"\n4", "the session goes on after an error")

    s.send("x = = 1\n")
    chunks.append("x = = 1")
    ok(s.expect(rb"unexpected symbol(.|\n)*?" + PROMPT), "a syntax error is reported", s.recent())

    s.send("garbage that is not run\x03")
    ok(s.expect(PROMPT), "Ctrl-C clears a half-typed line", s.recent())
    run("3+4", rb"\n7", "the cleared line is gone")

    s.send("for j=1,2 do\n")
    s.expect(rb"\.\.> ")
    s.send("\x03")
    ok(s.expect(PROMPT), "Ctrl-C at ..> drops the unfinished chunk", s.recent())
    run("5+6", rb"\n11", "back at the first prompt")

    s.send("while true do local x = tostring({}) end\n")
    chunks.append("while true do local x = tostring({}) end")
    time.sleep(0.5)
    s.send("\x03")
    ok(s.expect(rb"interrupted(.|\n)*?" + PROMPT), "Ctrl-C stops a running loop that calls a function",
       s.recent())
    run("5+5", rb"\n10", "the session goes on after Ctrl-C")

    run("help()", rb"overview\(\)(.|\n)*?hs\.load(.|\n)*?case\.gc(.|\n)*?t:where(.|\n)*?Ctrl-D leaves(.|\n)*?says more\.",
        "help() lists the API")
    run('"hist" .. "ory"', rb"\nhistory", "the last chunk")

    s.send("\x04")
    st = s.wait()
    ok(st == 0, "Ctrl-D leaves with status 0", "status %r; %s" % (st, s.recent()))
    hist = os.path.join(home, ".heapscope_history")
    entries = history_entries(hist) if os.path.exists(hist) else []
    ok(entries == chunks, "the history file has one entry per chunk, a multi-line chunk as one",
       "got:  %r\nwant: %r" % (entries, chunks))
    if os.path.exists(hist):
        ok(os.stat(hist).st_mode & 0o077 == 0, "the history file is private (0600)")

    # ---------------------------------------------------------------- history comes back
    s = Session(home)
    s.expect(PROMPT)
    s.send("\x1b[A")                      # Up: the last chunk
    s.send("\n")
    ok(s.expect(rb"\nhistory\n" + PROMPT), "the history is loaded at start (Up + Enter)", s.recent())
    # Up x6: the chunk just run, then "hist", help(), 5+5, the loop, 5+6
    s.send("\x1b[A" * 6)
    s.send("\n")
    ok(s.expect(rb"\n11\n" + PROMPT), "older entries are there too, in order", s.recent())
    s.send("\x04")
    s.wait()

    # ---------------------------------------------------------------- a compiled loop
    home2 = mkhome()
    s = Session(home2)
    s.expect(PROMPT)
    loop = "x = 0 while true do x = x + 1 end"
    s.send(loop + "\n")
    time.sleep(0.5)
    s.send("\x03")
    time.sleep(0.5)
    s.send("\x03")
    said = s.expect(rb"second Ctrl-C")
    st = s.wait()
    ok(st == 130, "two Ctrl-C end a compiled loop with status 130", "status %r; %s" % (st, s.recent()))
    ok(said, "... and say why", s.recent())
    hist = os.path.join(home2, ".heapscope_history")
    entries = history_entries(hist) if os.path.exists(hist) else []
    ok(entries == [loop], "... and the history has the chunk", repr(entries))
    if st is None:
        s.kill()

    # ---------------------------------------------------------------- Ctrl-C inside C code
    # One Ctrl-C while the object graph is built (C code, no Lua hook can
    # run) stops it at its next checkpoint and the REPL comes back; the
    # graph is then built in full by the next call.  A synthetic heap from
    # the benchmarks' gendump (built beside the tests) makes the build last.
    gendump = os.path.join(os.path.dirname(HS), "tests", "bench", "gendump")
    name = "one Ctrl-C inside the graph build returns to the prompt"
    if not os.access(gendump, os.X_OK):
        print("ok %d - %s # SKIP no %s (scons check builds it)" % (n + 1, name, gendump))
        globals()["n"] += 1
    else:
        home4 = mkhome()
        dump = os.path.join(home4, "big.dump")
        subprocess.run([gendump, dump, "1500000", "go1.23.5"], check=True, stderr=subprocess.DEVNULL)
        s = Session(home4, args=("--no-cache", dump))
        s.expect(PROMPT, timeout=60)
        s.send("#case.heap:top_retainers(1)\n")
        # Ctrl-C only once the line is accepted (readline echoes its end):
        # one sent while readline still holds the line (a loaded machine
        # that has not read it yet) cancels the line, not the build.
        s.expect(rb"top_retainers\(1\)\r?\n", timeout=60)
        time.sleep(0.1)
        s.send("\x03")
        ok(s.expect(rb"interrupted \(Ctrl-C\)(.|\n)*?" + PROMPT, timeout=60), name, s.recent())
        ok(b"error in error handling" not in s.buf, "... without 'error in error handling'", s.recent())
        s.send("#case.heap:top_retainers(1)\n")
        ok(s.expect(rb"\n1\n" + PROMPT, timeout=60), "... and the next call builds the graph", s.recent())
        s.send("\x04")
        st = s.wait()
        ok(st == 0, "... and Ctrl-D leaves with status 0", "status %r; %s" % (st, s.recent()))
        if st is None:
            s.kill()
        os.unlink(dump)

    # ---------------------------------------------------------------- XDG_STATE_HOME
    home3 = mkhome()
    state = os.path.join(home3, "state")
    s = Session(home3, {"XDG_STATE_HOME": state})
    s.expect(PROMPT)
    s.send("6*7\n")
    s.expect(rb"\n42\n")
    s.send("os.exit(0)\n")
    st = s.wait()
    xh = os.path.join(state, "heapscope", "history")
    ok(st == 0 and os.path.exists(xh) and history_entries(xh) == ["6*7", "os.exit(0)"],
       "with XDG_STATE_HOME the history is $XDG_STATE_HOME/heapscope/history, saved by os.exit",
       "status %r; exists %r" % (st, os.path.exists(xh)))

    # ---------------------------------------------------------------- the history is bounded
    home4 = mkhome()
    hist = os.path.join(home4, ".heapscope_history")
    with open(hist, "w") as f:
        for i in range(1100):
            f.write("#%d\nreturn %d\n" % (1700000000 + i, i))
    s = Session(home4)
    s.expect(PROMPT)
    s.send("'last'\n")
    s.expect(rb"\nlast\n" + PROMPT)  # ^D typed before the prompt may be flushed by readline
    s.send("\x04")
    s.wait()
    entries = history_entries(hist)
    want = ["return %d" % i for i in range(101, 1100)] + ["'last'"]
    ok(entries == want, "the history file keeps the last 1000 entries",
       "%d entries, first %r, last %r" % (len(entries), entries[:1], entries[-1:]))

    # ---------------------------------------------------------------- terminal width
    s = Session(home3, cols=60)
    s.expect(PROMPT)
    s.send('w = {} for i = 1, 30 do w[i] = {("function.name.%d"):rep(3):format(i, i, i), '
           'i * 1048576 * 41.9, i, i * 7, i * 11, i * 13, i * 17, i * 19} end\n')
    s.expect(PROMPT)
    s.send('wide = hs.table_from("wide", {{"name", "str"}, {"bytes", "u64", "bytes"}, {"n", "u64"}, '
           '{"b", "u64"}, {"c", "u64"}, {"d", "u64"}, {"e", "u64"}, {"f", "u64"}}, w)\n')
    s.expect(PROMPT)
    s.send("wide\n")
    m = s.expect(rb"wide\n((.|\n)*?)" + PROMPT)
    out = m.group(1).decode(errors="replace") if m else ""
    lines = out.rstrip("\n").split("\n")
    ok(m and max(len(x) for x in lines) <= 60 and len(lines) > 5,
       "a wide table is printed within a 60-column terminal", out)
    ok("41.9 MiB" in out and re.search(r"\b10\b.*more|more.*\b10\b", lines[-1]),
       "... with human sizes and a count of the 10 rows left out", out)
    s.send("\x04")
    s.wait()

    # ---------------------------------------------------------------- an investigation
    investigate(home3)

    # ---------------------------------------------------------------- stdin not a terminal
    def pipe(text):
        p = subprocess.run([HS], input=text.encode(), capture_output=True, timeout=20,
                           env=dict(os.environ, HOME=home3))
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    rc, out, err = pipe("return 1+1\n")
    ok(rc == 0 and out == "2\n", "echo 'return 1+1' | heapscope prints 2", "%r %r %r" % (rc, out, err))
    rc, out, err = pipe("1+2\nfor i=1,2 do\nprint(i)\nend\nerror('bad')\n'after'\n")
    ok(out == "3\n1\n2\nafter\n", "piped lines: expressions, a multi-line chunk, no prompts",
       "%r %r" % (out, err))
    ok(rc == 1 and "stdin" in err and "bad" in err and "core/lua" not in err,
       "a failing chunk prints its line, the rest still runs, status 1", "%r %r" % (rc, err))
    rc, out, err = pipe("for i=1,2 do\n")
    ok(rc == 1 and "'<eof>'" in err, "an unfinished chunk at the end of input is an error",
       "%r %r" % (rc, err))

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for d in tmpdirs:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(rc)
