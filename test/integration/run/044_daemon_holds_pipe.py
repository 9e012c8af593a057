#!/usr/bin/python3
# Fault injection (issue 7): a child starts a daemon that holds its output
# pipe (and, for an external module, the result pipe on fd 3) and exits.
# The state ends when the child exits, not when the pipes close: it is
# reported at once with what the child wrote, the later states and the
# next round run. One daemon floods the pipe without a pause, so that
# reading "what the pipe already holds" at the child's exit must not chase
# it. The daemons are left running, as a daemon should be.
#
# Log lines (the states succeed; nothing else is to be said):
#   state 1/3 daemon (linux.cmd) succeeded in N ms: Command "..." run
#   state 2/3 ext (test.daemon) succeeded in N ms: daemon started
import os, re, signal, subprocess
from harness import *
from localfault import *

# Peak RSS (VmHWM) measured at 18-19 MiB in the ASan build and 4.5 MiB in
# RelWithDebInfo; the bounds allow about twice and three times that.
HWM_ASAN_KB, HWM_PLAIN_KB = 40_000, 15_000

# An external module: its result on fd 3, then a daemon that keeps stdout,
# stderr and fd 3 open.
MODULE = """#!/bin/sh
cat >/dev/null
echo "module output"
printf '{"result":true,"comment":"daemon started","changed":true}' >&3
setsid MARKER &
exit 0
"""


def daemons(marker):
    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


async def main():
    marker = f"sleep 1000.{os.getpid()}"
    flood = f"yes flood.{os.getpid()}"
    mdir = os.path.join(tmpdir(), "modules")
    os.makedirs(mdir)
    with open(os.path.join(mdir, "test.daemon"), "w") as f:
        f.write(MODULE.replace("MARKER", marker))
    os.chmod(os.path.join(mdir, "test.daemon"), 0o755)
    daemon_cmd = (f"setsid {marker} & {marker} & setsid sh -c 'exec {flood}' & "
                  "echo started; sleep 0.3")
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "300ms", "modules_dir": mdir}))
    await b.expect("Handshake")
    try:
        await b.recipe(1, [state("daemon", "linux.cmd", cmd=daemon_cmd, cwd="/tmp"),
                           state("ext", "test.daemon"),
                           state("after", "linux.cmd", cmd="echo after", cwd="/tmp")])
        for _ in range(2):
            d = await b.expect("StateLog")
            assert (d["id"], d["state_result"]) == ("daemon", True), d
            assert "started\n" in d["state_stdout"], d
            e = await b.expect("StateLog")
            assert (e["id"], e["state_result"], e["state_comment"]) == \
                ("ext", True, "daemon started"), e
            assert e["state_stdout"] == "module output\n", e
            assert (await b.expect("StateLog"))["id"] == "after"
        # Each state took about its child's life (0.3 s, 0 s), nowhere near
        # the daemons' 1000 s.
        for what in (r"1/3 daemon \(linux\.cmd\)", r"2/3 ext \(test\.daemon\)"):
            for ln in agent.stderr_lines:
                if m := re.search(rf"state {what} succeeded in (\d+) ms", ln):
                    assert int(m.group(1)) < 5000, ln
        # Three sleeps per round are left, as daemons are (the flood died of
        # SIGPIPE once the agent closed the pipe).
        assert len(daemons(marker)) >= 6, daemons(marker)
        assert_alive(agent, b, connections=1)
        assert_hwm_below(agent, HWM_ASAN_KB, HWM_PLAIN_KB)
        agent.stop()
        assert await agent.wait_exit() == 0
    finally:
        for pid in daemons(marker) + daemons(flood):
            os.kill(pid, signal.SIGKILL)
    logs = assert_statelogs_match_log(b, agent)
    assert_one_log(agent, r"state 1/3 daemon \(linux\.cmd\) succeeded in \d+ ms",
                   count=len([m for m in logs if m["id"] == "daemon"]))
    assert_one_log(agent, r"state 2/3 ext \(test\.daemon\) succeeded in \d+ ms: daemon started$",
                   count=len([m for m in logs if m["id"] == "ext"]))
    assert [m["id"] for m in logs[:6]] == ["daemon", "ext", "after"] * 2


run(main)
