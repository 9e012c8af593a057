#!/usr/bin/python3
# A good self-update (ECDSA P-256 signature): the agent, run from a copy in
# the test's bin/, downloads the 9.9.9-test build over https, verifies it,
# keeps the old binary as opsagent.prev, installs the new one, lets the
# running state finish and report (stop mode "wait"), closes with 1001 and
# executes itself again in the foreground (same pid); the new binary
# handshakes as 9.9.9-test and, once READY, removes the marker.
import os
import shutil
import stat
from harness import *
from update_server import V2_VERSION, update_lines, update_setup


async def main():
    u = await update_setup()
    b = await start_backend()
    conf = write_config(**u.config(runtime={"update_deadline": "30s", "delay": "1h"}))
    agent = await start_agent(conf, env={"INVOCATION_ID": None})
    hs1 = await b.expect("Handshake")
    assert hs1["agent_version"] == u.v1_version, hs1
    conn1 = b.current
    url = u.publish(f"opsagent-{V2_VERSION}", u.v2, key="ec")

    # A state is running when the update arrives: it finishes and reports.
    # (It must outlast the download and checks, slower under valgrind.)
    await b.recipe(1, [state("s1", "linux.cmd", cmd=f"sleep {3 * TIME_FACTOR:g}; echo slept",
                             cwd="/tmp")])
    await agent.wait_log(r"state 1/1 s1 .* started")
    await b.agent_update(V2_VERSION, url)
    await agent.wait_log(rf"update to {V2_VERSION}: downloading {url}")
    await agent.wait_log(rf"update to {V2_VERSION}: installed opsagent {V2_VERSION} over "
                         rf"{u.exe} \(was {u.v1_version}, kept as {u.prev}\); restarting in place",
                         timeout=30)
    log = await b.expect("StateLog")
    assert (log["id"], log["state_result"]) == ("s1", True), log
    installed = agent.has_log(r"installed opsagent").string
    finished = agent.has_log(r"state 1/1 s1 .* succeeded").string
    assert agent.stderr_lines.index(installed) < agent.stderr_lines.index(finished), \
        "the state was not running any more when the update was installed"
    await b.wait_closed(conn1)
    assert (conn1.close_code, conn1.closed_by) == (1001, "agent"), conn1.close_code
    await agent.wait_log(rf"executing {u.exe} again")
    m = await agent.wait_log(rf"update to {V2_VERSION} \(from {u.v1_version}\): READY within "
                             rf"\d+ s or back to {u.v1_version}")
    note(f"the new binary found the marker: {m.string}")
    await agent.wait_log(rf"opsagent {V2_VERSION} starting \(service\)")

    # The same process (execv), now the new version, connects again.
    hs2 = await b.expect("Handshake", timeout=15)
    assert hs2.conn != hs1.conn, "the second Handshake came on the old connection"
    assert hs2["agent_version"] == V2_VERSION, hs2
    assert hs2["instance_token"] == hs1["instance_token"], "the token changed"
    assert hs2["init_errors"] is None, hs2
    assert agent.returncode is None, "the agent exited instead of executing itself"
    await agent.wait_log(rf"update to {V2_VERSION} confirmed")
    assert not os.path.exists(u.marker), "the marker is still there after READY"

    # The files: the new binary in place with the old mode, the old one kept.
    assert u.same(u.exe, u.v2), "opsagent is not the new binary"
    assert u.same(u.prev, u.v1_build), "opsagent.prev is not the old binary"
    assert stat.S_IMODE(os.stat(u.exe).st_mode) == 0o755, oct(os.stat(u.exe).st_mode)
    assert not os.path.exists(u.new), "opsagent.new was left behind"
    assert [p for p, _ in u.server.requests] == [f"/opsagent-{V2_VERSION}",
                                                 f"/opsagent-{V2_VERSION}.sig"], u.server.requests

    note("log lines of the update cycle:")
    for ln in update_lines(agent):
        note("  " + ln)
    agent.stop()
    assert await agent.wait_exit() == 0
    assert u.same(u.exe, u.v2)

    # Under systemd ($INVOCATION_ID set) the agent exits 0 after installing,
    # and Restart=always starts the new binary, which confirms.
    shutil.copy2(u.v1_build, u.exe)
    os.unlink(u.prev)
    agent = await start_agent(conf, env={"INVOCATION_ID": "0123456789abcdef"})
    await b.expect("Handshake")
    await b.agent_update(V2_VERSION, url)
    m = await agent.wait_log(rf"update to {V2_VERSION}: installed .*; restarting through systemd",
                             timeout=30)
    note(f"under systemd: {m.string}")
    assert await agent.wait_exit(30) == 0
    assert not agent.has_log("executing"), "it executed itself under systemd"
    assert u.same(u.exe, u.v2) and u.same(u.prev, u.v1_build) and os.path.exists(u.marker)
    agent = await start_agent(conf, env={"INVOCATION_ID": "fedcba9876543210"})
    hs3 = await b.expect("Handshake")
    assert hs3["agent_version"] == V2_VERSION, hs3
    await agent.wait_log(rf"update to {V2_VERSION} confirmed")
    assert not os.path.exists(u.marker)
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
