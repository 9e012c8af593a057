# SPDX-License-Identifier: Apache-2.0
"""Checks shared by the local fault-injection tests (run/040-049, issue 7):
a fault on this host (a read-only or full file system, an unreachable
module repository, a stubborn, daemonizing or flooding child) must leave
the agent running its recipe, say what happened in one log line, lose or
reorder no StateLog, and keep its memory bounded.

    from localfault import *
    in_mount_namespace()              # before run(main): root, private mounts
    ...
    assert_one_log(agent, r"state 1/2 w \\(test.watch\\) failed .*Read-only")
    assert_statelogs_match_log(b, agent, ["w", "w", "after"])
    assert_hwm_below(agent, 40_000, 15_000)   # KiB (ASan, plain): see the test
"""
import asyncio
import json
import os
import re
import subprocess
import sys
import time

__all__ = ["in_mount_namespace", "mount_tmpfs", "umount", "remount", "fill", "vm_kb",
           "assert_hwm_below", "finished_states", "assert_statelogs_match_log", "assert_one_log",
           "log_count", "assert_alive", "wait_no_pending"]

# "state 2/5 ID (MODULE) succeeded in 12 ms[: comment]" (sw.c, log_outcome).
FINISHED_RE = re.compile(r"state (\d+)/(\d+) (\S+) \(([^)]*)\) (succeeded|failed) in \d+ ms")


def in_mount_namespace():
    """Re-runs the calling test as root in a new mount namespace (private
    propagation, so that nothing mounted here reaches the machine); call it
    before run(). Exits 77 (skipped) where that is not possible. The agent
    and the backend stay in the test's network and pid namespaces."""
    if os.environ.get("OA_IN_MOUNT_NS") == str(os.getpid()):
        return
    if os.geteuid() != 0 or subprocess.run(["unshare", "--mount", "true"],
                                           capture_output=True).returncode != 0:
        print("SKIP: needs root and unshare (a mount namespace)")
        sys.exit(77)
    # exec keeps the pid (unshare runs without --fork), so the mark names
    # this process: a variable inherited from an outer run does not count.
    env = dict(os.environ, OA_IN_MOUNT_NS=str(os.getpid()))
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable,
                           os.path.abspath(sys.argv[0]), *sys.argv[1:]], env)


def _sh(*argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {p.stderr.strip()}")


def mount_tmpfs(path, size="1m", mode="0700"):
    """An empty tmpfs of `size` over path (created if missing)."""
    os.makedirs(path, exist_ok=True)
    _sh("mount", "-t", "tmpfs", "-o", f"size={size},mode={mode}", "opsagent-fault", path)


def umount(path):
    """Detaches the file system at path (lazily: open files do not stop it),
    so that the test's directory can be removed."""
    _sh("umount", "-l", path)


def remount(path, opts):
    """mount -o remount,OPTS path (e.g. "ro", "rw")."""
    _sh("mount", "-o", f"remount,{opts}", path)


def fill(path):
    """Writes zeros into the file path until its file system is full;
    returns the bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                n += f.write(b"\0" * 4096)
        except OSError:
            pass
    return n


def vm_kb(pid, field="VmHWM"):
    """A field of /proc/PID/status in KiB (VmHWM: the peak resident set)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _sanitized(pid):
    """AddressSanitizer reserves terabytes of shadow memory (VmSize)."""
    return vm_kb(pid, "VmSize") > (1 << 30)


def assert_hwm_below(agent, asan_kb, plain_kb):
    """The agent's peak RSS (VmHWM) is below asan_kb in a sanitizer build,
    plain_kb otherwise; returns it. Not checked (None) when the agent runs
    under a tool such as valgrind, whose own memory is counted too."""
    exe = os.path.basename(os.readlink(f"/proc/{agent.pid}/exe"))
    if not exe.startswith("opsagent"):
        print(f"agent #{agent.n} runs as {exe}: its peak RSS is not checked", flush=True)
        return None
    limit = asan_kb if _sanitized(agent.pid) else plain_kb
    hwm = vm_kb(agent.pid)
    print(f"agent #{agent.n} VmHWM {hwm} KiB (limit {limit} KiB)", flush=True)
    assert hwm < limit, f"agent peak RSS {hwm} KiB, limit {limit} KiB"
    return hwm


def assert_alive(agent, b=None, connections=None):
    """The agent is the same process, still running; with b and
    connections, the backend has seen exactly that many connections (the
    fault did not cost the connection)."""
    assert agent.returncode is None, f"agent exited with {agent.returncode}\n{agent.tail()}"
    with open(f"/proc/{agent.pid}/stat") as f:
        st = f.read()
    assert st[st.rindex(")") + 2] not in "ZX", f"agent is a zombie: {st}"
    if b is not None and connections is not None:
        assert len(b.connections) == connections, \
            f"{len(b.connections)} connections, expected {connections}\n{b.dump()}"


async def wait_no_pending(conf, timeout=5.0):
    """Waits until `opsagent status` shows no StateLog queued: all were
    confirmed by the backend, so a reconnect now sends none of them again."""
    deadline = time.monotonic() + timeout
    while True:
        p = await asyncio.to_thread(subprocess.run,
                                    [os.environ["OPSAGENT"], "-c", conf, "status", "--json"],
                                    capture_output=True, text=True, timeout=10)
        pending = json.loads(p.stdout)["connection"]["pending_statelogs"] if p.returncode == 0 \
            else None
        if pending == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"StateLogs still pending after {timeout} s: {p.stdout}{p.stderr}")
        await asyncio.sleep(0.05)


def finished_states(agent):
    """(id, result) of every "state ... succeeded|failed" line the agent
    logged, in order."""
    out = []
    for ln in agent.stderr_lines:
        if m := FINISHED_RE.search(ln):
            out.append((m.group(3), m.group(5) == "succeeded"))
    return out


def assert_statelogs_match_log(b, agent, expected_ids=None):
    """Every state the agent logged as finished reached the backend as a
    StateLog, in the same order, none twice, none extra; with expected_ids,
    the ids are exactly those. Call it once the agent has exited (or is
    idle), so that no StateLog is still on its way. Returns the StateLogs."""
    logs = b.messages("StateLog")
    got = [(m["id"], m["state_result"]) for m in logs]
    logged = finished_states(agent)
    assert got == logged, (f"StateLogs received {got}\n"
                           f"states the agent logged as finished {logged}\n{b.dump()}")
    if expected_ids is not None:
        assert [i for i, _ in got] == list(expected_ids), \
            f"StateLog ids {[i for i, _ in got]}, expected {list(expected_ids)}"
    return logs


# The level column of a line on stderr (log.c): "2026-01-02 03:04:05.678 DEBUG   ...".
DEBUG_RE = re.compile(r"^\S+ \S+ DEBUG ")


def log_count(agent, regex, debug=False):
    """The number of stderr lines matching regex (re.search); debug lines
    (the tests run the agent with -v) only with debug=True."""
    rx = re.compile(regex)
    return sum(1 for ln in agent.stderr_lines
               if rx.search(ln) and (debug or not DEBUG_RE.search(ln)))


def assert_one_log(agent, regex, count=1):
    """Exactly `count` lines above debug level match regex: the fault is
    told once per time it happened, not twice and not never."""
    n = log_count(agent, regex)
    assert n == count, f"{n} log lines match /{regex}/, expected {count}\n{agent.tail(80)}"
