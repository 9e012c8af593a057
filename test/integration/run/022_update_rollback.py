#!/usr/bin/python3
# Rollback. (1) An update (RSA signature) installs the 9.9.9-test build, but
# the backend refuses its upgrade requests, so it never reaches READY: when
# update_deadline (2 s) is over it restores opsagent.prev over opsagent,
# removes the marker, logs at crit and executes the previous binary again,
# which connects as before. (2) `opsagent.prev rollback-check`, systemd's
# ExecStartPre: it counts the starts of the new binary in the marker and
# restores the previous one on the fourth, or at once when the deadline has
# passed; without a marker it does nothing. (3) Under systemd the new
# binary exits 1 after the rollback instead of executing itself.
import json
import os
import shutil
import time
from harness import *
from update_server import V2_VERSION, update_lines, update_setup


async def deadline_rollback(u, b):
    conf = write_config(**u.config(key="rsa", runtime={"update_deadline": "2s"}))
    agent = await start_agent(conf, env={"INVOCATION_ID": None})
    hs1 = await b.expect("Handshake")
    url = u.publish(f"opsagent-{V2_VERSION}", u.v2, key="rsa")
    await b.agent_update(V2_VERSION, url)
    b.refuse_upgrades = 403  # the open connection stays; the new binary cannot connect
    await agent.wait_log(rf"update to {V2_VERSION}: installed opsagent {V2_VERSION}", timeout=30)
    await agent.wait_log(rf"executing {u.exe} again")
    await agent.wait_log(rf"update to {V2_VERSION} \(from {u.v1_version}\): READY within [12] s")
    await agent.wait_log(rf"opsagent {V2_VERSION} starting")
    t0 = time.monotonic()
    await b.wait_requests(2)
    m = await agent.wait_log(rf"CRIT.*update to {V2_VERSION} did not reach READY in 2 s: "
                             rf"rolled back to {u.v1_version}", timeout=15)
    note(f"rolled back {time.monotonic() - t0:.1f} s after the new binary started: {m.string}")
    b.refuse_upgrades = None
    await agent.wait_log(rf"executing {u.exe} again")
    await agent.wait_log(rf"opsagent {u.v1_version} starting")
    hs2 = await b.expect("Handshake", timeout=15)
    assert hs2["agent_version"] == u.v1_version and hs2.conn != hs1.conn, hs2
    assert agent.returncode is None, "the agent exited instead of executing itself"
    assert u.same(u.exe, u.v1_build), "the previous binary was not restored"
    assert u.same(u.prev, u.v1_build), "opsagent.prev changed"
    assert not os.path.exists(u.marker), "the marker is still there"
    assert not agent.has_log("confirmed"), "the update was confirmed"
    note("log lines of the rollback:")
    for ln in update_lines(agent):
        note("  " + ln)
    agent.stop()
    assert await agent.wait_exit() == 0
    return conf


def pending(u, deadline, attempts=0, window=2):
    """The state after an update to V2: the new binary in place, the old
    one as opsagent.prev, the marker (deadline 0: not started yet)."""
    shutil.copy2(u.v2, u.exe)
    shutil.copy2(u.v1_build, u.prev)
    with open(u.marker, "w") as f:
        json.dump({"version": V2_VERSION, "previous_version": u.v1_version,
                   "deadline": int(deadline), "attempts": attempts,
                   "window": window}, f)


async def rollback_check(conf):
    """Runs opsagent.prev rollback-check; returns its last log line."""
    agent = await start_agent(conf, command="rollback-check")
    assert await agent.wait_exit() == 0, agent.tail()
    return agent.stderr_lines[-1] if agent.stderr_lines else ""


async def attempts_rollback(u, conf):
    os.environ["OPSAGENT"] = u.prev  # ExecStartPre=-/usr/bin/opsagent.prev rollback-check
    pending(u, time.time() + 3600)
    for n in (1, 2, 3):
        line = await rollback_check(conf)
        assert f"update to {V2_VERSION}: start {n} of at most 3" in line, line
        note(f"rollback-check #{n}: {line}")
        with open(u.marker) as f:
            assert json.load(f)["attempts"] == n
        assert u.same(u.exe, u.v2), "rolled back too early"
    line = await rollback_check(conf)
    note(f"rollback-check #4: {line}")
    assert (f"update to {V2_VERSION} did not reach READY (start 4 of at most 3): restored "
            f"{u.exe} ({u.v1_version}) from {u.prev}") in line, line
    assert u.same(u.exe, u.v1_build) and not os.path.exists(u.marker)
    line = await rollback_check(conf)
    assert u.same(u.exe, u.v1_build) and "no update pending" in line, line

    # Installed an hour ago (the old agent's stop waited for a long state):
    # the window starts at the first start, not at the install.
    pending(u, 0, window=600)
    line = await rollback_check(conf)
    note(f"rollback-check of a marker not started yet: {line}")
    assert f"update to {V2_VERSION}: start 1 of at most 3, 600 s left" in line, line
    with open(u.marker) as f:
        assert abs(json.load(f)["deadline"] - (time.time() + 600)) < 5
    assert u.same(u.exe, u.v2), "rolled back a marker that had not started"

    # The deadline passed: restored on the first start.
    pending(u, time.time() - 10)
    line = await rollback_check(conf)
    note(f"rollback-check after the deadline: {line}")
    assert "did not reach READY (its deadline passed" in line, line
    assert u.same(u.exe, u.v1_build) and not os.path.exists(u.marker)


async def systemd_rollback(u, b, conf):
    """Under systemd the new binary exits 1 after restoring the old one."""
    os.environ["OPSAGENT"] = u.exe
    pending(u, time.time() + 2)
    b.refuse_upgrades = 403
    agent = await start_agent(conf, env={"INVOCATION_ID": "0123456789abcdef"})
    await agent.wait_log(rf"opsagent {V2_VERSION} starting")
    m = await agent.wait_log(rf"CRIT.*update to {V2_VERSION} did not reach READY in 2 s: "
                             rf"rolled back to {u.v1_version}; restarting through systemd")
    note(f"under systemd: {m.string}")
    assert await agent.wait_exit() == 1
    assert u.same(u.exe, u.v1_build) and not os.path.exists(u.marker)
    b.refuse_upgrades = None


async def main():
    u = await update_setup()
    b = await start_backend()
    conf = await deadline_rollback(u, b)
    await attempts_rollback(u, conf)
    await systemd_rollback(u, b, conf)


run(main)
