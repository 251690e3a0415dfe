"""Debian's chromium, headless, for the HTML report's tests.

path() is the browser or None (the test then skips with a reason);
run(page, *args) runs it once on a file (--dump-dom, --screenshot=FILE);
evaluate(page, exprs) opens the file and evaluates JavaScript expressions in
it, in order, over the DevTools protocol on a pipe (--remote-debugging-pipe:
fd 3 carries commands in, fd 4 answers out, each message JSON ended by a NUL
byte), so a test can click and read the page without any Python package."""
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1200,1400"]


def path():
    return shutil.which("chromium")


def url(page):
    return "file://" + os.path.abspath(page)


def run(page, *args, timeout=60):
    """chromium ARGS on page: (exit status, stdout, stderr) as text."""
    cmd = [path()] + FLAGS + ["--user-data-dir=" + tempfile.mkdtemp(prefix="hs-chromium-"),
                              "--enable-logging=stderr", "--v=0"] + list(args) + [url(page)]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def evaluate(page, exprs, timeout=60):
    """Load page and evaluate each expression (promises awaited, values
    returned as JSON values; a thrown error becomes {"error": text}).
    Returns (values, console): console lists the page's console calls and
    uncaught exceptions as text."""
    cmd_r, cmd_w = os.pipe()
    ans_r, ans_w = os.pipe()
    hi_r, hi_w = os.dup(cmd_r), os.dup(ans_w)   # above 4, so dup2 cannot clobber them

    def fds():
        os.dup2(hi_r, 3)
        os.dup2(hi_w, 4)
    proc = subprocess.Popen([path()] + FLAGS + ["--user-data-dir=" + tempfile.mkdtemp(
        prefix="hs-chromium-"), "--remote-debugging-pipe", "about:blank"],
        preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for fd in (cmd_r, ans_w, hi_r, hi_w):
        os.close(fd)
    state = {"buf": b"", "id": 0, "events": []}
    deadline = time.time() + timeout

    def call(method, params=None, session=None):
        state["id"] += 1
        msg = {"id": state["id"], "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" in state["buf"]:
                raw, state["buf"] = state["buf"].split(b"\0", 1)
                m = json.loads(raw)
                if m.get("id") == state["id"]:
                    if "error" in m:
                        raise RuntimeError("%s: %s" % (method, m["error"]))
                    return m["result"]
                state["events"].append(m)
            ready, _, _ = select.select([ans_r], [], [], max(0, deadline - time.time()))
            if not ready:
                raise TimeoutError("chromium did not answer " + method)
            chunk = os.read(ans_r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe during " + method)
            state["buf"] += chunk

    try:
        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        call("Runtime.enable", session=s)
        call("Page.enable", session=s)
        call("Page.navigate", {"url": url(page)}, session=s)
        call("Runtime.evaluate", {"awaitPromise": True, "expression":
             "new Promise(function (ok) { if (document.readyState === 'complete') ok(1);"
             " else addEventListener('load', function () { ok(1); }); })"}, session=s)
        values = []
        for e in exprs:
            r = call("Runtime.evaluate", {"expression": e, "awaitPromise": True,
                                          "returnByValue": True}, session=s)
            if "exceptionDetails" in r:
                values.append({"error": json.dumps(r["exceptionDetails"])[:500]})
            else:
                values.append(r["result"].get("value"))
        console = [json.dumps(m["params"])[:500] for m in state["events"]
                   if m.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")]
        try:
            call("Browser.close")
        except (RuntimeError, EOFError, TimeoutError):
            pass
        return values, console
    finally:
        os.close(cmd_w)
        os.close(ans_r)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
