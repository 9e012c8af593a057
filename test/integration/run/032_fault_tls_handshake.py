#!/usr/bin/python3
# Fault injection (issue 7): the backend dies mid-TLS-handshake. Over wss,
# through a fault proxy, the connection is lost mid-recipe and the next
# attempts meet a backend that accepts TCP and then closes without a word,
# sends the first 60 bytes of its ServerHello and closes (FIN), does the same
# and resets (RST), and does the same and then says nothing more. The agent
# survives each, says what happened in exactly one line per attempt:
#   WARNING connection to wss://localhost:P/agent/ lost: the backend closed
#           the connection (or: connection reset by peer)
#   WARNING connection to wss://localhost:P/agent/ failed: the backend closed
#           the connection during the TLS handshake
#   INFO    (the same: a cause that repeats is not a warning again)
#   WARNING connection to wss://localhost:P/agent/ failed: connection reset
#           by peer during the TLS handshake
#   WARNING connecting to wss://localhost:P/agent/ timed out after 3 s
# (each ending "; reconnecting in ..."), then connects, and every StateLog
# arrives once, in order.
import re
from harness import *
from faults import *


# The attempt deadline; a slow agent (valgrind) needs longer for a TLS
# handshake at all.
TIMEOUT_S = int(3 * TIME_FACTOR)


async def main():
    b = await start_backend(tls=True)
    fp = await start_fault_proxy(b)
    agent = await start_agent(write_config(userdata={"ws_uri": fp.url},
                                           network={"ca_file": certs().ca_cert,
                                                    "connect_timeout": f"{TIMEOUT_S}s",
                                                    "reconnect_max": "100ms"},
                                           runtime={"delay": "1h"}))
    await b.expect("Handshake")
    g = await push_gated_recipe(b)
    await until_s2_runs(agent, g)

    mark = agent.log_mark()
    fp.plan = ["close", ("tls", 60, "close"), ("tls", 60, "reset"), ("tls", 60, "stall")]
    await b.drop()
    await fp.wait_accepts(5)
    open_gate(g[1])  # s2 ends during the stalled handshake
    await b.wait_connection(2, timeout=10)
    await agent.wait_log(r"state 3/4 s3 \(linux.cmd\) started")
    open_gate(g[2])
    logs = await expect_statelogs(b, ["s1", "s2", "s3", "s4"])
    assert [m.conn for m in logs] == [1, 2, 2, 2], logs
    # Through the proxy, the end of the dropped connection may come as a
    # reset (data from the agent was still unread there).
    expected = [r"WARNING connection to \S+ lost: (the backend closed the connection|"
                r"connection reset by peer);",
                r"WARNING connection to \S+ failed: the backend closed the connection during the "
                r"TLS handshake;",
                r"INFO +connection to \S+ failed: the backend closed the connection during the "
                r"TLS handshake;",
                r"WARNING connection to \S+ failed: connection reset by peer during the TLS "
                r"handshake;",
                rf"WARNING connecting to \S+ timed out after {TIMEOUT_S} s;"]
    lines = log_lines(agent, r"(WARNING|INFO) +connect.*; reconnecting in", mark)
    assert len(lines) == len(expected), lines
    for rx, ln in zip(expected, lines):
        assert re.search(rx, ln), (rx, ln)
    assert len(warnings(agent, mark)) == 4, warnings(agent, mark)
    t0, _, t1 = fp.accepted[4]  # the stalled handshake lasted connect_timeout
    assert TIMEOUT_S - 0.5 < t1 - t0 < TIMEOUT_S + 2 * TIME_FACTOR, fp.dump()
    # Measured (Debian 12, x86-64): VmHWM 4.8 MiB plain, 24 MiB under ASan.
    check_memory(agent, 16, 48)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
