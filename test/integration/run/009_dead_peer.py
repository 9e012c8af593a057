#!/usr/bin/python3
# A half-open connection (the backend stops answering, no FIN): pings go
# unanswered, and after dead_after the agent reconnects. An idle agent pings
# once per keep-alive interval.
import time
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(network={"keepalive": "200ms", "dead_after": "700ms"}))
    await b.expect("Handshake")
    conn = b.current
    await asyncio.sleep(1.1)
    # One per 200 ms, and the one that follows the Handshake (its pong
    # confirms it).
    assert 4 <= len(conn.pings) <= 7, conn.pings
    b.go_silent()
    t0 = time.monotonic()
    await b.wait_connection(2)
    elapsed = time.monotonic() - t0
    assert 0.5 <= elapsed < 3.0, elapsed
    await b.expect("Handshake", where=lambda m: m.conn == 2)
    await agent.wait_log(r"no frame from .* for 700 ms: the connection is dead")
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
