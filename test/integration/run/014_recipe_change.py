#!/usr/bin/python3
# Recipe changes (protocol.md): the first round starts at once; a new
# version lets the running state finish (not killed) and starts the new
# recipe at its first state; a pending wait or the delay is cancelled; the
# done-list is cleared.
import time
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h"}))
    await b.expect("Handshake")
    t0 = time.monotonic()
    await b.recipe(1, [state("a", "linux.cmd", cmd="sleep 1; echo finished", cwd="/tmp"),
                       state("b", "linux.cmd", cmd="true", cwd="/tmp")])
    await agent.wait_log(r"state 1/2 a .* started")
    assert time.monotonic() - t0 < 1.0, "the first round did not start at once"
    await b.recipe(2, [state("n1", "linux.cmd", cmd="true", cwd="/tmp")])
    a = await b.expect("StateLog")
    assert (a["id"], a["recipe_version"], a["state_stdout"]) == ("a", 1, "finished\n"), a
    n1 = await b.expect("StateLog")
    assert (n1["id"], n1["recipe_version"]) == ("n1", 2), n1  # b never ran
    await b.expect_none("StateLog", within=0.3)

    # A new version during the delay starts at once.
    await agent.wait_log(r"round of recipe version 2 finished; next round in 60 min")
    await b.recipe(3, [state("d1", "linux.cmd", cmd="true", cwd="/tmp")])
    d1 = await b.expect("StateLog", timeout=2)
    assert (d1["id"], d1["recipe_version"]) == ("d1", 3), d1

    # A pending wait is cancelled without a report; the done-list is cleared.
    await b.recipe(4, [state("w", "meta.wait", state=["x"]), state("after", "meta.comment")])
    await b.state_done(4, "w")
    assert (await b.expect("StateLog"))["id"] == "w"
    assert (await b.expect("StateLog"))["id"] == "after"
    await b.recipe(5, [state("w", "meta.wait", state=["x"]), state("after5", "meta.comment")])
    await agent.wait_log(r"state 1/2 w \(meta.wait\) started")
    await b.expect_none("StateLog", within=0.5)  # v4's done "w" does not count for v5
    await b.recipe(6, [state("z", "meta.comment")])
    z = await b.expect("StateLog")
    assert (z["id"], z["recipe_version"]) == ("z", 6), z  # the wait left no StateLog
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
