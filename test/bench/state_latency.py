#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Latency from a `State` push to the start of the next state's child
(run by hand, not in CI):

    OPSAGENT=build-gcc/opsagent /usr/bin/python3 test/bench/state_latency.py [ROUNDS]

Each round pushes a recipe [meta.wait w, linux.cmd true]; once the agent
waits, the backend sends State(w) and notes the wall-clock time right after
the frame was written (time.monotonic()). perf records the agent's
clone/clone3 calls (the agent's own threads, not its children) with the
kernel's CLOCK_MONOTONIC stamp on entry: the time the agent forked the
state's child. Prints median, p90 and max over ROUNDS (default 200)."""
import asyncio, os, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import distribution, first_after, fork_times, perf_forks, print_header, stop_perf  # noqa: E402
from harness import run, start_agent, start_backend, state, tmpdir, write_config  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 200


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h"}), verbose=False)
    await b.expect("Handshake")
    trace = os.path.join(tmpdir(), "forks.perf")
    rec = await perf_forks(agent.pid, trace)
    pushes = []
    for i in range(1, ROUNDS + 1):
        await b.recipe(i, [state("w", "meta.wait", state=["x"]),
                           state("c", "linux.cmd", cmd="true", cwd="/tmp")])
        await asyncio.sleep(0.02)  # let the agent reach WAITING
        await b.state_done(i, "w")
        pushes.append(time.monotonic())
        await b.expect("StateLog", where=lambda m, i=i: m["id"] == "c" and m["recipe_version"] == i)
    await stop_perf(rec)
    execs = fork_times(trace)
    assert len(execs) >= ROUNDS, (len(execs), ROUNDS)
    lat = []
    for t in pushes:
        f = first_after(execs, t)
        lat.append((f - t) * 1000 if f is not None else float("inf"))
    print_header(f"State push -> next state's child forked, {ROUNDS} rounds:")
    print(f"  median {statistics.median(lat):.3f} ms ({distribution(lat, points=(0, 90, 100))}); "
          f"target 2 ms, ratio {statistics.median(lat) / 2:.2f}")
    agent.stop()
    await agent.wait_exit()


run(main, timeout=ROUNDS * 2 + 60)
