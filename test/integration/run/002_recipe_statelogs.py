#!/usr/bin/python3
# A recipe gives StateLogs in order with the right ids, versions and results;
# a failure restarts the round from the first state after retry_wait; a new
# recipe replaces the old one; a version-only push keeps the states.
import time
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h", "retry_wait": "300ms"}))
    await b.expect("Handshake")
    marker = os.path.join(tmpdir(), "second-ok")
    await b.recipe(3, [
        state("a", "linux.cmd", cmd="echo first", cwd="/tmp"),
        state("b", "linux.cmd", cmd=f"test -e {marker} || {{ echo missing >&2; exit 4; }}",
              cwd="/tmp"),
        state("c", "meta.comment", comment="done"),
    ])
    a = await b.expect("StateLog")
    assert (a["id"], a["recipe_version"], a["state_result"]) == ("a", 3, True), a
    assert a["state_comment"] == 'Command "echo first" run' and a["state_stdout"] == "first\n", a
    bad = await b.expect("StateLog")
    assert (bad["id"], bad["state_result"]) == ("b", False), bad
    assert bad["state_comment"].endswith("exited with status 4"), bad
    assert bad["state_stdout"] == "missing\n", bad
    t_fail = time.monotonic()
    open(marker, "w").close()
    again = await b.expect("StateLog")
    assert again["id"] == "a", again
    assert time.monotonic() - t_fail >= 0.25, "retried before retry_wait"
    assert (await b.expect("StateLog"))["id"] == "b"
    c = await b.expect("StateLog")
    assert c["id"] == "c" and c["state_result"] is True and c["state_comment"] is None, c
    await b.expect_none("StateLog", within=0.5)  # delay = 1 h: no next round

    # A new recipe starts at its first state.
    await b.recipe(4, [state("n1", "linux.cmd", cmd="true", cwd="/tmp")])
    n1 = await b.expect("StateLog")
    assert (n1["id"], n1["recipe_version"]) == ("n1", 4), n1
    # The same version again is ignored; a version-only push reruns the states.
    await b.recipe(4, [state("other", "linux.cmd", cmd="true", cwd="/tmp")])
    await b.expect_none("StateLog", within=0.5)
    await b.recipe(5, None)
    n1b = await b.expect("StateLog")
    assert (n1b["id"], n1b["recipe_version"]) == ("n1", 5), n1b
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
