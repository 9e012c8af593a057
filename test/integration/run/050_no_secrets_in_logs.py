#!/usr/bin/python3
# SECURITY.md, "Secrets and logs": a whole `opsagent -v run` (debug level,
# logging as under systemd: stderr with <N> prefixes, the lines about a
# state through the native journal protocol to a fake journald) through a
# CONNECT proxy with Basic credentials, with a recipe that uses
# every kind of secret a state may carry: linux.user passwords (plain text,
# changed, and a crypt hash), common.git with a password in its URL (a clone
# that works, with HTTP Basic auth, and one refused), linux.file remote_uri
# with a password (downloaded, and a 404), an AgentUpdate URL with a
# password, and rejected messages that hold a password and a credentialed
# URL in the bytes the agent quotes. Then none of these secrets, nor the
# instance token (read from the token file), appears anywhere in the agent's
# stderr or stdout, in any field of a journal entry, nor in a StateLog's
# comment or output. Root only (the users go into a private copy of /etc,
# and the journal socket onto a tmpfs, in a sandbox); skips elsewhere.
import base64
import http.server
import os
import secrets
import shutil
import subprocess
import threading
from harness import *
from update_server import UpdateServer

sandbox()


def token(name):
    """A secret that cannot match anything by chance."""
    return f"{name}-{secrets.token_hex(8)}"


S = {k: token(k) for k in ("ProxyPw", "UserPw", "UserPw2", "GitPw", "GitWrongPw", "FilePw",
                           "UpdatePw", "RejectedPw", "RejectedUrlPw", "RepoPw")}


