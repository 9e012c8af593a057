#!/usr/bin/python3
# Fault injection (issue 7): a child writes 1 GiB of output. output_limit
# (64 KiB by default) keeps the head and the tail with the cut marked and
# counted; the agent reads it all without blocking the loop (the
# connection stays up, pings go on), its peak RSS stays far below the
# output's size, and the later state and the next round run.
#
# Log line: state 1/2 flood (linux.cmd) succeeded in N ms: Command "..." run
import os, re, time
from harness import *
from localfault import *

# Peak RSS (VmHWM) measured at about 19 MiB in the ASan build and 4.6 MiB in
# RelWithDebInfo, as without the flood: the 1 GiB is never held. The bounds
# allow about twice and three times that.
HWM_ASAN_KB, HWM_PLAIN_KB = 40_000, 15_000
GIB = 1 << 30
LIMIT = 65536  # output_limit's default
CUT_RE = re.compile(r"\n\[\.\.\. (\d+) bytes of output cut \.\.\.\]\n")


async def main():
    flag = os.path.join(tmpdir(), "flooded")
    # The first round floods; the next ones print a line.
    cmd = (f"if [ -e {flag} ]; then echo calm; exit 0; fi; touch {flag}; echo HEAD-MARK; "
           f"yes 0123456789abcdef | head -c {GIB}; echo; echo TAIL-MARK")
    total = len("HEAD-MARK\n") + GIB + len("\n") + len("TAIL-MARK\n")
    b = await start_backend()
    agent = await start_agent(write_config(runtime={"delay": "300ms", "state_timeout": "60s"}))
    conn = await b.wait_connection(1)
    await b.expect("Handshake")
    await b.recipe(1, [state("flood", "linux.cmd", cmd=cmd, cwd="/tmp"),
                       state("after", "linux.cmd", cmd="echo after", cwd="/tmp")])
    await agent.wait_log(r"state 1/2 flood .* started")
    t0 = time.monotonic()
    f = await b.expect("StateLog", timeout=40)
    took = time.monotonic() - t0
    pings = [t for t in conn.pings if t0 <= t <= t0 + took]
    note(f"1 GiB read in {took:.1f} s, {len(pings)} pings meanwhile")
    assert (f["id"], f["state_result"]) == ("flood", True), f
    out = f["state_stdout"]
    assert out.startswith("HEAD-MARK\n0123456789abcdef\n"), out[:100]
    # yes ends on SIGPIPE when head has had enough: no "Broken pipe" (the
    # agent's children once inherited SIGPIPE ignored). 2^30 = 13 mod 17.
    assert out.endswith("abcdef\n0123456789abc\nTAIL-MARK\n"), out[-100:]
    m = CUT_RE.search(out)
    assert m and int(m.group(1)) == total - LIMIT, (m and m.group(0), total - LIMIT)
    assert len(out) == LIMIT + len(m.group(0)), len(out)
    # keepalive = 500 ms: the loop kept pinging while it read the flood (at
    # least half of the pings due, whatever the load on the machine).
    assert len(pings) >= int(took / 0.5 / 2) - 1, (took, len(pings))
    assert (await b.expect("StateLog"))["id"] == "after"
    # The next round.
    calm = await b.expect("StateLog")
    assert (calm["id"], calm["state_stdout"]) == ("flood", "calm\n"), calm
    assert (await b.expect("StateLog"))["id"] == "after"

    assert_alive(agent, b, connections=1)
    assert_hwm_below(agent, HWM_ASAN_KB, HWM_PLAIN_KB)
    agent.stop()
    assert await agent.wait_exit() == 0
    assert_one_log(agent, r"state 1/2 flood \(linux\.cmd\) succeeded in \d+ ms: Command .* run$",
                   count=len([m for m in b.messages("StateLog") if m["id"] == "flood"]))
    logs = assert_statelogs_match_log(b, agent)
    assert [m["id"] for m in logs[:4]] == ["flood", "after"] * 2


run(main)
