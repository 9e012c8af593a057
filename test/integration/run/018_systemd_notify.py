#!/usr/bin/python3
# sd_notify: READY=1 once the loop runs, STATUS= on state changes of both
# machines, WATCHDOG=1 at half of WatchdogSec, STOPPING=1 on stop; a
# NOTIFY_SOCKET receiver records them.
import socket, time
import asyncio, os, signal
from harness import *


async def main():
    path = os.path.join(tmpdir(), "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    got = []

    async def receive():
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(sock, 4096)
            got.append((time.monotonic(), data.decode()))

    task = asyncio.create_task(receive())
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h"}),
                              env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    await b.expect("Handshake")
    await b.recipe(3, [state("s1", "linux.cmd", cmd="sleep 0.3", cwd="/tmp")])
    await b.expect("StateLog")
    await asyncio.sleep(1.0)
    agent.stop()
    assert await agent.wait_exit() == 0
    await asyncio.sleep(0.1)
    task.cancel()
    msgs = [m for _, m in got]
    note("notifications: " + " | ".join(sorted(set(m for m in msgs if not m.startswith("WATCHDOG")))))
    assert "READY=1" in msgs[:3], msgs[:3]  # as soon as the loop runs
    statuses = [m for m in msgs if m.startswith("STATUS=")]
    assert any("connection READY" in m for m in statuses), statuses
    assert any("recipe 3: RUNNING 1/1 s1" in m for m in statuses), statuses
    assert any("recipe 3: DELAY" in m for m in statuses), statuses
    dogs = [t for t, m in got if m == "WATCHDOG=1"]
    assert len(dogs) >= 4, len(dogs)  # every 200 ms for ~1.5 s
    assert "STOPPING=1" in msgs, msgs[-5:]


run(main)
