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
output of every agent (and what a fake journal, start_journal(), received)
is checked for sanitizer reports and for secrets: the instance token and
the proxy password must never reach the agent's output; either fails the
test. skip(reason) exits 77. The agent binary is $OPSAGENT. sandbox(),
called before run(), runs the test as root in private mount and pid
namespaces.

$OPSAGENT_WRAPPER (split like a shell would, no expansions) is put before
every agent start_agent runs, e.g. "valgrind --error-exitcode=99 ..."; when
its first word is valgrind the harness adds --log-file=<tmpdir>/valgrind.%p.log
and fails the test on any error those logs report. $OA_TIME_FACTOR (default 1)
multiplies every timeout of the harness and of the backend's waits, for
slow wrappers.
"""
import asyncio
import inspect
import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend import (Backend, BackendTimeout, NoConnection, TIME_FACTOR,  # noqa: E402
                     recipe_message, state)
from certs import make_certs  # noqa: E402
from faults import FaultProxy  # noqa: E402
from journal import Journal  # noqa: E402
from proxy import Proxy  # noqa: E402

__all__ = ["run", "sandbox", "skip", "Skip", "note", "tmpdir", "write_config", "start_agent",
           "start_backend", "start_proxy", "start_fault_proxy", "start_journal", "certs", "Agent",
           "Backend", "BackendTimeout", "NoConnection", "Proxy", "FaultProxy", "Journal", "state",
           "recipe_message", "make_certs", "TIME_FACTOR", "agent_argv"]

SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")
WRAPPER = shlex.split(os.environ.get("OPSAGENT_WRAPPER", ""))
VALGRIND = bool(WRAPPER) and os.path.basename(WRAPPER[0]) == "valgrind"
# A valgrind log with errors: its summary line counts more than 0.
VALGRIND_ERRORS_RE = re.compile(r"ERROR SUMMARY: [1-9]")
# Variables of the test runner's environment that would change what the agent does.
SCRUBBED_ENV = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY", "no_proxy", "NO_PROXY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "STATE_DIRECTORY", "RUNTIME_DIRECTORY", "LISTEN_FDS", "LISTEN_PID")
# Fast defaults written by write_config (None: key not written). The two
# deadlines that a slow agent must meet (a TLS handshake under valgrind
# takes seconds) stretch with TIME_FACTOR.
DEFAULTS = {
    "network": {"instance_id": "i-test", "userdata": "",
                "connect_timeout": f"{int(2000 * TIME_FACTOR)}ms", "keepalive": "500ms",
                "dead_after": f"{int(3000 * TIME_FACTOR)}ms", "reconnect_min": "50ms",
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
        self.journals = []
        self.t0 = time.monotonic()


_ctx = None


def _c():
    if _ctx is None:
        raise RuntimeError("harness functions must run inside harness.run()")
    return _ctx


def skip(reason):
    """End the test as skipped (exit status 77)."""
    raise Skip(reason)


def sandbox():
    """Call before run(): re-runs the test script as root in new mount and
    pid namespaces with a private copy of /etc (on a tmpfs) and empty
    tmpfs over /home and /opt, as lib.sh's in_sandbox does for the bash
    tests, so that its states may add users without touching the machine.
    Exits 77 (skipped) where that is not possible; returns at once inside
    the sandbox."""
    scratch = os.environ.get("OA_SANDBOX_SCRATCH")
    if os.environ.get("OA_IN_SANDBOX") and scratch:
        for cmd in (["mount", "--make-rprivate", "/"],
                    ["mount", "-t", "tmpfs", "-o", "mode=0700", "opsagent-test", scratch],
                    ["cp", "-a", "/etc", os.path.join(scratch, "etc")],
                    ["mount", "--bind", os.path.join(scratch, "etc"), "/etc"],
                    ["mount", "-t", "tmpfs", "-o", "mode=0755", "opsagent-test", "/home"],
                    ["mount", "-t", "tmpfs", "-o", "mode=0755", "opsagent-test", "/opt"]):
            subprocess.run(cmd, check=True)
        return
    probe = ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "true"]
    if os.geteuid() != 0 or subprocess.run(probe, capture_output=True).returncode != 0:
        print("SKIP: needs root and unshare (mount and pid namespaces)")
        sys.exit(77)
    scratch = tempfile.mkdtemp(prefix="oa-sandbox.")
    try:
        rc = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc",
                             sys.executable, *sys.argv],
                            env=dict(os.environ, OA_IN_SANDBOX="1",
                                     OA_SANDBOX_SCRATCH=scratch)).returncode
    finally:
        os.rmdir(scratch)  # its tmpfs ended with the namespace
    sys.exit(rc)


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


async def start_journal():
    """A started journal.Journal (a fake journald native socket; sandbox
    only). Pass it to start_agent(journal=...)."""
    j = Journal()
    _c().journals.append(j)
    return await j.start()


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

    def __init__(self, n, argv, proc, out_path, err_path, stderr=None):
        self.n, self.argv, self.proc, self.pid = n, argv, proc, proc.pid
        self.out_path, self.err_path = out_path, err_path
        self.stdout_lines, self.stderr_lines, self._eof, self._cursor = [], [], 0, 0
        self._waiters = []
        stderr = stderr or proc.stderr
        self._tasks = [asyncio.create_task(self._read(proc.stdout, self.stdout_lines, out_path)),
                       asyncio.create_task(self._read(stderr, self.stderr_lines, err_path)),
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
        timeout *= TIME_FACTOR
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
        timeout *= TIME_FACTOR
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


def agent_argv(binary=None):
    """The command that starts the agent: $OPSAGENT_WRAPPER (with valgrind's
    --log-file into tmpdir added) followed by binary (default $OPSAGENT)."""
    binary = binary or os.environ.get("OPSAGENT")
    if not binary:
        raise AssertionError("OPSAGENT must name the opsagent binary")
    if VALGRIND:
        log = os.path.join(_c().dir, "valgrind.%p.log")
        return [WRAPPER[0], f"--log-file={log}", *WRAPPER[1:], binary]
    return [*WRAPPER, binary]


async def start_agent(config=None, extra_args=(), env=None, command="run", verbose=True,
                      journal=None):
    """Start `$OPSAGENT -c CONFIG -v COMMAND EXTRA_ARGS...` (config default:
    write_config()) in its own session, behind $OPSAGENT_WRAPPER if set, with
    the runner's proxy and systemd variables removed, ASAN/UBSAN options set,
    and env merged in (a None value removes a variable). With journal (from
    start_journal()) the agent logs as under systemd: JOURNAL_STREAM names
    its stderr pipe, and its lines about a state go to the journal. Returns
    the Agent as soon as it is spawned."""
    c = _c()
    cmd = agent_argv()
    config = config or write_config()
    e = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    argv = cmd + ["-c", config] + (["-v"] if verbose else []) + [command, *extra_args]
    n = len(c.agents) + 1
    err, reader = asyncio.subprocess.PIPE, None
    if journal:
        # Both ends of a pipe are one inode: the agent finds it on its fd 2.
        rfd, err = os.pipe()
        st = os.fstat(err)
        e["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=err, env=e, start_new_session=True)
    finally:
        if journal:
            os.close(err)
    if journal:
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(rfd, "rb", 0))
    a = Agent(n, argv, proc, os.path.join(c.dir, f"agent-{n}.stdout"),
              os.path.join(c.dir, f"agent-{n}.stderr"), stderr=reader)
    a.config = config
    a.proxy_env = [v for k, v in e.items() if k.lower() in ("http_proxy", "https_proxy",
                                                           "all_proxy")]
    c.agents.append(a)
    return a


def _config_keys(config):
    """{(section, key): value} of a config file, read the way the tests write
    them (key = value, no continuation lines); {} when it cannot be read."""
    section, keys = None, {}
    try:
        with open(config, errors="replace") as f:
            for ln in f:
                ln = ln.strip()
                if ln.startswith("[") and ln.endswith("]"):
                    section = ln[1:-1].strip()
                elif "=" in ln and not ln.startswith((";", "#")):
                    k, v = ln.split("=", 1)
                    keys[(section, k.strip())] = v.strip()
    except OSError:
        pass
    return keys


def _url_password(url):
    """The password of a URL with user:password@ credentials, else None."""
    m = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*?:([^/@]+)@", url or "")
    return m.group(1) if m else None


def _secrets(c):
    """{secret: what it is} for this test: the instance tokens (the token
    file each agent's config names, and the instance_token of every
    Handshake a backend received) and the proxy passwords (the config's
    [network] proxy, the proxy variables given to start_agent)."""
    found = {}
    for a in c.agents:
        keys = _config_keys(getattr(a, "config", ""))
        path = keys.get(("global", "token"))
        if not path and keys.get(("global", "state_dir")):
            path = os.path.join(keys[("global", "state_dir")], "token")
        try:
            with open(path or "", errors="replace") as f:
                found[f.read().strip()] = "the instance token"
        except OSError:
            pass
        for url in [keys.get(("network", "proxy"))] + list(getattr(a, "proxy_env", ())):
            if pw := _url_password(url):
                found[pw] = "a proxy password"
    for b in c.backends:
        for m in b.messages("Handshake"):
            if isinstance(m.obj, dict) and isinstance(m.obj.get("instance_token"), str):
                found[m.obj["instance_token"]] = "the instance token"
    # A value this short would match by chance (the agent's tokens are 64
    # hex digits; the tests' passwords are longer).
    return {k: v for k, v in found.items() if len(k) >= 6}


def _leaks(c):
    """Lines of any agent's stdout or stderr, or journal entries, that hold
    a secret of this test (at most 5 per agent or journal)."""
    out = []
    secrets = _secrets(c)
    for j in c.journals:
        j.drain()
        found = [f"{what} is in the journal, entry {i + 1}: {str(e)[:300]}"
                 for i, e in enumerate(j.entries) for sec, what in secrets.items()
                 if any(sec in v for v in e.values())]
        out += found[:5]
    for a in c.agents:
        found = []
        for name, lines in (("stderr", a.stderr_lines), ("stdout", a.stdout_lines)):
            for i, ln in enumerate(lines):
                for sec, what in secrets.items():
                    if sec in ln:
                        found.append(f"{what} is in agent #{a.n}'s {name}, line {i + 1}: "
                                     f"{ln[:300]}")
        out += found[:5]
    return out


def _valgrind_reports():
    """The valgrind logs of this test that report errors, each in full."""
    out = []
    d = _c().dir
    for name in sorted(os.listdir(d)):
        if name.startswith("valgrind.") and name.endswith(".log"):
            with open(os.path.join(d, name), errors="replace") as f:
                text = f.read()
            if VALGRIND_ERRORS_RE.search(text):
                out.append(f"valgrind errors ({os.path.join(d, name)}):\n{text[-20000:]}")
    return out


async def _cleanup(c):
    """Stop leftover agents, backends and proxies; return sanitizer and
    valgrind reports and leaked tokens."""
    problems = []
    for a in c.agents:
        if a.returncode is None:
            a.stop(signal.SIGTERM)
            try:
                await asyncio.wait_for(a.proc.wait(), 5 * TIME_FACTOR)
            except asyncio.TimeoutError:
                try:
                    os.killpg(a.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await a.proc.wait()
        await asyncio.wait(a._tasks, timeout=2)
        if report := a.sanitizer_report():
            problems.append(f"sanitizer report from agent #{a.n} ({a.err_path}):\n{report}")
    problems += _leaks(c)
    if VALGRIND:
        problems += _valgrind_reports()
    for x in c.backends + c.proxies + c.journals:
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
    out += [p.dump() for p in c.proxies + c.journals]
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
    (default $OA_TEST_TIMEOUT or 60), times $OA_TIME_FACTOR."""
    if not inspect.iscoroutinefunction(main):
        raise TypeError("run() wants an async def function")
    timeout = (timeout or float(os.environ.get("OA_TEST_TIMEOUT", "60"))) * TIME_FACTOR
    sys.exit(asyncio.run(_run(main, timeout)))
