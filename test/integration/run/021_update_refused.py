#!/usr/bin/python3
# Self-updates that must not happen: a signature by another key (with a
# second AgentUpdate arriving while the first runs, which is ignored), a
# payload that says another version, a failed download (404, of the payload
# and of its .sig), and an agent without update_key. Each failure is logged
# with its reason, reported at once by a re-Handshake on the same connection
# with init_errors, and leaves the binary untouched: no opsagent.new, no
# opsagent.prev, no marker.
import os
import signal
from harness import *
from update_server import V2_VERSION, update_lines, update_setup


def untouched(u):
    assert u.same(u.exe, u.v1_build), "the binary changed"
    for p in (u.new, u.prev, u.marker):
        assert not os.path.exists(p), f"{p} exists"


async def refused(agent, b, conn, errors, text):
    """Waits for the log line and the re-Handshake carrying text."""
    m = await agent.wait_log("update to .*(failed|refused): ", timeout=30)
    assert text in m.string, (text, m.string)
    hs = await b.expect("Handshake", conn=conn)
    errors.append(m.string[m.string.index("update to"):])
    assert hs["init_errors"] == "; ".join(errors), (hs["init_errors"], errors)
    note(f"logged: {m.string}")
    note(f"re-Handshake init_errors: {hs['init_errors']}")


async def main():
    u = await update_setup()
    b = await start_backend()
    agent = await start_agent(write_config(**u.config(key="ec")), env={"INVOCATION_ID": None})
    await b.expect("Handshake")
    conn = b.current
    errors = []

    # Signed by another key; a second AgentUpdate meanwhile is ignored.
    bad = u.publish("bad", u.v2, key="other")
    u.server.hold("/bad")
    await b.agent_update(V2_VERSION, bad)
    await agent.wait_log(rf"update to {V2_VERSION}: downloading {bad}")
    await b.agent_update("9.9.10-test", u.publish("later", u.v2, key="ec"))
    m = await agent.wait_log(r"an update is already in progress, ignoring AgentUpdate to "
                             r"9\.9\.10-test")
    note(f"logged: {m.string}")
    u.server.release("/bad")
    await refused(agent, b, conn, errors,
                  f"update to {V2_VERSION} failed: signature does not match the pinned key")
    untouched(u)
    assert ("/later", 200) not in u.server.requests, u.server.requests

    # Correctly signed, but the binary is another version.
    old = u.publish("old", u.v1_build, key="ec")
    await b.agent_update(V2_VERSION, old)
    await refused(agent, b, conn, errors,
                  f"update to {V2_VERSION} failed: the new binary says 'opsagent "
                  f"{u.v1_version}' instead of 'opsagent {V2_VERSION}'")
    untouched(u)

    # The payload, then only its signature, cannot be downloaded.
    await b.agent_update(V2_VERSION, u.server.url("missing"))
    await refused(agent, b, conn, errors, f"update to {V2_VERSION} failed: "
                  f"{u.server.url('missing')}: HTTP 404")
    nosig = u.publish("nosig", u.v2, sig=False)
    await b.agent_update(V2_VERSION, nosig)
    await refused(agent, b, conn, errors,
                  f"update to {V2_VERSION} failed: {nosig}.sig: HTTP 404")
    untouched(u)
    assert b.current is conn, "the connection was replaced"
    # SIGHUP reconnects and re-reads the identity: the failures stay.
    agent.stop(signal.SIGHUP)
    hs = await b.expect("Handshake")
    assert b.current is not conn, "SIGHUP did not reconnect"
    assert hs["init_errors"] == "; ".join(errors), (hs["init_errors"], errors)
    note("after SIGHUP the Handshake still carries the update failures")
    agent.stop()
    assert await agent.wait_exit() == 0
    for ln in update_lines(agent):
        note("  " + ln)

    # Without update_key nothing is downloaded.
    requests = len(u.server.requests)
    agent = await start_agent(write_config(**u.config(key=None)), env={"INVOCATION_ID": None})
    await b.expect("Handshake")
    await b.agent_update(V2_VERSION, u.publish("good", u.v2, key="ec"))
    await refused(agent, b, b.current, [],
                  f"update to {V2_VERSION} refused: no update_key configured")
    assert len(u.server.requests) == requests, u.server.requests[requests:]
    untouched(u)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
