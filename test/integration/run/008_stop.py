#!/usr/bin/python3
# Stopping: SIGTERM lets the running state finish and report, then closes
# with 1001 and exits 0; a second SIGTERM kills the running state's whole
# process group; SIGUSR1 finishes the round first.
import time
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    conf = write_config(runtime={"delay": "1h"})
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(1, [state("s1", "linux.cmd", cmd="sleep 1; echo done", cwd="/tmp"),
                       state("s2", "linux.cmd", cmd="true", cwd="/tmp")])
    await agent.wait_log(r"state 1/2 s1 .* started")
    conn = b.current
    agent.stop()
    s1 = await b.expect("StateLog")
    assert (s1["id"], s1["state_result"]) == ("s1", True), s1
    assert await agent.wait_exit() == 0
    await b.wait_closed(conn)
    assert conn.close_code == 1001, conn.close_code
    assert not b.messages("StateLog", conn=conn)[1:], "s2 ran after the stop"

    # Twice: the state is killed with its children; no StateLog for it.
    marker = f"sleep 1000.{os.getpid()}"
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(2, [state("k", "linux.cmd", cmd=f"{marker} & {marker}; wait", cwd="/tmp")])
    await agent.wait_log(r"state 1/1 k .* started")
    t0 = time.monotonic()
    agent.stop()
    await agent.wait_log(r"stopping after the running state")
    agent.stop()
    assert await agent.wait_exit() == 0
    assert time.monotonic() - t0 < 5
    await b.expect_none("StateLog", within=0.3)
    ps = await asyncio.create_subprocess_exec("pgrep", "-f", marker)
    assert await ps.wait() == 1, "a child survived the stop"

    # SIGUSR1: the round is finished first.
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(3, [state("u1", "linux.cmd", cmd="sleep 0.5", cwd="/tmp"),
                       state("u2", "linux.cmd", cmd="true", cwd="/tmp")])
    await agent.wait_log(r"state 1/2 u1 .* started")
    agent.stop(signal.SIGUSR1)
    assert [(await b.expect("StateLog"))["id"] for _ in range(2)] == ["u1", "u2"]
    assert await agent.wait_exit() == 0


run(main)
