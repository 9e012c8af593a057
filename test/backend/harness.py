# SPDX-License-Identifier: Apache-2.0
"""Helpers for integration tests of `opsagent run` written as asyncio scripts.

    #!/usr/bin/python3
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../backend"))
    from harness import *

    async def main():
        b = await start_backend()                     # ws://127.0.0.1:PORT/agent/
        agent = await start_agent(write_config(network={"keepalive": "200ms"}))
        hs = await b.expect("Handshake")
        assert hs["app_id"] == "app-test", hs
        await b.recipe(1, [state("s1", "linux.cmd", cmd="echo hi")])
        log = await b.expect("StateLog")
        assert log["state_result"] is True, log
        agent.stop()
        assert await agent.wait_exit() == 0

    run(main)

run() gives every test a fresh temporary directory and an overall timeout;
on failure it prints the exception, what each backend and proxy recorded,
and the tail of each agent's stderr, keeps the directory, and exits 1. At
the end every agent still running gets SIGTERM (SIGKILL 5 s later) and the
output of every agent is checked for sanitizer reports, which fail the test.
skip(reason) exits 77. The agent binary is $OPSAGENT.
"""
import asyncio
import inspect
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend import Backend, BackendTimeout, NoConnection, recipe_message, state  # noqa: E402
from certs import make_certs  # noqa: E402
from faults import FaultProxy  # noqa: E402
from proxy import Proxy  # noqa: E402

__all__ = ["run", "skip", "Skip", "note", "tmpdir", "write_config", "start_agent", "start_backend",
           "start_proxy", "start_fault_proxy", "certs", "Agent", "Backend", "BackendTimeout",
           "NoConnection", "Proxy", "FaultProxy", "state", "recipe_message", "make_certs"]

SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")
# Variables of the test runner's environment that would change what the agent does.
SCRUBBED_ENV = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY", "no_proxy", "NO_PROXY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "STATE_DIRECTORY", "RUNTIME_DIRECTORY", "LISTEN_FDS", "LISTEN_PID")
# Fast defaults written by write_config (None: key not written).
DEFAULTS = {
    "network": {"instance_id": "i-test", "userdata": "", "connect_timeout": "2s",
                "keepalive": "500ms", "dead_after": "3s", "reconnect_min": "50ms",
                "reconnect_max": "500ms", "handshake_retry": "200ms"},
    "runtime": {"retry_wait": "200ms", "kill_grace": "500ms"},
}


class Skip(Exception):
    pass


class _Ctx:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="oa-test.")
        os.chmod(self.dir, 0o755)
        self.backends, self.proxies, self.agents, self.certs = [], [], [], None
        self.t0 = time.monotonic()


_ctx = None


def _c():
    if _ctx is None:
        raise RuntimeError("harness functions must run inside harness.run()")
    return _ctx


def skip(reason):
    """End the test as skipped (exit status 77)."""
    raise Skip(reason)


def note(msg):
    """Print a progress line with the time since the test started."""
    print(f"[{time.monotonic() - _c().t0:7.3f}] {msg}", flush=True)


def tmpdir():
    """This test's temporary directory (removed after a pass or a skip)."""
    return _c().dir


def certs():
    """make_certs() into <tmpdir>/certs, made once per test."""
    c = _c()
    if c.certs is None:
        c.certs = make_certs(os.path.join(c.dir, "certs"))
    return c.certs


async def start_backend(tls=False, cert="localhost", port=0, **knobs):
    """A started Backend (wss:// with the "localhost", "wrong" or "untrusted"
    certificate of certs() when tls). knobs set Backend attributes, e.g.
    app_not_ready_first=2. write_config uses the newest backend's url."""
    b = Backend()
    for k, v in knobs.items():
        if not hasattr(b, k):
            raise TypeError(f"Backend has no knob {k!r}")
        setattr(b, k, v)
    _c().backends.append(b)
    return await b.start(tls=tls, certs=certs().pair(cert) if tls else None, port=port)


async def start_proxy(**kw):
    """A started Proxy(**kw) (credentials=(user, password), refuse=...)."""
    p = Proxy(**kw)
    _c().proxies.append(p)
    return await p.start()


async def start_fault_proxy(backend=None):
    """A started faults.FaultProxy in front of backend (default: the newest);
    its url is the backend's with the proxy's port (not written by
    write_config: pass userdata={"ws_uri": fp.url})."""
    c = _c()
    b = backend or c.backends[-1]
    p = FaultProxy(b, certs() if b.tls else None)
    c.proxies.append(p)
    return await p.start()


