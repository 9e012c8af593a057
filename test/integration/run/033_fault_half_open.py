#!/usr/bin/python3
# Fault injection (issue 7): a half-open connection. The backend stops
# answering mid-recipe without closing (no FIN: a crashed host, a dead
# route), and a state finishes while the agent still believes in the
# connection. The agent notices after dead_after, says so in exactly one
# line:
#   WARNING no frame from ws://127.0.0.1:P/agent/ for 1500 ms: the connection
#   is dead; reconnecting in ...
# reconnects, and the StateLog it wrote into the dead connection arrives on
# the new one: every StateLog once, in order. Same process throughout, RSS
# bounded.
from harness import *
from faults import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(network={"keepalive": "200ms",
                                                    "dead_after": "1500ms"},
                                           runtime={"delay": "1h"}))
    await b.expect("Handshake")
    g = await push_gated_recipe(b)
    await until_s2_runs(agent, g)

    mark = agent.log_mark()
    b.go_silent()
    # s2 ends while the connection looks alive: its StateLog goes into the
    # dead connection, and must not be lost with it.
    open_gate(g[1])
    await agent.wait_log(r"state 2/4 s2 \(linux.cmd\) succeeded")
    await b.wait_connection(2)
    line = one_log_line(agent, r"no frame from ws://127\.0\.0\.1:\d+/agent/ for 1500 ms: "
                               r"the connection is dead; reconnecting in", mark)
    assert "WARNING" in line, line
    await agent.wait_log(r"state 3/4 s3 \(linux.cmd\) started")
    open_gate(g[2])
    logs = await expect_statelogs(b, ["s1", "s2", "s3", "s4"])
    assert [m.conn for m in logs] == [1, 2, 2, 2], logs
    assert logs[1]["state_stdout"] == "two\n", logs[1]
    # Nothing else went wrong: the only warning since the fault is that line.
    assert warnings(agent, mark) == [line], warnings(agent, mark)
    # Measured (Debian 12, x86-64): VmHWM 4.4 MiB plain, 17 MiB under ASan.
    check_memory(agent, 16, 48)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
