#!/usr/bin/python3
# AppNotReady: the agent re-reads its identity and sends a new Handshake on
# the same connection after handshake_retry, without blocking its loop.
import time
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend(app_not_ready_first=2)
    agent = await start_agent(write_config(network={"handshake_retry": "400ms",
                                                    "keepalive": "100ms"}))
    first = await b.expect("Handshake")
    t0 = time.monotonic()
    second = await b.expect("Handshake")
    t1 = time.monotonic()
    third = await b.expect("Handshake")
    t2 = time.monotonic()
    assert 0.35 <= t1 - t0 < 2.0 and 0.35 <= t2 - t1 < 2.0, (t1 - t0, t2 - t1)
    assert first.conn == second.conn == third.conn, "a new connection was opened"
    # The loop kept running while it waited: pings went on.
    conn = b.connections[first.conn - 1]
    assert len(conn.pings) >= 3, conn.pings
    await agent.wait_log(r"app is not ready; Handshake again in 400 ms")
    await b.recipe(1, [state("s", "linux.cmd", cmd="true", cwd="/tmp")])
    assert (await b.expect("StateLog"))["id"] == "s"
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