def write_config(path=None, **sections):
    """Write the agent's INI file and return its path (default
    <tmpdir>/opsagent.conf). Each keyword is a section: a dict of key ->
    value (str, int, or bool written as true/false; None leaves the key out),
    merged over the defaults: [global] state_dir and runtime_dir inside
    tmpdir (created, 0700); [userdata] ws_uri of the newest backend and
    app_id = app-test; [network] and [runtime] from DEFAULTS (a literal
    instance_id, no user data, millisecond timings). A section given as None
    is left out entirely."""
    c = _c()
    conf = {"global": {"state_dir": os.path.join(c.dir, "state"),
                       "runtime_dir": os.path.join(c.dir, "run")},
            "userdata": {"ws_uri": c.backends[-1].url if c.backends else None,
                         "app_id": "app-test"}}
    for name, keys in DEFAULTS.items():
        conf[name] = dict(keys)
    for name, keys in sections.items():
        if keys is None:
            conf.pop(name, None)
        else:
            conf.setdefault(name, {}).update(keys)
    for key in ("state_dir", "runtime_dir"):
        d = conf.get("global", {}).get(key)
        if d and d.startswith(c.dir):
            os.makedirs(d, mode=0o700, exist_ok=True)
    lines = []
    for name, keys in conf.items():
        lines.append(f"[{name}]")
        for k, v in keys.items():
            if v is not None:
                lines.append(f"{k} = {str(v).lower() if isinstance(v, bool) else v}")
        lines.append("")
    path = path or os.path.join(c.dir, "opsagent.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


class Agent:
    """A running `opsagent`. stderr/stdout are written to <tmpdir>/agent-N.*
    as they come and kept as lists of lines (stderr_lines, stdout_lines)."""

    def __init__(self, n, argv, proc, out_path, err_path):
        self.n, self.argv, self.proc, self.pid = n, argv, proc, proc.pid
        self.out_path, self.err_path = out_path, err_path
        self.stdout_lines, self.stderr_lines, self._eof, self._cursor = [], [], 0, 0
        self._waiters = []
        self._tasks = [asyncio.create_task(self._read(proc.stdout, self.stdout_lines, out_path)),
                       asyncio.create_task(self._read(proc.stderr, self.stderr_lines, err_path)),
                       asyncio.create_task(self._reap())]

    def _notify(self):
        for f in self._waiters:
            if not f.done():
                f.set_result(None)
        self._waiters.clear()

    async def _read(self, stream, lines, path):
        buf = b""
        with open(path, "wb") as f:
            while chunk := await stream.read(65536):
                f.write(chunk)
                f.flush()
                *done, buf = (buf + chunk).split(b"\n")
                lines.extend(ln.decode(errors="replace") for ln in done)
                self._notify()
            if buf:
                lines.append(buf.decode(errors="replace"))
        self._eof += 1
        self._notify()

    async def _reap(self):
        await self.proc.wait()
        self._notify()

    @property
    def returncode(self):
        """Exit status (negative: killed by that signal); None while running."""
        return self.proc.returncode

    def log_mark(self):
        """The number of stderr lines so far; pass it as since= to wait_log."""
        return len(self.stderr_lines)

    def has_log(self, regex, since=0):
        """The first re.Match of regex in a stderr line from index since, or None."""
        rx = re.compile(regex)
        for ln in self.stderr_lines[since:]:
            if m := rx.search(ln):
                return m
        return None

    async def wait_log(self, regex, timeout=10.0, since=None):
        """Wait for a stderr line matching regex (re.search) and return its
        re.Match (m.string is the line). Lines are searched from `since`
        (default: after the line that the previous wait_log matched), so
        successive calls see successive lines. Fails at once if the agent
        has exited and its output is all read."""
        rx = re.compile(regex)
        start = self._cursor if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i in range(start, len(self.stderr_lines)):
                if m := rx.search(self.stderr_lines[i]):
                    self._cursor = i + 1
                    return m
            start = len(self.stderr_lines)
            if self._eof == 2 and self.returncode is not None:
                raise AssertionError(f"agent #{self.n} exited ({self.returncode}) and never "
                                     f"logged /{regex}/\n{self.tail()}")
            if loop.time() >= deadline:
                raise AssertionError(f"agent #{self.n} did not log /{regex}/ within "
                                     f"{timeout} s\n{self.tail()}")
            f = loop.create_future()
            self._waiters.append(f)
            try:
                await asyncio.wait_for(f, deadline - loop.time())
            except asyncio.TimeoutError:
                pass

    def stop(self, sig=signal.SIGTERM):
        """Send sig to the agent (no-op once it has exited)."""
        if self.returncode is None:
            self.proc.send_signal(sig)

    async def wait_exit(self, timeout=10.0):
        """Wait for the agent to exit and its output to be read to the end;
        return the exit status (negative: killed by that signal)."""
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"agent #{self.n} still running after {timeout} s\n"
                                 + self.tail()) from None
        # Output ends at exit unless a child kept the pipes; do not hang on that.
        await asyncio.wait(self._tasks, timeout=2)
        return self.returncode

    def sanitizer_report(self):
        """The sanitizer report in the agent's output (from its first line,
        up to 60 lines), or None."""
        for lines in (self.stderr_lines, self.stdout_lines):
            for i, ln in enumerate(lines):
                if SANITIZER_RE.search(ln):
                    return "\n".join(lines[i:i + 60])
        return None

    def tail(self, n=40):
        st = "running" if self.returncode is None else f"exit status {self.returncode}"
        return "\n".join([f"--- agent #{self.n} pid {self.pid} ({st}), last {n} stderr lines "
                          f"of {self.err_path}:"] + self.stderr_lines[-n:])


