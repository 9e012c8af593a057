#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A recording stand-in for the docker CLI, for the docker module tests.

No docker engine runs on the test machines, so the tests put a wrapper
first on PATH as /usr/local/bin/docker inside their sandbox; it hands its
argv and stdin to this program, which runs as a server for the whole test
(lib-docker.sh), and prints the answer. This program appends every argv to
$FAKE_DOCKER_DIR/log, one line each, and plays a small engine from
$FAKE_DOCKER_DIR/state.json: local images, containers, a registry with its
layers and the credentials it wants, whether the daemon runs. It prints
what docker 24 prints for the same calls: the formats the modules ask for,
pull/build/push progress on stdout, and docker's error messages ("manifest
unknown", "Cannot connect to the Docker daemon", "No such image", "denied:
requested access to the resource is denied") on stderr, as docker does,
with docker's exit codes.

state.json keys (all optional):
  daemon      false: every call fails as with no daemon listening
  images      {ref: {"id": "sha256:…", "layers": [hex…]}}
  containers  {name: {"id", "image", "running", "args", "env", "dirty"}}
  registry    {ref: {"id", "layers"}}: what a pull can fetch
  blobs       {repository: [hex…]}: the layers each repository of the
              registries holds (a push uploads, mounts from another
              repository, or finds each layer already there)
  auth        {registry or registry/namespace: "user:password"}: a login
              is needed for the repositories there
  fail        {command: {"rc": N, "out": "text", "once": bool}}: the next
              such call prints out and exits rc without doing anything
