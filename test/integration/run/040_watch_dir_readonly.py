#!/usr/bin/python3
# Fault injection (issue 7): the watch dir is read-only. A state whose
# watched file fired acts, then cannot store the new sum: it fails with one
# log line naming the sum file and EROFS, the round is retried (and acts
# again, as the sum was not stored), and once the file system is writable
# again the sums are stored, the later states run and the next round sees
# no change. The connection, the StateLogs and the agent's memory are not
# affected.
#
# Log line: state 1/2 w (test.watch) failed in N ms: restarted: first sighting
#   of <conf>; cannot store watch sum <watch>/w-<conf>.cksum: Read-only file system
import os
from harness import *
from localfault import *

# Peak RSS (VmHWM) measured at 18-19 MiB in the ASan build and 4.5 MiB in
# RelWithDebInfo; the bounds allow about twice and three times that.
HWM_ASAN_KB, HWM_PLAIN_KB = 40_000, 15_000


async def main():
    watch = os.path.join(tmpdir(), "watch")
    mount_tmpfs(watch, size="1m")
    remount(watch, "ro")
    conf_file = os.path.join(tmpdir(), "app.conf")
    with open(conf_file, "w") as f:
        f.write("worker_processes 1;\n")
    action_log = os.path.join(tmpdir(), "actions")
    sum_file = os.path.join(watch, "w-" + conf_file.replace("/", "-") + ".cksum")

    b = await start_backend()
    agent = await start_agent(write_config(**{"global": {"watch": watch}},
                                           runtime={"delay": "300ms"}))
    await b.expect("Handshake")
    await b.recipe(1, [state("w", "test.watch", watch=[conf_file], action_log=action_log),
                       state("after", "linux.cmd", cmd="echo after", cwd="/tmp")])
    for _ in range(2):
        w = await b.expect("StateLog")
        assert (w["id"], w["state_result"]) == ("w", False), w
        assert w["state_comment"] == (f"restarted: first sighting of {conf_file}; cannot store "
                                      f"watch sum {sum_file}: Read-only file system"), w

    remount(watch, "rw")
    failures = 2
    while (w := await b.expect("StateLog"))["state_result"] is False:
        assert w["id"] == "w", w
        failures += 1
    assert (w["id"], w["state_comment"]) == ("w", f"restarted: first sighting of {conf_file}"), w
    after = await b.expect("StateLog")
    assert (after["id"], after["state_result"]) == ("after", True), after
    # The next round: the stored sum counts.
    w2 = await b.expect("StateLog")
    assert (w2["id"], w2["state_comment"]) == ("w", "running, no change"), w2
    assert (await b.expect("StateLog"))["id"] == "after"
    with open(sum_file) as f:
        assert len(f.read()) == 32
    assert os.listdir(watch) == [os.path.basename(sum_file)], os.listdir(watch)
    with open(action_log) as f:
        assert f.read().split() == ["restart"] * (failures + 1) + ["ensure"]

    assert_alive(agent, b, connections=1)
    assert_hwm_below(agent, HWM_ASAN_KB, HWM_PLAIN_KB)
    agent.stop()
    assert await agent.wait_exit() == 0
    assert_one_log(agent, r"state 1/2 w \(test\.watch\) failed in \d+ ms: restarted: first "
                   r"sighting of \S+; cannot store watch sum \S+: Read-only file system$",
                   count=failures)
    assert_one_log(agent, r"Read-only file system", count=failures)
    assert_statelogs_match_log(b, agent, ["w"] * (failures + 1) + ["after", "w", "after"]
                               + [m["id"] for m in b.messages("StateLog")[failures + 4:]])
    umount(watch)


in_mount_namespace()
run(main)
