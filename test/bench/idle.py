#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Idle footprint of a connected agent, measured (run by hand, not in CI):

    OPSAGENT=build-gcc/opsagent /usr/bin/python3 test/bench/idle.py [SECONDS] [KEEPALIVE]

Starts the fake backend over wss, connects a non-sanitized agent with a
recipe loaded and waiting in DELAY, then for SECONDS (default 60) counts
the agent's epoll_wait returns with strace and samples its RSS. Prints the
figures. Each keep-alive interval costs two wake-ups: the ping timer, and
the pong arriving. The script fails if the loop wakes for anything else."""
import asyncio, os, re, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../backend"))
from harness import *  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
KEEPALIVE = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


async def main():
    b = await start_backend(tls=True)
    conf = write_config(network={"ca_file": certs().ca_cert, "keepalive": f"{int(KEEPALIVE * 1000)}ms",
                                 "dead_after": f"{int(KEEPALIVE * 2500)}ms"},
                        runtime={"delay": "1h"})
    agent = await start_agent(conf, verbose=False)
    await b.expect("Handshake")
    await b.recipe(1, [state("s", "linux.cmd", cmd="true", cwd="/tmp")])
    await b.expect("StateLog")
    await asyncio.sleep(1.0)
    pid = agent.proc.pid
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
    agent.stop()
    assert await agent.wait_exit() == 0
    assert wakeups <= 2 * (SECONDS / KEEPALIVE) + 1, f"{wakeups} wake-ups in {SECONDS} s"


run(main, timeout=SECONDS + 60)