async def start_agent(config=None, extra_args=(), env=None, command="run", verbose=True):
    """Start `$OPSAGENT -c CONFIG -v COMMAND EXTRA_ARGS...` (config default:
    write_config()) in its own session, with the runner's proxy and systemd
    variables removed, ASAN/UBSAN options set, and env merged in (a None
    value removes a variable). Returns the Agent as soon as it is spawned."""
    c = _c()
    binary = os.environ.get("OPSAGENT")
    if not binary:
        raise AssertionError("OPSAGENT must name the opsagent binary")
    config = config or write_config()
    e = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    argv = [binary, "-c", config] + (["-v"] if verbose else []) + [command, *extra_args]
    n = len(c.agents) + 1
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=e, start_new_session=True)
    a = Agent(n, argv, proc, os.path.join(c.dir, f"agent-{n}.stdout"),
              os.path.join(c.dir, f"agent-{n}.stderr"))
    c.agents.append(a)
    return a


async def _cleanup(c):
    """Stop leftover agents, backends and proxies; return sanitizer reports."""
    problems = []
    for a in c.agents:
        if a.returncode is None:
            a.stop(signal.SIGTERM)
            try:
                await asyncio.wait_for(a.proc.wait(), 5)
            except asyncio.TimeoutError:
                try:
                    os.killpg(a.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await a.proc.wait()
        await asyncio.wait(a._tasks, timeout=2)
        if report := a.sanitizer_report():
            problems.append(f"sanitizer report from agent #{a.n} ({a.err_path}):\n{report}")
    for x in c.backends + c.proxies:
        try:
            await asyncio.wait_for(x.stop(), 5)
        except Exception as e:  # a broken stop must not hide the test's result
            problems.append(f"stopping {x!r}: {e!r}")
    return problems


def _report(c, exc_text):
    out = [exc_text.rstrip()]
    for b in c.backends:
        d = b.dump()
        if d not in exc_text:
            out.append(d)
    out += [p.dump() for p in c.proxies]
    out += [a.tail(60) for a in c.agents]
    return "\n".join(out)


async def _run(main, timeout):
    global _ctx
    c = _ctx = _Ctx()
    task = asyncio.create_task(main())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    failure = skipped = None
    if not done:
        stack = io.StringIO()
        task.print_stack(file=stack)
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        failure = _report(c, f"test timed out after {timeout} s; it was at:\n{stack.getvalue()}")
    elif isinstance(task.exception(), Skip):
        skipped = str(task.exception())
    elif task.exception() is not None:
        e = task.exception()
        summary = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        failure = _report(c, summary + "\n" + "".join(traceback.format_exception(e)))
    problems = await _cleanup(c)
    if skipped is not None:
        print(f"SKIP: {skipped}")
        shutil.rmtree(c.dir, ignore_errors=True)
        return 77
    if problems:
        failure = (failure + "\n" if failure else "") + "\n".join(problems)
    if failure:
        print("FAIL: " + failure, flush=True)
        print(f"(test files kept in {c.dir})")
        return 1
    print("PASS")
    shutil.rmtree(c.dir, ignore_errors=True)
    return 0


def run(main, timeout=None):
    """Run the coroutine function main() as one test and exit: 0 passed, 1
    failed (report printed), 77 skipped. timeout: seconds for the whole test
    (default $OA_TEST_TIMEOUT or 60)."""
    if not inspect.iscoroutinefunction(main):
        raise TypeError("run() wants an async def function")
    timeout = timeout or float(os.environ.get("OA_TEST_TIMEOUT", "60"))
    sys.exit(asyncio.run(_run(main, timeout)))
