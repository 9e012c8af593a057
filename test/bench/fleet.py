#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A fleet on one machine (issue 8, target 4); run by hand, not in CI:

    OPSAGENT=build-gcc/opsagent /usr/bin/python3 test/bench/fleet.py \
        [--n 1000] [--tls] [--reconnect-min 1s] [--reconnect-max 60s] [--graceful]

Starts one fake backend on 127.0.0.1 and N `opsagent run` processes, each
with its own config, instance_id, state and runtime directories (as the
integration tests do, through write_config). The fd limit is raised for
this process (the backend holds one socket per agent). The backend pushes
a one-state recipe (linux.cmd true) after each Handshake, so every agent
ends up connected, its recipe run, waiting in DELAY. Prints:
- handshakes per second: N / (last Handshake - first agent spawned), and
  over the Handshakes' own span;
- memory once all have reported: the sum of RSS and the sum of PSS (shared
  pages counted once) over the agents, per agent, and the backend's RSS;
- then the backend restarts (connections aborted, like a crashed backend;
  --graceful sends a 1001 close to each instead) and listens again on the
  same port. For every agent the time from the restart to its first TCP
  connection accepted and to its first Handshake on the new connection:
  p0, p50, p90, p99, max, and a histogram across the reconnect window, to
  show that the fleet spreads its attempts over the backoff window
  (full jitter in [0, reconnect_min] for the first attempt) instead of
  coming back in one spike.
