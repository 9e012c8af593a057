#!/usr/bin/python3
# Fault injection (issue 7): the backend dies mid-recipe. Its process goes
# away (the connection ends without a close frame), the port refuses
# connections for a while, a state finishes meanwhile, and the backend comes
# back on the same port. The agent survives, says what happened in exactly
# one line for the loss and one for the refused attempts (the repeats are
# info lines, not warnings):
#   WARNING connection to ws://127.0.0.1:P/agent/ lost: the backend closed
#           the connection (or: connection reset by peer); reconnecting in ...
#   WARNING connection to ws://127.0.0.1:P/agent/ failed: cannot connect to
#           127.0.0.1:P: connection refused; reconnecting in ...
# and every StateLog arrives once, in order. (005 covers a drop and a restart
# without a state ending while the backend is away.)
from harness import *
from faults import *


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(network={"reconnect_max": "200ms"},
                                           runtime={"delay": "1h"}))
    await b.expect("Handshake")
    g = await push_gated_recipe(b)
    await until_s2_runs(agent, g)

    mark = agent.log_mark()
    await kill(b)
    # A reset when the dying backend had not read all the agent sent.
    lost = await agent.wait_log(r"WARNING connection to \S+ lost: (the backend closed the "
                                r"connection|connection reset by peer); reconnecting in")
    refused = r"connection to \S+ failed: cannot connect to 127\.0\.0\.1:\d+: connection refused"
    await agent.wait_log(r"WARNING +" + refused)
    open_gate(g[1])  # s2 ends while the backend is away
    await agent.wait_log(r"state 2/4 s2 \(linux.cmd\) succeeded")
    for _ in range(3):
        await agent.wait_log(r"INFO +" + refused)
    await b.restart()
    await agent.wait_log(r"state 3/4 s3 \(linux.cmd\) started")
    open_gate(g[2])
    logs = await expect_statelogs(b, ["s1", "s2", "s3", "s4"])
    assert [m.conn for m in logs] == [1, 2, 2, 2], logs

    assert one_log_line(agent, r"WARNING connection to .* lost:", mark) == lost.string
    one_log_line(agent, r"WARNING " + refused, mark)
    assert len(log_lines(agent, r"INFO +" + refused, mark)) >= 3
    assert len(warnings(agent, mark)) == 2, warnings(agent, mark)
    # Measured (Debian 12, x86-64): VmHWM 4.4 MiB plain, 18 MiB under ASan.
    check_memory(agent, 16, 48)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