class GitServer:
    """Git's dumb HTTP protocol from a bare repository, behind Basic auth."""

    def __init__(self, root, user, password):
        want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=root, **kw)

            def do_GET(self):
                ok = self.headers.get("Authorization") == want
                server.requests.append((self.path, ok))
                if not ok:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def git(*args, cwd=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def make_repo(d):
    """A bare repository with one commit, ready for the dumb protocol."""
    work, bare = os.path.join(d, "work"), os.path.join(d, "www", "repo.git")
    git("init", "-q", "-b", "main", work)
    with open(os.path.join(work, "README"), "w") as f:
        f.write("hello\n")
    git("add", "README", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    git("clone", "-q", "--bare", work, bare)
    git("update-server-info", cwd=bare)
    return os.path.dirname(bare)


def shadow_hash(user):
    with open("/etc/shadow") as f:
        for ln in f:
            if ln.startswith(user + ":"):
                return ln.split(":")[1]
    return None


async def statelogs(b, ids):
    """The StateLogs of ids, in order; each one's comment and output kept."""
    got = []
    for i in ids:
        m = await b.expect("StateLog", timeout=30, where=lambda m, i=i: m["id"] == i)
        got.append(m)
    return got


async def main():
    d = tmpdir()
    c = certs()
    files = os.path.join(d, "files")
    os.makedirs(files)
    with open(os.path.join(files, "data.txt"), "w") as f:
        f.write("downloaded through the proxy\n")
    web = UpdateServer(files, c.server_cert, c.server_key)
    gits = GitServer(make_repo(d), "gituser", S["GitPw"])
    try:
        await scenario(d, c, web, gits)
    finally:
        web.stop()
        gits.stop()


async def scenario(d, c, web, gits):
    b = await start_backend(tls=True)
    p = await start_proxy(credentials=("puser", S["ProxyPw"]))
    keys = os.path.join(d, "keys")
    os.makedirs(keys)
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", "k.pem"], cwd=keys, check=True,
                   capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", "k.pem", "-pubout", "-out", "k.pub"], cwd=keys,
                   check=True, capture_output=True)
    # The agent runs from a copy: a self-update writes next to its binary.
    os.makedirs(os.path.join(d, "bin"))
    exe = os.path.join(d, "bin", "opsagent")
    shutil.copy2(os.environ["OPSAGENT"], exe)
    os.environ["OPSAGENT"] = exe
    conf = write_config(**{"global": {"update_key": os.path.join(keys, "k.pub")}},
                        network={"ca_file": c.ca_cert,
                                 "proxy": p.url_with("puser", S["ProxyPw"])},
                        runtime={"delay": "1h"})
    journal = await start_journal()
    agent = await start_agent(conf, journal=journal)
    hs = await b.expect("Handshake")
    req = await p.wait_request(1)
    assert req.auth == "Basic " + base64.b64encode(f"puser:{S['ProxyPw']}".encode()).decode()

    # Users: plain text (hashed), a new plain text (usermod -p ***), a hash.
    sha = subprocess.run(["openssl", "passwd", "-6", "-salt", "abcdefgh12345678",
                          S["UserPw2"]], capture_output=True, text=True, check=True).stdout.strip()
    S["Hash"] = sha
    git_url = f"http://gituser:{S['GitPw']}@127.0.0.1:{gits.port}/repo.git"
    file_url = f"https://fileuser:{S['FilePw']}@localhost:{web.port}/data.txt"
    ok_states = [
        state("u1", "linux.user", username="oasec1", password=S["UserPw"]),
        state("u1b", "linux.user", username="oasec1", password=S["UserPw2"]),
        state("u2", "linux.user", username="oasec2", password=sha),
        state("clone", "common.git", repo=git_url, path=os.path.join(d, "clone")),
        state("file", "linux.file", path=os.path.join(d, "got.txt"), remote_uri=file_url),
    ]
    await b.recipe(1, ok_states)
    logs = await statelogs(b, [s["id"] for s in ok_states])
    for m in logs:
        assert m["state_result"] is True, m
    assert shadow_hash("oasec2") == sha, shadow_hash("oasec2")
    assert "usermod" in logs[1]["state_stdout"] and "-p ***" in logs[1]["state_stdout"], logs[1]
    assert open(os.path.join(d, "clone", "README")).read() == "hello\n"
    assert any(ok for _, ok in gits.requests), gits.requests
    assert open(os.path.join(d, "got.txt")).read() == "downloaded through the proxy\n"
    assert len(p.requests) >= 2, "the download did not go through the proxy"

    # Failures quote URLs: a refused clone, a 404 (each fails its round).
    bad_git = f"http://gituser:{S['GitWrongPw']}@127.0.0.1:{gits.port}/repo.git"
    await b.recipe(2, [state("badclone", "common.git", repo=bad_git,
                             path=os.path.join(d, "clone2"))])
    m = (await statelogs(b, ["badclone"]))[0]
    assert m["state_result"] is False and "***" in m["state_comment"], m
    logs.append(m)
    missing = f"https://fileuser:{S['FilePw']}@localhost:{web.port}/missing.txt"
    await b.recipe(3, [state("badfile", "linux.file", path=os.path.join(d, "x"),
                             remote_uri=missing)])
    m = (await statelogs(b, ["badfile"]))[0]
    assert m["state_result"] is False and "404" in m["state_comment"], m
    logs.append(m)
    await b.recipe(4, [state("c", "meta.comment")])
    await statelogs(b, ["c"])

    # An update whose URL holds a password (refused by the server: 404).
    mark = agent.log_mark()
    await b.agent_update("9.9.9", f"https://upd:{S['UpdatePw']}@localhost:{web.port}/nothing")
    await agent.wait_log(r"update to 9\.9\.9: downloading https://upd:\*\*\*@localhost",
                         since=mark)
    await agent.wait_log(r"update to 9\.9\.9 failed", since=mark, timeout=30)

    # Rejected messages are quoted in the log: without their secrets.
    mark = agent.log_mark()
    await b.push({"code": "RecipeMetadata", "recipe_version": "not a number",
                  "state": [{"id": "u", "module": "linux.user",
                             "parameter": {"username": "x", "password": S["RejectedPw"]}}]})
    await agent.wait_log(r'it began with: .*"password": "\*\*\*"', since=mark)
    await b.push({"code": "RecipeMetadata", "recipe_version": 0,
                  "module": {"repo": f"https://me:{S['RejectedUrlPw']}@h.example/r.git",
                             "tag": "v1"}})
    await agent.wait_log(r"it began with: .*https://me:\*\*\*@h\.example", since=mark)
    await b.push({"code": "RecipeMetadata", "recipe_version": 5,
                  "module": {"repo": f"https://me:{S['RepoPw']}@127.0.0.1:1/r.git",
                             "tag": "v1"},
                  "state": [{"id": "m", "module": "meta.comment", "parameter": {}}]})
    m = (await statelogs(b, ["m"]))[0]
    assert m["state_result"] is False and "Can't clone" in m["state_comment"], m
    logs.append(m)

    agent.stop()
    assert await agent.wait_exit() == 0

    # The token from its file, and every secret above: in no line of the
    # agent's output, in no StateLog's comment or output.
    with open(os.path.join(d, "state", "token")) as f:
        S["Token"] = f.read().strip()
    assert hs["instance_token"] == S["Token"]
    # The logs really went both ways: stderr with priorities, the state
    # lines (the states above, each started and finished) to the journal.
    assert agent.stderr_lines and all(ln.startswith("<") for ln in agent.stderr_lines if ln), \
        agent.tail()
    journal.drain()
    for s in ok_states:
        assert any(e.get("STATE_ID") == s["id"] and "succeeded" in e.get("MESSAGE", "")
                   for e in journal.entries), (s["id"], journal.dump())
    leaks = []
    for name, secret in S.items():
        for stream, lines in (("stderr", agent.stderr_lines), ("stdout", agent.stdout_lines)):
            leaks += [f"{name} in {stream}: {ln}" for ln in lines if secret in ln]
        for e in journal.entries:
            leaks += [f"{name} in the journal's {k}: {v}" for k, v in e.items() if secret in v]
        for m in logs:
            for field in ("state_comment", "state_stdout"):
                if secret in (m[field] or ""):
                    leaks.append(f"{name} in the {field} of StateLog {m['id']}: {m[field]}")
    assert not leaks, "\n".join(leaks)
    note(f"{len(agent.stderr_lines)} stderr lines, {len(journal.entries)} journal entries, "
         f"{len(logs)} StateLogs: no secret among {len(S)}")


run(main, timeout=120)