The agents use the shipped defaults for keep-alive (30 s) and reconnects
(1 s, 60 s) unless told otherwise. Times come from the backend's
time.monotonic() at arrival; the Python backend queues work when a
thousand agents arrive at once, so a Handshake time includes that wait."""
import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import distribution, print_header, pss_kib, raise_nofile, rss_kib  # noqa: E402
from harness import (certs, recipe_message, run, start_backend, state, tmpdir,  # noqa: E402
                     write_config)


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="agent processes")
    ap.add_argument("--tls", action="store_true", help="wss:// instead of ws://")
    ap.add_argument("--reconnect-min", default="1s")
    ap.add_argument("--reconnect-max", default="60s")
    ap.add_argument("--keepalive", default="30s")
    ap.add_argument("--graceful", action="store_true",
                    help="restart with a 1001 close to each agent instead of aborting")
    ap.add_argument("--bins", type=int, default=10, help="histogram bins after the restart")
    a = ap.parse_args()
    if a.n < 1:
        ap.error("--n must be >= 1")
    return a


def seconds(duration):
    """A config duration ("500ms", "1s", "2m") in seconds."""
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if duration.endswith(suffix):
            return float(duration[:-len(suffix)]) * scale
    return float(duration)


def agent_config(b, i, a):
    d = os.path.join(tmpdir(), f"a{i:05d}")
    net = {"instance_id": f"i-{i:05d}", "keepalive": a.keepalive, "dead_after": None,
           "reconnect_min": a.reconnect_min, "reconnect_max": a.reconnect_max,
           "connect_timeout": "10s", "handshake_retry": "30s"}
    if a.tls:
        net["ca_file"] = certs().ca_cert
    return write_config(os.path.join(tmpdir(), f"a{i:05d}.conf"),
                        **{"global": {"state_dir": os.path.join(d, "state"),
                                      "runtime_dir": os.path.join(d, "run")},
                           "network": net, "runtime": {"delay": "1h"}})


def spawn(conf, log_path, exe):
    """One agent; its output goes to a file (1,000 pipes would need a
    reader each)."""
    with open(log_path, "wb") as log:
        return subprocess.Popen([exe, "-c", conf, "run"], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True)


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def histogram(values, lo, hi, bins):
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / width)))] += 1
    top = max(counts) or 1
    for k, c in enumerate(counts):
        print(f"    {lo + k * width:8.3f} - {lo + (k + 1) * width:8.3f} s {c:6d} "
              + "#" * round(40 * c / top))


def handshake_times(b, since=0.0):
    """instance_id -> monotonic time of its first Handshake after since."""
    out = {}
    for m in b.messages("Handshake"):
        if m.time >= since:
            out.setdefault(m.get("instance_id"), m.time)
    return out


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def complete(times, n):
    return times if len(times) >= n else None


async def main(a):
    exe = os.path.abspath(os.environ.get("OPSAGENT", "build-gcc/opsagent"))
    limit = raise_nofile(4 * a.n + 1024)
    b = await start_backend(tls=a.tls)
    b.auto_recipe = recipe_message(1, [state("s", "linux.cmd", cmd="true", cwd="/tmp")])
    confs = [agent_config(b, i, a) for i in range(a.n)]
    procs = []
    try:
        cpu0, t0 = cpu_s(), time.monotonic()
        for i, conf in enumerate(confs):
            procs.append(spawn(conf, os.path.join(tmpdir(), f"a{i:05d}.log"), exe))
        t_spawned = time.monotonic()
        hs = await b.wait_for(lambda: complete(handshake_times(b), a.n),
                              timeout=60 + a.n * 0.1, what=f"{a.n} handshakes")
        first, last = min(hs.values()), max(hs.values())
        cpu_busy = (cpu_s() - cpu0) / (time.monotonic() - t0)
        await b.wait_for(lambda: len(b.messages("StateLog")) >= a.n, timeout=60 + a.n * 0.1,
                         what=f"{a.n} StateLogs")
        await asyncio.sleep(2.0)  # settled in DELAY
        dead = [p.pid for p in procs if p.poll() is not None]
        assert not dead, f"agents exited: {dead[:10]}"
        rss = [rss_kib(p.pid) for p in procs]
        pss = [pss_kib(p.pid) for p in procs]

        # Restart the backend; time every agent's return.
        accepts_before = len(b.accepts)
        t_r = time.monotonic()
        await b.restart(abort=not a.graceful)
        t_up = time.monotonic()
        back = await b.wait_for(
            lambda: complete(handshake_times(b, t_r), a.n),
            timeout=120 + 2 * seconds(a.reconnect_max), what="reconnects")
        accepts = [t - t_r for t in b.accepts[accepts_before:]]
        recon = [t - t_r for t in back.values()]

        print_header(f"fleet: {a.n} agents, one backend on 127.0.0.1 ({'wss' if a.tls else 'ws'}), "
                     f"fd limit {limit}")
        print(f"  spawned {a.n} agents in {t_spawned - t0:.2f} s")
        print(f"  handshakes: all {a.n} within {last - t0:.2f} s of the first spawn = "
              f"{a.n / (last - t0):.0f}/s; over the handshakes' own span {last - first:.2f} s = "
              f"{a.n / max(last - first, 1e-6):.0f}/s")
        print(f"    the backend (this python process, spawning included) was busy "
              f"{100 * cpu_busy:.0f} % of one core meanwhile; near 100 % it is the bound")
        print(f"  memory in DELAY: RSS sum {sum(rss) / 1024:.1f} MiB ({sum(rss) / a.n:.0f} KiB/agent), "
              f"PSS sum {sum(pss) / 1024:.1f} MiB ({sum(pss) / a.n:.0f} KiB/agent); "
              f"backend (python) RSS {rss_kib(os.getpid()) / 1024:.1f} MiB")
        print(f"  backend restart ({'graceful 1001' if a.graceful else 'connections aborted'}), "
              f"listening again {(t_up - t_r) * 1000:.0f} ms after; reconnect window "
              f"[0, {a.reconnect_min}] for a first attempt, up to {a.reconnect_max}")
        print(f"  TCP accepts after the restart ({len(accepts)}): {distribution(accepts, 's')}")
        print(f"  Handshakes after the restart ({len(recon)}): {distribution(recon, 's')}")
        print("  Handshakes after the restart, histogram:")
        histogram(recon, 0.0, max(recon), a.bins)
        peak = max(sum(1 for x in recon if s <= x < s + 0.05) for s in recon)
        print(f"  busiest 50 ms: {peak} handshakes ({100 * peak / a.n:.1f} % of the fleet)")
    finally:
        stop_all(procs)
    bad = [p.pid for p in procs if p.returncode not in (0, None)]
    assert not bad, f"agents that did not exit 0 on SIGTERM: {bad[:10]}"


ARGS = parse()


async def entry():
    await main(ARGS)


run(entry, timeout=600 + ARGS.n)
