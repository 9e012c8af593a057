#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Idle footprint of a connected agent, measured, and side by side with what
users would run instead (run by hand, not in CI):

    OPSAGENT=build-gcc/opsagent /usr/bin/python3 test/bench/idle.py [SECONDS] [KEEPALIVE] [--no-compare]

Starts the fake backend over wss, connects a non-sanitized agent with a
recipe loaded and waiting in DELAY, then for SECONDS (default 60) counts
the agent's epoll_wait returns with strace and samples its RSS. Each
keep-alive interval costs two wake-ups: the ping timer, and the pong
arriving. The script fails if the loop wakes for anything else.

Then (unless --no-compare), for another SECONDS without strace, it
measures side by side:
- opsagent as above;
- cf-execd -F (cfengine3) with a one-bundle policy, waiting for its
  schedule (it runs nothing within a minute);
- a python3 websockets client holding one idle wss connection to the same
  backend, pinging every KEEPALIVE seconds like the agent.
For each: RSS, PSS (shared pages divided among their users) and wake-ups
per minute, counted as the process's context switches (each sleep in a
system call is one, whatever the call; strace would add its own), and the
ratios to opsagent."""
import asyncio
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import context_switches, print_header, pss_kib, rss_kib  # noqa: E402
from harness import certs, run, start_agent, start_backend, state, tmpdir, write_config  # noqa: E402

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
COMPARE = "--no-compare" not in sys.argv[1:]
SECONDS = float(ARGS[0]) if len(ARGS) > 0 else 60.0
KEEPALIVE = float(ARGS[1]) if len(ARGS) > 1 else 10.0

CF_POLICY = """body common control { bundlesequence => { "main" }; }
body executor control { schedule => { "Min00_05" }; }
bundle agent main { reports: "idle"; }
"""

WS_CLIENT = """
import asyncio, ssl, sys, websockets
async def main(url, ca, keepalive):
    ctx = ssl.create_default_context(cafile=ca)
    async with websockets.connect(url, ssl=ctx, ping_interval=keepalive,
                                  ping_timeout=keepalive * 2.5, compression=None) as ws:
        print("connected", flush=True)
        await ws.wait_closed()
asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


async def measure_agent_epoll(b, pid):
    """The original figure: epoll_wait returns of the agent under strace."""
    rss_before = rss_kib(pid)
    trace = os.path.join(tmpdir(), "strace.out")
    st = await asyncio.create_subprocess_exec(
        "strace", "-p", str(pid), "-e", "trace=epoll_wait,epoll_pwait", "-o", trace,
        stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(SECONDS)
    st.terminate()
    await st.wait()
    rss_after = rss_kib(pid)
    calls = [l for l in open(trace) if "epoll" in l and "resumed" not in l]
    wakeups = max(0, len(calls) - 1)
    pings = len(b.connections[-1].pings)
    print(f"idle for {SECONDS:.0f} s with keepalive {KEEPALIVE:.0f} s (wss, recipe loaded, DELAY)")
    print(f"  loop wake-ups (epoll_wait returns): {wakeups}")
    print(f"  pings received by the backend:      {pings}")
    print(f"  wake-ups per keep-alive interval:   {wakeups / (SECONDS / KEEPALIVE):.2f}"
          " (the ping timer, then the pong)")
    print(f"  RSS: {rss_before} KiB before, {rss_after} KiB after ({rss_after / 1024:.2f} MiB)")
    return wakeups


async def start_cf_execd():
    """cf-execd in the foreground on its own policy, or None if not installed."""
    if not shutil.which("cf-execd"):
        return None
    path = os.path.join(tmpdir(), "promises.cf")
    with open(path, "w") as f:
        f.write(CF_POLICY)
    os.chmod(path, 0o600)  # cf-execd refuses a policy others may write
    return await asyncio.create_subprocess_exec(
        "cf-execd", "-F", "-f", path, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL, start_new_session=True)


async def start_ws_client(b):
    p = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", "-c", WS_CLIENT, b.url, certs().ca_cert, str(KEEPALIVE),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    line = await asyncio.wait_for(p.stdout.readline(), 10)
    assert line.strip() == b"connected", f"websockets client: {line!r}"
    return p


async def compare(pid, b):
    cf = await start_cf_execd()
    ws = await start_ws_client(b)
    procs = [("opsagent run (wss, DELAY)", pid)]
    if cf:
        procs.append(("cf-execd -F (cfengine3)", cf.pid))
    procs.append(("python3 websockets client (wss)", ws.pid))
    await asyncio.sleep(2.0)  # past start-up
    before = {p: context_switches(p) for _, p in procs}
    await asyncio.sleep(SECONDS)
    rows = []
    for label, p in procs:
        wake = (context_switches(p) - before[p]) * 60.0 / SECONDS
        rows.append((label, rss_kib(p), pss_kib(p), wake))
    base = rows[0]
    print(f"side by side, idle for {SECONDS:.0f} s, keep-alive {KEEPALIVE:.0f} s "
          "(wake-ups = context switches; no strace attached)")
    if not cf:
        print("  cf-execd not installed, skipped")
    print(f"  {'process':34} {'RSS KiB':>8} {'PSS KiB':>8} {'wake/min':>9} {'RSS x':>6} {'wake x':>7}")
    for label, rss, pss, wake in rows:
        print(f"  {label:34} {rss:8d} {pss:8d} {wake:9.1f} {rss / base[1]:6.2f} "
              f"{wake / base[3] if base[3] else float('nan'):7.2f}")
    for p in (cf, ws):
        if p and p.returncode is None:
            p.terminate()
            await p.wait()


async def main():
    print_header("idle footprint")
    b = await start_backend(tls=True)
    conf = write_config(network={"ca_file": certs().ca_cert, "keepalive": f"{int(KEEPALIVE * 1000)}ms",
                                 "dead_after": f"{int(KEEPALIVE * 2500)}ms"},
                        runtime={"delay": "1h"})
    agent = await start_agent(conf, verbose=False)
    await b.expect("Handshake")
    await b.recipe(1, [state("s", "linux.cmd", cmd="true", cwd="/tmp")])
    await b.expect("StateLog")
    await asyncio.sleep(1.0)
    wakeups = await measure_agent_epoll(b, agent.pid)
    if COMPARE:
        await compare(agent.pid, b)
    agent.stop()
    assert await agent.wait_exit() == 0
    assert wakeups <= 2 * (SECONDS / KEEPALIVE) + 1, f"{wakeups} wake-ups in {SECONDS} s"


run(main, timeout=2 * SECONDS + 60)
