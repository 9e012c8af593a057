#!/usr/bin/python3
# Fault injection (issue 7): the disk is full. The state dir and the config
# file's dir are tiny tmpfs, filled up. Then:
# - the token cannot be written: one warning, the Handshake carries an empty
#   token and the reason in init_errors, no temp file is left; after space
#   is freed, SIGHUP makes the token and the next Handshake carries it;
# - a watch sum cannot be stored: the state fails with ENOSPC, the round is
#   retried, and runs to its end once there is room;
# - the module repository cannot be cloned: the first state fails naming
#   it, no half-made repository is left;
# - the module repository cannot be written back into the config file: one
#   warning, the file is unchanged, the new values are used anyway.
# The agent keeps its connection (but for the SIGHUP), loses no StateLog,
# and its memory stays bounded.
#
# Log lines:
#   cannot create the token file <state>/token: No space left on device
#   state 1/2 w (test.watch) failed in N ms: restarted: first sighting of <file>; cannot
#     store watch sum <...>: No space left on device
#   state 1/1 first (linux.cmd) failed in N ms: Can't clone the module repository file://<...>
#   cannot update the config file <etc>/opsagent.conf: No space left on device; the new values
#     are used anyway
import os, signal, subprocess
from harness import *
from localfault import *

# Peak RSS (VmHWM) measured at 18-19 MiB in the ASan build and 4.5 MiB in
# RelWithDebInfo; the bounds allow about twice and three times that.
HWM_ASAN_KB, HWM_PLAIN_KB = 40_000, 15_000


def make_repo(path):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    with open(os.path.join(path, "compat.txt"), "w") as f:
        f.write(">= 0.1\n")
    with open(os.path.join(path, "data"), "wb") as f:
        f.write(os.urandom(64 * 1024))  # a clone needs room
    for args in (["add", "-A"], ["commit", "-q", "-m", "modules"], ["tag", "v1"]):
        subprocess.run(["git", "-C", path, *args], check=True, capture_output=True, env=env)


async def main():
    state_dir, etc = os.path.join(tmpdir(), "state"), os.path.join(tmpdir(), "etc")
    mount_tmpfs(state_dir, size="256k")
    mount_tmpfs(etc, size="64k", mode="0755")
    repo = os.path.join(tmpdir(), "modules.git")
    make_repo(repo)
    watched = os.path.join(tmpdir(), "app.conf")
    with open(watched, "w") as f:
        f.write("worker_processes 1;\n")
    sum_file = os.path.join(state_dir, "watch", "w-" + watched.replace("/", "-") + ".cksum")
    b = await start_backend()
    conf = write_config(os.path.join(etc, "opsagent.conf"),
                        **{"global": {"state_dir": state_dir}}, runtime={"delay": "300ms"})
    with open(conf) as f:
        conf_text = f.read()
    filler = os.path.join(state_dir, "filler")
    fill(filler)
    fill(os.path.join(etc, "filler"))

    agent = await start_agent(conf)
    hs = await b.expect("Handshake")
    token_error = f"cannot create the token file {state_dir}/token: No space left on device"
    assert hs["instance_token"] == "" and token_error in hs["init_errors"], hs.obj
    assert sorted(os.listdir(state_dir)) == ["filler"], os.listdir(state_dir)

    await b.recipe(1, [state("w", "test.watch", watch=[watched]),
                       state("after", "linux.cmd", cmd="echo after", cwd="/tmp")])
    for _ in range(2):
        w = await b.expect("StateLog")
        assert (w["id"], w["state_result"]) == ("w", False), w
        assert w["state_comment"] == (f"restarted: first sighting of {watched}; cannot store "
                                      f"watch sum {sum_file}: No space left on device"), w
    os.unlink(filler)
    failures = 2
    while (w := await b.expect("StateLog"))["state_result"] is False:
        assert w["id"] == "w", w
        failures += 1
    assert (w["id"], w["state_comment"]) == ("w", f"restarted: first sighting of {watched}"), w
    assert (await b.expect("StateLog"))["id"] == "after"
    assert sorted(os.listdir(os.path.join(state_dir, "watch"))) == [os.path.basename(sum_file)]

    # Room again: SIGHUP re-reads the identity and makes the token. (The
    # backend has confirmed every StateLog first: none is sent again.)
    await wait_no_pending(conf)
    agent.stop(signal.SIGHUP)
    hs = await b.expect("Handshake")
    assert len(hs["instance_token"]) == 64 and not hs.get("init_errors"), hs.obj
    with open(os.path.join(state_dir, "token")) as f:
        assert f.read().strip() == hs["instance_token"]
    await agent.wait_log(r"created a new instance token in ")

    # Full again: the module repository cannot be cloned, nor written back.
    fill(filler)
    await b.recipe(2, [state("first", "linux.cmd", cmd="true", cwd="/tmp")],
                   module=("file://" + repo, "v1"))
    bad = await b.expect("StateLog", where=lambda m: m["recipe_version"] == 2)
    assert (bad["id"], bad["state_result"]) == ("first", False), bad
    assert bad["state_comment"].startswith(
        f"Can't clone the module repository file://{repo}: "), bad
    await agent.wait_log(r"cannot update the config file .*: No space left on device; "
                         r"the new values are used anyway")
    with open(conf) as f:
        assert f.read() == conf_text, "the config file changed"
    assert sorted(os.listdir(etc)) == ["filler", "opsagent.conf"], os.listdir(etc)
    modules = os.path.join(state_dir, "modules")
    assert not os.path.exists(modules) or os.listdir(modules) == [], os.listdir(modules)
    os.unlink(filler)
    ok = await b.expect("StateLog", where=lambda m: m["recipe_version"] == 2 and
                        m["state_result"] is True, timeout=20)
    assert (ok["id"], ok["recipe_version"]) == ("first", 2), ok

    assert_alive(agent, b, connections=2)
    assert_hwm_below(agent, HWM_ASAN_KB, HWM_PLAIN_KB)
    agent.stop()
    assert await agent.wait_exit() == 0
    assert_one_log(agent, "cannot create the token file")
    assert_one_log(agent, r"state 1/2 w \(test\.watch\) failed in \d+ ms: restarted: first "
                   r"sighting of \S+; cannot store watch sum \S+: No space left on device$",
                   count=failures)
    assert_one_log(agent, r"cannot update the config file")
    clones = len([m for m in b.messages("StateLog") if "Can't clone" in m["state_comment"]])
    assert_one_log(agent, r"state 1/1 first \(linux\.cmd\) failed in \d+ ms: Can't clone the "
                   r"module repository", count=clones)
    assert_statelogs_match_log(b, agent)
    umount(state_dir)
    umount(etc)


in_mount_namespace()
run(main)
