#!/usr/bin/python3
# The backend dies mid-recipe: the agent reconnects, handshakes again, and
# the StateLogs arrive in order, none lost, none twice. Then the backend
# restarts on the same port, and the agent finds it again.
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h"}))
    await b.expect("Handshake")
    await b.recipe(1, [
        state("slow", "linux.cmd", cmd="sleep 1; echo slept", cwd="/tmp"),
        state("next", "linux.cmd", cmd="echo next", cwd="/tmp"),
        state("last", "meta.comment"),
    ])
    await agent.wait_log(r"state 1/3 slow \(linux.cmd\) started")
    await b.drop()  # abrupt: no close frame
    await b.wait_connection(2)
    hs = await b.expect("Handshake")
    assert hs.conn == 2, hs
    logs = [await b.expect("StateLog") for _ in range(3)]
    assert [m["id"] for m in logs] == ["slow", "next", "last"], logs
    assert all(m.conn == 2 for m in logs), "a StateLog went to the dead connection"
    assert logs[0]["state_stdout"] == "slept\n"
    await b.expect_none("StateLog", within=0.5)

    # A backend restart: same port, the agent comes back and is READY.
    await b.restart(abort=True)
    hs = await b.expect("Handshake", timeout=10)
    await b.recipe(2, [state("after", "linux.cmd", cmd="true", cwd="/tmp")])
    assert (await b.expect("StateLog"))["id"] == "after"
    agent.stop()
    assert await agent.wait_exit() == 0
    assert agent.has_log(r"WARNING .*connection to ws://127.0.0.1:\d+/agent/ lost: .*reconnecting in")


run(main)
