#!/usr/bin/python3
# opsagent check: connects, handshakes, answers Test with the Handshake's
# fields, and exits with the TestAns result.
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(), command="check")
    hs = await b.expect("Handshake")
    await b.test_probe()
    t = await b.expect("Test")
    assert set(t.obj) == set(hs.obj), t.obj
    assert t["instance_token"] == hs["instance_token"]
    await b.test_ans(True)
    assert await agent.wait_exit() == 0
    await agent.wait_log(r"installation test passed")

    agent = await start_agent(write_config(), command="check")
    await b.expect("Handshake")
    await b.test_ans(False, "instance not registered")
    assert await agent.wait_exit() == 1
    assert agent.has_log(r"installation test failed: instance not registered")


run(main)
