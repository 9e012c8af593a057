#!/usr/bin/python3
# The control socket: `opsagent status [--json]` shows both state machines;
# `opsagent stop [--wait|--end]` stops in each mode; the socket is 0600; a
# stale socket is replaced; a second agent on the same runtime dir refuses.
import json, stat, subprocess, time
import asyncio, os, signal
from harness import *


def cli(conf, *args):
    p = subprocess.run([os.environ["OPSAGENT"], "-c", conf, *args], capture_output=True,
                       text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr


async def main():
    b = await start_backend()
    conf = write_config(runtime={"delay": "1h"})
    sock = os.path.join(tmpdir(), "run", "opsagent.sock")
    # A stale socket file left by a crashed agent.
    os.makedirs(os.path.dirname(sock), exist_ok=True)
    open(sock, "w").close()
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await agent.wait_log(r"replaced the stale control socket")
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)

    await b.recipe(5, [state("first", "linux.cmd", cmd="echo one", cwd="/tmp"),
                       state("slow", "linux.cmd", cmd=f"sleep {2 * TIME_FACTOR:g}", cwd="/tmp"),
                       state("third", "meta.comment")])
    await b.expect("StateLog")
    await agent.wait_log(r"state 2/3 slow .* started")
    rc, out, err = await asyncio.to_thread(cli, conf, "status", "--json")
    assert rc == 0, err
    s = json.loads(out)
    assert s["ok"] is True and s["agent"]["pid"] == agent.pid, s
    assert s["connection"] == {"state": "READY", "target": b.url, "pending_statelogs": 0}, s
    w = s["worker"]
    assert (w["state"], w["recipe_version"], w["states"]) == ("RUNNING", 5, 3), w
    assert w["current"] == {"index": 2, "id": "slow", "module": "linux.cmd"}, w
    assert abs(w["since"] - time.time()) < 5 and w["next_round"] is None, w
    r1 = w["results"][0]
    assert (r1["id"], r1["result"], r1["comment"]) == ("first", True, 'Command "echo one" run'), r1
    assert w["results"][1]["result"] is None, w
    rc, out, err = await asyncio.to_thread(cli, conf, "status")
    assert rc == 0 and "state:       2/3 slow (linux.cmd)" in out, out
    assert "connection:  READY" in out and "1 first (linux.cmd): ok at" in out, out

    # A second agent on the same runtime dir refuses to start.
    second = await start_agent(conf)
    assert await second.wait_exit() == 75
    assert second.has_log(r"another opsagent is running with the runtime dir")

    # stop --wait: the running state finishes and reports; nothing after.
    rc, out, err = await asyncio.to_thread(cli, conf, "stop", "--wait")
    assert rc == 0 and out.strip() == "stop requested (wait)", (out, err)
    slow = await b.expect("StateLog")
    assert slow["id"] == "slow", slow
    assert await agent.wait_exit() == 0
    assert not os.path.exists(sock), "the socket was left behind"
    await b.expect_none("StateLog", within=0.3)
    rc, out, err = await asyncio.to_thread(cli, conf, "status")
    assert rc == 69 and "no agent is running" in err, err

    # stop (now): the running state is killed, nothing is reported.
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(6, [state("long", "linux.cmd", cmd="sleep 30", cwd="/tmp")])
    await agent.wait_log(r"state 1/1 long .* started")
    rc, out, err = await asyncio.to_thread(cli, conf, "stop")
    assert rc == 0 and "stop requested (now)" in out, out
    assert await agent.wait_exit(timeout=5) == 0
    await b.expect_none("StateLog", within=0.3)

    # stop --end: the round finishes first, and the delay is skipped.
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(7, [state("e1", "linux.cmd", cmd="sleep 0.5", cwd="/tmp"),
                       state("e2", "meta.comment")])
    await agent.wait_log(r"state 1/2 e1 .* started")
    rc, out, err = await asyncio.to_thread(cli, conf, "stop", "--end")
    assert rc == 0, err
    assert [(await b.expect("StateLog"))["id"] for _ in range(2)] == ["e1", "e2"]
    assert await agent.wait_exit() == 0


run(main)
