#!/usr/bin/python3
# With the backend gone, reconnect delays grow within the configured window,
# each wait is logged with the time of the next attempt, and a repeating
# failure warns only once.
import re
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    port = b.port
    agent = await start_agent(write_config(network={"reconnect_min": "100ms",
                                                    "reconnect_max": "800ms"}))
    await b.expect("Handshake")
    await b.stop(abort=True)
    for _ in range(8):
        await agent.wait_log(r"reconnecting in \d+ (ms|s) \(at \d\d:\d\d:\d\d\)", timeout=5)
    delays = []
    for line in agent.stderr_lines:
        m = re.search(r"reconnecting in (\d+) (ms|s)", line)
        if m:
            delays.append(int(m.group(1)) * (1000 if m.group(2) == "s" else 1))
    assert all(d <= 800 for d in delays), delays
    note(f"reconnect delays (ms): {delays}")
    warnings = [l for l in agent.stderr_lines if "WARNING" in l and "reconnecting in" in l]
    assert len(warnings) <= 3, warnings  # lost, refused (repeats are INFO)
    await b.start(port=port)
    await b.expect("Handshake", timeout=5)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
