#!/usr/bin/python3
# Hostile input from the backend: invalid JSON (1007), invalid UTF-8 (1007),
# a binary frame (1003), an oversize message (1009), a JSON array, an
# unknown code, JSON nested 100,000 deep, 1,000 garbage messages. Each is
# logged and handled per protocol.md (ignored messages: one warning, then one
# line counting those of the next second); the running recipe goes on.
import asyncio, os, signal
from harness import *


async def closed_with(b, agent, code, line):
    conn = b.current
    await b.wait_closed(conn)
    # The agent closes TCP once its close frame is written; data of the
    # backend's still unread then makes that a reset, which can destroy the
    # close frame before the backend reads it (rare, on a busy machine).
    # The agent's line says which code it sent.
    assert conn.close_code in (code, None), (conn.close_code, code)
    await agent.wait_log(r"WARNING " + line + "; reconnecting in")
    await b.expect("Handshake", where=lambda m: m.conn != conn.id)


async def main():
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "1h", "max_message": "300000"}))
    await b.expect("Handshake")
    await b.recipe(1, [state("long", "linux.cmd", cmd="sleep 2; echo survived", cwd="/tmp"),
                       state("after", "meta.comment")])
    await agent.wait_log(r"state 1/2 long \(linux.cmd\) started")

    # Ignored, the connection stays.
    conn = b.current
    await b.push([1, 2, 3])
    await b.push({"code": "NoSuchCode", "x": 1})
    await b.push({"recipe_version": 3})
    await b.push({"code": "RecipeMetadata", "recipe_version": 0, "state": []})
    await b.send_nested(100000)
    for i in range(1000):
        await b.send_text('{"code": "Garbage%d"}' % i)
    # The first is a warning; the others, within a second of it, are
    # debug lines, and one warning counts them.
    await agent.wait_log(r"WARNING ignoring a message from the backend: not a JSON object but array")
    await agent.wait_log(r"DEBUG +ignoring a message from the backend: unknown code 'NoSuchCode'")
    await agent.wait_log(r"DEBUG +rejected a message from the backend: RecipeMetadata: "
                         r"'recipe_version' must be a positive integer")
    await agent.wait_log(r"DEBUG +rejected a message from the backend: JSON nested deeper than 64")
    await agent.wait_log(r"Garbage999")
    await agent.wait_log(r"WARNING ignored \d+ more messages from the backend in the last 1 s; "
                         r"the last: unknown code 'Garbage999'")
    assert b.current is conn and not conn.closed_by, "the connection was closed"

    # Closed with the protocol's codes; the agent reconnects each time.
    lost = r"connection to \S+ lost: the backend "
    await b.send_text("{not json")
    await closed_with(b, agent, 1007, r"closed the connection after invalid JSON \(1007\)")
    await b.send_invalid_utf8_text()
    await closed_with(b, agent, 1007, lost + r"sent text that is not UTF-8 \(closed with 1007\)")
    await b.send_binary(b"\x00\x01")
    await closed_with(b, agent, 1003, lost + r"sent a binary message \(closed with 1003\)")
    await b.send_oversize(400000)
    await closed_with(b, agent, 1009, lost + r"sent a message over max_message \(300000 bytes; "
                                      r"closed with 1009\)")

    # The recipe was never disturbed: both StateLogs arrive, in order.
    long = await b.expect("StateLog", timeout=10)
    assert (long["id"], long["state_stdout"]) == ("long", "survived\n"), long
    assert (await b.expect("StateLog"))["id"] == "after"
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
