#!/usr/bin/python3
# REPORTING: a state is done once its StateLog is handed to a READY
# connection. While the backend is unreachable the worker waits in
# REPORTING (status shows it) and resumes on reconnect: nothing is lost,
# nothing runs ahead.
import json, subprocess
import asyncio, os, signal
from harness import *


def status(conf):
    p = subprocess.run([os.environ["OPSAGENT"], "-c", conf, "status", "--json"],
                       capture_output=True, text=True, timeout=10)
    return json.loads(p.stdout)


async def main():
    b = await start_backend()
    port = b.port
    conf = write_config(runtime={"delay": "1h"})
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(1, [state("s1", "linux.cmd", cmd="sleep 0.5", cwd="/tmp"),
                       state("s2", "linux.cmd", cmd=f"touch {tmpdir()}/s2-ran", cwd="/tmp")])
    await agent.wait_log(r"state 1/2 s1 .* started")
    await b.stop(abort=True)
    await agent.wait_log(r"state 1/2 s1 .* succeeded")
    await asyncio.sleep(0.3)
    s = await asyncio.to_thread(status, conf)
    assert s["worker"]["state"] == "REPORTING", s["worker"]
    assert s["connection"]["state"] != "READY", s["connection"]
    assert not os.path.exists(f"{tmpdir()}/s2-ran"), "s2 ran before s1 was reported"
    await b.start(port=port)
    s1 = await b.expect("StateLog", timeout=5)
    s2 = await b.expect("StateLog")
    assert [s1["id"], s2["id"]] == ["s1", "s2"], (s1, s2)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
