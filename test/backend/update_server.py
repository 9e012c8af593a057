# SPDX-License-Identifier: Apache-2.0
"""What the self-update tests (test/integration/run/*update*.py) share.

    u = await update_setup()          # inside harness.run(): bin/, keys, HTTPS server
    u.publish("good", u.v2, key="ec")  # /good and /good.sig, signed by keys/ec.pem
    conf = write_config(**u.config(runtime={"update_deadline": "30s"}))
    agent = await start_agent(conf)   # runs <tmpdir>/bin/opsagent (the copy)

update_setup() copies $OPSAGENT to <tmpdir>/bin/opsagent (the binary the
update replaces, so the build's own stays untouched) and points $OPSAGENT
at it, makes an ECDSA P-256 key "ec", an RSA 2048 key "rsa" and a stray
"other" key with the openssl CLI, and starts a loopback HTTPS server with
the "localhost" certificate of harness.certs() (the agent's [network]
ca_file is the test CA). $OPSAGENT_V2 names the same agent built as
version 9.9.9-test (test/integration/CMakeLists.txt).

The server serves <tmpdir>/www; u.server.hold(path) makes requests for
path wait until u.server.release(path); u.server.requests lists the
(path, status) answered.
"""
import asyncio
import http.server
import os
import shutil
import ssl
import subprocess
import threading

from harness import certs, note, tmpdir

__all__ = ["update_setup", "Update", "UpdateServer", "V2_VERSION", "update_lines"]

V2_VERSION = "9.9.9-test"


def _openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{r.stderr}")


class UpdateServer:
    """A static HTTPS server on 127.0.0.1 in a thread."""

    def __init__(self, root, cert, key):
        self.root, self.requests, self._holds = root, [], {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                if gate := server._holds.get(path):
                    gate.wait(30)
                file = os.path.join(server.root, path.lstrip("/"))
                if "/.." in path or not os.path.isfile(file):
                    server.requests.append((path, 404))
                    self.send_error(404, "Not Found")
                    return
                with open(file, "rb") as f:
                    body = f.read()
                server.requests.append((path, 200))
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path):
        return f"https://localhost:{self.port}/{path.lstrip('/')}"

    def hold(self, path):
        self._holds["/" + path.lstrip("/")] = threading.Event()

    def release(self, path):
        self._holds.pop("/" + path.lstrip("/")).set()

    def stop(self):
        for gate in self._holds.values():
            gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class Update:
    """Paths and helpers of one update test (see the module docstring)."""

    def __init__(self):
        d = tmpdir()
        self.v1_build = os.environ["OPSAGENT"]
        self.v2 = os.environ.get("OPSAGENT_V2")
        if not self.v2:
            raise AssertionError("OPSAGENT_V2 must name the agent built as " + V2_VERSION)
        self.bin = os.path.join(d, "bin")
        self.exe = os.path.join(self.bin, "opsagent")
        self.prev = self.exe + ".prev"
        self.new = self.exe + ".new"
        self.keys = os.path.join(d, "keys")
        self.www = os.path.join(d, "www")
        self.marker = os.path.join(d, "state", "update.json")
        for x in (self.bin, self.keys, self.www):
            os.makedirs(x, exist_ok=True)
        shutil.copy2(self.v1_build, self.exe)
        os.chmod(self.exe, 0o755)
        os.environ["OPSAGENT"] = self.exe
        self.v1_version = subprocess.run([self.exe, "--version"], capture_output=True,
                                         text=True, check=True).stdout.split()[1]
        for name, alg, opt in (("ec", "EC", "ec_paramgen_curve:P-256"),
                               ("rsa", "RSA", "rsa_keygen_bits:2048"),
                               ("other", "EC", "ec_paramgen_curve:P-256")):
            _openssl("genpkey", "-algorithm", alg, "-pkeyopt", opt, "-out", f"{name}.pem",
                     cwd=self.keys)
            _openssl("pkey", "-in", f"{name}.pem", "-pubout", "-out", f"{name}.pub",
                     cwd=self.keys)
        c = certs()
        self.ca_file = c.ca_cert
        self.server = UpdateServer(self.www, c.server_cert, c.server_key)

    def key(self, name):
        """The public key file of "ec", "rsa" or "other" (update_key)."""
        return os.path.join(self.keys, f"{name}.pub")

    def publish(self, name, payload, key="ec", sig=True):
        """Serve payload as /name and its signature by key as /name.sig (the
        openssl command that signs releases); returns the URL."""
        path = os.path.join(self.www, name)
        shutil.copyfile(payload, path)
        if sig:
            _openssl("dgst", "-sha256", "-sign", os.path.join(self.keys, f"{key}.pem"),
                     "-out", path + ".sig", path, cwd=self.www)
        return self.server.url(name)

    def config(self, key="ec", **sections):
        """write_config() keywords: update_key, the test CA as ca_file, plus
        sections (key=None: no update_key)."""
        g = dict(sections.pop("global", {}))
        g["update_key"] = self.key(key) if key else None
        net = dict(sections.pop("network", {}))
        net["ca_file"] = self.ca_file
        return {"global": g, "network": net, **sections}

    def same(self, a, b):
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()


async def update_setup():
    """An Update for this test (its server thread ends with the test process)."""
    u = await asyncio.get_running_loop().run_in_executor(None, Update)
    note(f"agent copied to {u.exe} (version {u.v1_version}); update server on port "
         f"{u.server.port}")
    return u


# Log lines worth quoting from an update test.
UPDATE_RE = ("update|starting|executing|rolled back|READY|connected to|disconnected|"
             "stop requested|states worker stopped|rollback|state [0-9]+/[0-9]+ ")


def update_lines(agent, since=0):
    """The agent's stderr lines about the update, from index since."""
    import re
    rx = re.compile(UPDATE_RE)
    return [ln for ln in agent.stderr_lines[since:] if rx.search(ln)]
