#!/usr/bin/python3
# The module repository: synced in PREPARE from RecipeMetadata's `module`
# (written back into the config), its bootstrap script run, its compat.txt
# checked, its modules/ executables preferred over built-ins (and those of
# modules_dir), a branch re-pulled every round; a failure is a failed
# StateLog for the first state, then a retry.
import subprocess
import asyncio, os, signal
from harness import *

MODULE = """#!/bin/sh
# An external module: the request on stdin, the result on fd 3.
cat >/dev/null
echo "external module ran"
printf '{"result":true,"comment":"%s","changed":false}' "$GREETING" >&3
"""


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, env=env)


def make_repo(path, greeting, compat=">= 0.1"):
    os.makedirs(os.path.join(path, "modules"), exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    write_repo(path, greeting, compat)


def write_repo(path, greeting, compat):
    with open(os.path.join(path, "modules", "linux.hello"), "w") as f:
        f.write(MODULE.replace("$GREETING", greeting))
    os.chmod(os.path.join(path, "modules", "linux.hello"), 0o755)
    with open(os.path.join(path, "compat.txt"), "w") as f:
        f.write(f"# agent versions this repository works with\n{compat}\n")
    with open(os.path.join(path, "bootstrap.sh"), "w") as f:
        f.write(f"#!/bin/sh\necho bootstrapped >> {tmpdir()}/bootstrap.log\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", greeting)


async def main():
    repo = os.path.join(tmpdir(), "modules.git")
    make_repo(repo, "hello v1")
    git(repo, "tag", "v1")
    url = "file://" + repo
    b = await start_backend()
    conf = write_config(runtime={"delay": "1h", "retry_wait": "300ms"})
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(1, [state("h", "linux.hello")], module=(url, "v1"))
    h = await b.expect("StateLog", timeout=20)
    assert (h["id"], h["state_result"], h["state_comment"]) == ("h", True, "hello v1"), h
    assert h["state_stdout"] == "external module ran\n", h
    assert open(f"{tmpdir()}/bootstrap.log").read() == "bootstrapped\n"
    await agent.wait_log(r"wrote 2 changed value\(s\) back into")
    text = open(conf).read()
    assert f"mod_repo = {url}" in text and "mod_tag = v1" in text, text

    # A branch is re-pulled every round.
    write_repo(repo, "hello v2", ">= 0.1")
    await b.recipe(2, [state("h", "linux.hello")], module=(url, "main"))
    assert (await b.expect("StateLog", timeout=20))["state_comment"] == "hello v2"
    write_repo(repo, "hello v3", ">= 0.1")
    await b.recipe(3, None)  # same states, same module (from the config now)
    assert (await b.expect("StateLog", timeout=20))["state_comment"] == "hello v3"

    # compat.txt that excludes this agent: a failed StateLog for the first
    # state, then the round is retried.
    write_repo(repo, "hello v4", ">= 99.0")
    await b.recipe(4, [state("first", "linux.cmd", cmd="true", cwd="/tmp"),
                       state("h", "linux.hello")])
    bad = await b.expect("StateLog", timeout=20)
    assert (bad["id"], bad["state_result"]) == ("first", False), bad
    assert "99.0" in bad["state_comment"], bad
    again = await b.expect("StateLog", timeout=20)
    assert (again["id"], again["state_result"]) == ("first", False), again

    # An unreachable repository.
    await b.recipe(5, [state("first", "linux.cmd", cmd="true", cwd="/tmp")],
                   module=("file:///nonexistent/repo.git", "v1"))
    bad = await b.expect("StateLog", timeout=20)
    assert bad["state_result"] is False and "Can't clone" in bad["state_comment"], bad
    agent.stop()
    assert await agent.wait_exit() == 0

    # modules_dir: an executable named like a built-in wins over it.
    mdir = os.path.join(tmpdir(), "extra")
    os.makedirs(mdir)
    with open(os.path.join(mdir, "linux.cmd"), "w") as f:
        f.write(MODULE.replace("$GREETING", "overridden"))
    os.chmod(os.path.join(mdir, "linux.cmd"), 0o755)
    conf = write_config(path=os.path.join(tmpdir(), "b.conf"),
                        runtime={"delay": "1h", "modules_dir": mdir},
                        module={"mod_repo": "", "mod_tag": ""})
    agent = await start_agent(conf)
    await b.expect("Handshake")
    await b.recipe(6, [state("c", "linux.cmd", cmd="true")])
    c = await b.expect("StateLog")
    assert c["state_comment"] == "overridden", c
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