"""
import contextlib
import hashlib
import io
import json
import os
import socket
import sys

DIR = os.environ["FAKE_DOCKER_DIR"]
STATE = os.path.join(DIR, "state.json")
NO_DAEMON = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
             "Is the docker daemon running?")
EMPTY_LAYER = "5f70bf18a086"


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def norm(ref):
    """nginx → nginx:latest, as docker names it."""
    last = ref.rsplit("/", 1)[-1]
    return ref if (":" in last or "@" in last) else ref + ":latest"


def registry_of(ref):
    first = ref.split("/", 1)[0]
    if "/" in ref and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def canonical(ref):
    """nginx:1 → docker.io/library/nginx:1, as docker prints it."""
    if registry_of(ref) != "docker.io":
        return ref
    return "docker.io/" + (ref if "/" in ref else "library/" + ref)


class Fail(Exception):
    def __init__(self, rc, text):
        super().__init__(text)
        self.rc, self.text = rc, text


class Engine:
    def __init__(self, state, config, stdin):
        self.s = state
        self.config = config
        self.stdin = stdin
        for key in ("images", "containers", "registry", "auth", "fail"):
            self.s.setdefault(key, {})
        self.s.setdefault("blobs", {})

    def wanted(self, ref):
        """The credentials the registry wants for ref, or None: an auth key
        is a registry ("docker.io") or a namespace in it ("docker.io/x")."""
        reg = registry_of(ref)
        for key, creds in self.s["auth"].items():
            if key == reg or canonical(ref).startswith(key + "/"):
                return creds
        return None

    def logged_in(self, ref):
        want = self.wanted(ref)
        if want is None:
            return True
        path = os.path.join(self.config or "/nonexistent", "config.json")
        try:
            with open(path) as f:
                auths = json.load(f).get("auths", {})
        except OSError:
            return False
        reg = registry_of(ref)
        return auths.get("https://index.docker.io/v1/" if reg == "docker.io" else reg) == want

    def container(self, name):
        c = self.s["containers"].get(name)
        if c is None:
            raise Fail(1, f"Error response from daemon: No such container: {name}")
        return c

    # The commands, each given its arguments after the command word.
    def info(self, args):
        assert args == ["--format", "{{.ServerVersion}}"], args
        print(self.s.get("version", "24.0.7"))

    def image(self, args):
        if args[0] == "prune":
            assert args == ["prune", "-f"], args
            print("Total reclaimed space: 0B")
            return
        assert args[:3] == ["inspect", "--format", "{{.Id}}"] and len(args) == 4, args
        img = self.s["images"].get(norm(args[3]))
        if img is None:
            raise Fail(1, f"Error response from daemon: No such image: {args[3]}")
        print(img["id"])

    def ps(self, args):
        assert args == ["-a", "--no-trunc", "--format", "{{.Names}}|{{.Status}}"], args
        for name, c in self.s["containers"].items():
            print(f"{name}|{'Up 3 minutes' if c['running'] else 'Exited (0) 2 minutes ago'}")

    def login(self, args):
        assert args[:3] == ["-u", args[1], "--password-stdin"] and len(args) in (3, 4), args
        assert self.config, "login without a private --config"
        password = self.stdin
        with open(os.path.join(DIR, "stdin.log"), "a") as f:
            f.write(password + "\n")
        reg = args[3] if len(args) == 4 else "docker.io"
        want = next((v for k, v in self.s["auth"].items() if k.split("/")[0] == reg), None)
        if want is not None and want != f"{args[1]}:{password}":
            host = "registry-1.docker.io" if reg == "docker.io" else reg
            raise Fail(1, f'Error response from daemon: Get "https://{host}/v2/": '
                       "unauthorized: incorrect username or password")
        key = "https://index.docker.io/v1/" if reg == "docker.io" else reg
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump({"auths": {key: f"{args[1]}:{password}"}}, f)
        print(f"WARNING! Your password will be stored unencrypted in {self.config}/config.json.")
        print("Login Succeeded")

    def pull(self, args):
        assert len(args) == 1, args
        ref = norm(args[0])
        repo, tag = ref.rsplit(":", 1)
        got = self.s["registry"].get(ref)
        if got is None and "/" not in repo:
            raise Fail(1, f"Error response from daemon: manifest for {ref} not found: "
                       "manifest unknown: manifest unknown")
        if got is None or not self.logged_in(ref):
            raise Fail(1, f"Error response from daemon: pull access denied for {repo}, "
                       "repository does not exist or may require 'docker login': denied: "
                       "requested access to the resource is denied")
        print(f"{tag}: Pulling from {repo if '/' in repo else 'library/' + repo}")
        have = self.s["images"].get(ref)
        if have and have["id"] == got["id"]:
            print(f"Digest: sha256:{sha(got['id'])}")
            print(f"Status: Image is up to date for {ref}")
        else:
            for layer in got["layers"]:
                print(f"{layer}: Pulling fs layer")
                print(f"{layer}: Download complete")
                print(f"{layer}: Pull complete")
            print(f"Digest: sha256:{sha(got['id'])}")
            print(f"Status: Downloaded newer image for {ref}")
            self.s["images"][ref] = {"id": got["id"], "layers": list(got["layers"])}
        print(canonical(ref))

    def build(self, args):
        assert args[:3] == ["--rm", "-t", args[2]] and len(args) == 4, args
        tag, path = norm(args[2]), args[3]
        with open(os.path.join(path, "Dockerfile")) as f:
            text = f.read()
        print("Sending build context to Docker daemon  2.048kB")
        steps = [l for l in text.splitlines() if l.strip()]
        for i, step in enumerate(steps, 1):
            print(f"Step {i}/{len(steps)} : {step}")
            if "wget" in step:
                # A progress bar and a line rewritten with \r (§1.3 filter).
                print("  0K .......... .......... .......... 50%")
                sys.stdout.write("Downloading 10%\rDownloading 100%\n")
            if step == "RUN false":
                raise Fail(1, "The command '/bin/sh -c false' returned a non-zero code: 1")
            print(f" ---> {sha(step)[:12]}")
        image_id = "sha256:" + sha(text)
        print(f"Successfully built {image_id[7:19]}")
        print(f"Successfully tagged {tag}")
        self.s["images"][tag] = {"id": image_id, "layers": [sha(text)[:12]]}

    def run(self, args):
        assert args[:5] == ["-d", "--name", args[2], "--hostname", args[2]], args
        name = args[2]
        rest, env = args[5:], None
        if rest[:1] == ["--env-file"]:
            with open(rest[1]) as f:
                env = f.read()
            st = os.stat(rest[1])
            assert st.st_mode & 0o077 == 0, "env file readable by others"
            rest = rest[2:]
        opts = []
        while rest and rest[0] in ("-p", "-v", "--device", "-m", "--cpu-shares"):
            opts += rest[:2]
            rest = rest[2:]
        image = rest[0]
        if name in self.s["containers"]:
            cid = self.s["containers"][name]["id"]
            raise Fail(125, f'docker: Error response from daemon: Conflict. The container name '
                       f'"/{name}" is already in use by container "{cid}". You have to remove '
                       "(or rename) that container to be able to reuse that name.")
        if norm(image) not in self.s["images"]:
            raise Fail(125, f"Unable to find image '{norm(image)}' locally\ndocker: Error "
                       f"response from daemon: pull access denied for {image}.")
        self.s["created"] = self.s.get("created", 0) + 1
        cid = sha(f"{name} {self.s['created']}")
        self.s["containers"][name] = {"id": cid, "image": norm(image), "running": True,
                                      "opts": opts, "command": rest[1:], "env": env}
        print(cid)

    def stop(self, args):
        assert len(args) == 1, args
        self.container(args[0])["running"] = False
        print(args[0])

    def restart(self, args):
        assert len(args) == 1, args
        self.container(args[0])["running"] = True
        print(args[0])

    def rm(self, args):
        assert args[0] == "-f" and len(args) == 2, args
        self.container(args[1])
        del self.s["containers"][args[1]]
        print(args[1])

    def commit(self, args):
        opts = {}
        while args[0] in ("-m", "-a"):
            opts[args[0]] = args[1]
            args = args[2:]
        assert len(args) == 2, args
        c = self.container(args[0])
        base = self.s["images"].get(c["image"], {"layers": []})["layers"]
        layer = sha(c["id"] + str(c.get("dirty", 0)))[:12] if c.get("dirty") else EMPTY_LAYER
        c.pop("dirty", None)
        ref = norm(args[1])
        image_id = "sha256:" + sha(json.dumps([base, layer, opts, ref]))
        self.s["images"][ref] = {"id": image_id, "layers": base + [layer], "commit": opts}
        print(image_id)

    def push(self, args):
        assert len(args) == 1, args
        ref = norm(args[0])
        img = self.s["images"].get(ref)
        if img is None:
            raise Fail(1, f"An image does not exist locally with the tag: {args[0]}")
        where = canonical(ref).rsplit(":", 1)[0]
        print(f"The push refers to repository [{where}]")
        if not self.logged_in(ref):
            for layer in img["layers"]:
                print(f"{layer}: Preparing")
            raise Fail(1, "denied: requested access to the resource is denied")
        for layer in img["layers"]:
            print(f"{layer}: Preparing")
        repo = canonical(ref).rsplit(":", 1)[0]
        blobs = self.s["blobs"]
        for layer in img["layers"]:
            other = [r for r, ls in blobs.items() if layer in ls and r != repo
                     and registry_of(r[10:] if r.startswith("docker.io/") else r) == registry_of(ref)]
            if layer in blobs.get(repo, []):
                print(f"{layer}: Layer already exists")
            elif other:
                print(f"{layer}: Mounted from {other[0].split('/', 1)[1]}")
            else:
                print(f"{layer}: Pushed")
            blobs.setdefault(repo, [])
            if layer not in blobs[repo]:
                blobs[repo].append(layer)
        self.s["registry"][ref] = {"id": img["id"], "layers": list(img["layers"])}
        print(f"{ref.rsplit(':', 1)[1]}: digest: sha256:{sha(img['id'])} size: 528")


def handle(argv, stdin):
    """One docker call: logs it, plays it against state.json. Returns the
    exit status; the output is printed, the error on stderr."""
    with open(os.path.join(DIR, "log"), "a") as f:
        f.write(" ".join(argv) + "\n")
    with open(STATE) as f:
        state = json.load(f)
    config = None
    if argv[:1] == ["--config"]:
        config, argv = argv[1], argv[2:]
    engine = Engine(state, config, stdin)
    cmd, args = argv[0], argv[1:]
    rc = 0
    try:
        if not state.get("daemon", True):
            raise Fail(1, NO_DAEMON)
        key = "prune" if argv[:2] == ["image", "prune"] else cmd
        fail = state["fail"].get(key)
        if fail:
            if fail.get("once"):
                del state["fail"][key]
            raise Fail(fail["rc"], fail["out"])
        handler = getattr(engine, cmd, None)
        if handler is None:
            raise Fail(1, f"docker: '{cmd}' is not a docker command.")
        handler(args)
    except Fail as e:
        print(e.text, file=sys.stderr)
        rc = e.rc
    except (AssertionError, IndexError, KeyError, OSError) as e:
        # A call the modules should never make: the test sees it fail.
        print(f"fake docker: unexpected call {argv}: {e!r}", file=sys.stderr)
        rc = 99
    with open(STATE + ".tmp", "w") as f:
        json.dump(state, f, indent=1)
    os.rename(STATE + ".tmp", STATE)
    return rc


def read_fields(conn):
    """The request: a count, then that many NUL-terminated argv strings,
    then stdin, NUL-terminated too."""
    data = b""
    while True:
        fields = data.split(b"\0")
        if len(fields) > 1 and len(fields) - 1 >= int(fields[0]) + 2:
            n = int(fields[0])
            return [f.decode() for f in fields[1:n + 1]], fields[n + 1].decode()
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("short request")
        data += chunk


def serve(port_file):
    """Answers the wrapper /usr/local/bin/docker over loopback TCP, one
    call per connection: a Python start for every docker call would cost
    more than all the rest of a test."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = srv.accept()
        with conn:
            try:
                argv, stdin = read_fields(conn)
            except (EOFError, ValueError):
                continue
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = handle(argv, stdin)
            # The exit status, stdout up to a NUL, then stderr.
            conn.sendall(f"{rc}\n{out.getvalue()}\0{err.getvalue()}".encode())


if __name__ == "__main__":
    serve(sys.argv[1])
