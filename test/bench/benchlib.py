# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the benchmark scripts of test/bench/ (run by hand).

Importing this module puts test/backend/ on sys.path, so a script can then
`from harness import *`. What is here reads /proc (RSS, PSS, peak RSS,
open fds, context switches), records the agent's forks with perf,
summarises samples (percentiles), raises the fd limit, and prints the
command line that produced a script's figures."""
import asyncio
import os
import re
import resource
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../backend"))


def command_line():
    """The command that ran this script, with $OPSAGENT when it is set."""
    env = f"OPSAGENT={shlex.quote(os.environ['OPSAGENT'])} " if os.environ.get("OPSAGENT") else ""
    return env + shlex.join([sys.executable] + sys.argv)


def print_header(what):
    """First lines of every report: what, the command, the machine's state."""
    print(what)
    print(f"  command: {command_line()}")
    print(f"  machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, {os.uname().release}")


def status_kib(pid, field):
    """A "Field:   N kB" line of /proc/PID/status, in KiB (-1 if absent)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def rss_kib(pid):
    return status_kib(pid, "VmRSS")


def peak_rss_kib(pid):
    """Peak RSS since the process started or since reset_peak_rss(pid)."""
    return status_kib(pid, "VmHWM")


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (clear_refs 5, Linux >= 4.0)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def pss_kib(pid):
    """Proportional set size: shared pages divided among their users, so a
    sum over processes counts each page once."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def context_switches(pid):
    """Voluntary + involuntary context switches of all threads of pid. A
    process that sleeps in a system call counts one voluntary switch per
    sleep, so the difference over a minute is its wake-ups, whatever it
    sleeps in (epoll, select, nanosleep)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return total


def percentile(sorted_values, p):
    """Nearest-rank percentile (p in 0..100) of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def distribution(values, unit="ms", points=(0, 50, 90, 99, 100)):
    """'p0 1.2 ms, p50 ..., max ...' of values."""
    v = sorted(values)
    names = {0: "p0", 100: "max"}
    return ", ".join(f"{names.get(p, f'p{p}')} {percentile(v, p):.3f} {unit}" for p in points)


def raise_nofile(want):
    """Raise this process's soft RLIMIT_NOFILE to want (at most the hard
    limit; children inherit it). Returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = max(soft, min(want, hard)) if hard != resource.RLIM_INFINITY else max(soft, want)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return new


async def perf_forks(pid, out_path):
    """Records every clone/clone3 that pid's threads enter (not its
    children's) with perf: the kernel stamps each on the syscall's entry
    with CLOCK_MONOTONIC, time.monotonic() here. Nothing stops the agent,
    and nothing has to wake up to take the stamp (strace, used before, took
    it when it woke for the stop, which on an idle VM added a millisecond).
    Returns the perf process; pass it to stop_perf(), then read
    fork_times(out_path)."""
    p = await asyncio.create_subprocess_exec(
        "perf", "record", "-q", "-k", "mono", "-e", "syscalls:sys_enter_clone",
        "-e", "syscalls:sys_enter_clone3", "-p", str(pid), "-o", out_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(1.0)  # perf attaches asynchronously
    assert p.returncode is None, "perf record failed (is perf installed, are we root?)"
    return p


async def stop_perf(p):
    p.send_signal(2)  # SIGINT: perf writes its file out and exits
    await p.wait()


def fork_times(out_path):
    """time.monotonic() of every clone/clone3 in a perf_forks file."""
    out = subprocess.run(["perf", "script", "-i", out_path, "-F", "time", "--ns"],
                         capture_output=True, text=True, check=True).stdout
    return [float(m.group(1)) for m in re.finditer(r"(\d+\.\d+):", out)]


def first_after(times, t, slack=0.0):
    """The first time in times at or after t - slack (the clocks of perf and
    of this process are the same), or None."""
    for x in times:
        if x >= t - slack:
            return x
    return None
