#!/usr/bin/python3
# Fault injection (issue 7): the module repository is unreachable. First
# its HTTP server refuses connections: the first state fails naming the
# repository and git's reason, the round is retried, and once the server is
# up the states run and the next round comes. Then a server that accepts
# and never answers: the sync is killed at state_timeout and the first
# state fails saying that the module repository's sync timed out (not
# that the state did). No temporary clone is left behind, the connection
# stays up, no StateLog is lost, memory stays bounded.
#
# Log lines:
#   state 1/2 first (linux.cmd) failed in N ms: Can't clone the module
#     repository http://127.0.0.1:P/modules.git: Failed to connect to ...
#   state 1/2 first (linux.cmd) failed in N ms: Can't sync the module
#     repository http://127.0.0.1:Q/modules.git: timed out after 2 s
import functools, http.server, os, socket, subprocess, threading
from harness import *
from localfault import *

# Peak RSS (VmHWM) measured at 18-19 MiB in the ASan build and 4.5 MiB in
# RelWithDebInfo; the bounds allow about twice and three times that.
HWM_ASAN_KB, HWM_PLAIN_KB = 40_000, 15_000


def make_repo(path):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    work = path + ".work"
    subprocess.run(["git", "init", "-q", "-b", "main", work], check=True)
    with open(os.path.join(work, "compat.txt"), "w") as f:
        f.write(">= 0.1\n")
    for args in (["add", "-A"], ["commit", "-q", "-m", "modules"], ["tag", "v1"]):
        subprocess.run(["git", "-C", work, *args], check=True, capture_output=True, env=env)
    # A bare copy that git's "dumb" HTTP protocol can read from plain files.
    subprocess.run(["git", "clone", "-q", "--bare", work, path], check=True)
    subprocess.run(["git", "-C", path, "update-server-info"], check=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_files(directory, port):
    """A static HTTP server of directory on 127.0.0.1:port, in a thread."""
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(Quiet, directory=directory))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main():
    site = os.path.join(tmpdir(), "site")
    make_repo(os.path.join(site, "modules.git"))
    port = free_port()  # nothing listens there yet: connections are refused
    url = f"http://127.0.0.1:{port}/modules.git"
    # A black hole: connections are accepted (the backlog), never answered.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    hole_url = f"http://127.0.0.1:{hole.getsockname()[1]}/modules.git"

    b = await start_backend()
    # state_timeout bounds the sync too; 2 s leaves room for a clone on a
    # loaded machine (more for a slow agent, under valgrind).
    to = int(2 * TIME_FACTOR)
    agent = await start_agent(write_config(runtime={"delay": "300ms", "state_timeout": f"{to}s",
                                                    "kill_grace": "200ms"}))
    await b.expect("Handshake")
    await b.recipe(1, [state("first", "linux.cmd", cmd="echo first", cwd="/tmp"),
                       state("second", "linux.cmd", cmd="echo second", cwd="/tmp")],
                   module=(url, "v1"))
    for _ in range(2):
        bad = await b.expect("StateLog")
        assert (bad["id"], bad["state_result"]) == ("first", False), bad
        assert bad["state_comment"].startswith(
            f"Can't clone the module repository {url}: "), bad
    srv = serve_files(site, port)
    while (first := await b.expect("StateLog"))["state_result"] is False:
        pass
    assert first["id"] == "first" and first["state_stdout"] == "first\n", first
    assert (await b.expect("StateLog"))["id"] == "second"
    # A next round (the tag is fetched again) runs to its end.
    await b.expect("StateLog", where=lambda m: m["id"] == "second", timeout=15)

    await b.recipe(2, None, module=(hole_url, "v1"))
    for _ in range(2):
        bad = await b.expect("StateLog", where=lambda m: m["recipe_version"] == 2, timeout=15)
        assert (bad["id"], bad["state_result"]) == ("first", False), bad
        assert bad["state_comment"] == (f"Can't sync the module repository {hole_url}: "
                                        f"timed out after {to} s"), bad
    await b.recipe(3, None, module=(url, "v1"))
    await b.expect("StateLog", where=lambda m: m["recipe_version"] == 3 and m["id"] == "second",
                   timeout=20)
    modules = os.path.join(tmpdir(), "state", "modules")
    assert os.listdir(modules) == ["repo"], os.listdir(modules)

    assert_alive(agent, b, connections=1)
    assert_hwm_below(agent, HWM_ASAN_KB, HWM_PLAIN_KB)
    agent.stop()
    assert await agent.wait_exit() == 0
    srv.shutdown()
    hole.close()
    logs = assert_statelogs_match_log(b, agent)
    refused = len([m for m in logs if m["state_comment"].startswith("Can't clone")])
    timeouts = len([m for m in logs if m["state_comment"].endswith(f"timed out after {to} s")])
    assert refused >= 2 and timeouts >= 2, (refused, timeouts)
    assert_one_log(agent, r"state 1/2 first \(linux\.cmd\) failed in \d+ ms: Can't clone the "
                   r"module repository http://127\.0\.0\.1:\d+/modules\.git: ", count=refused)
    assert_one_log(agent, r"state 1/2 first \(linux\.cmd\) failed in \d+ ms: Can't sync the "
                   r"module repository http://127\.0\.0\.1:\d+/modules\.git: timed out after "
                   rf"{to} s$",
                   count=timeouts)
    assert_one_log(agent, r"timed out", count=timeouts)


run(main)
