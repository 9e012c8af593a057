#!/usr/bin/python3
# meta.wait blocks the recipe until the backend sends State with the wait's
# own id; after a reconnect while waiting the agent asks with WaitQuery, and
# a WaitList answer releases it.
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h"}))
    await b.expect("Handshake")
    await b.recipe(7, [state("before", "linux.cmd", cmd="true", cwd="/tmp"),
                       state("w", "meta.wait", state=["remote-1"]),
                       state("after", "linux.cmd", cmd="true", cwd="/tmp")])
    assert (await b.expect("StateLog"))["id"] == "before"
    await b.expect_none("StateLog", within=0.5)
    await b.state_done(6, "w")       # another version: ignored
    await b.state_done(7, "other")   # another id: ignored
    await b.expect_none("StateLog", within=0.5)
    await b.state_done(7, "w")
    w = await b.expect("StateLog")
    assert (w["id"], w["state_result"], w["state_comment"]) == ("w", True, "Wait satisfied"), w
    assert (await b.expect("StateLog"))["id"] == "after"

    # Waiting across a reconnect: WaitQuery, then WaitList.
    await b.recipe(8, [state("w2", "meta.wait", state=["remote-2"])])
    await agent.wait_log(r"state 1/1 w2 \(meta.wait\) started")
    await b.drop()
    q = await b.expect("WaitQuery")
    assert (q["recipe_version"], q["app_id"], q["instance_id"]) == (8, "app-test", "i-test"), q
    await b.wait_list(8, ["w2"])
    w2 = await b.expect("StateLog")
    assert (w2["id"], w2["state_comment"]) == ("w2", "Wait satisfied"), w2
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
