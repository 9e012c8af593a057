# SPDX-License-Identifier: Apache-2.0
"""A small HTTP CONNECT proxy on 127.0.0.1 for the agent's proxy tests.

    p = await Proxy(credentials=("user", "secret")).start()
    ... config: [network] proxy = p.url_with("user", "secret") ...
    r = await p.wait_request(1)          # r.target == "localhost:PORT", r.auth == "Basic ..."

Each request is recorded (ProxyRequest) before it is answered:
  - not CONNECT -> 405;
  - credentials set and Proxy-Authorization missing or not the right Basic
    value -> 407 with Proxy-Authenticate: Basic realm="opsagent-test";
  - refused target -> 403 (by default every target that is not 127.0.0.1,
    localhost or ::1 is refused, so a test can never reach the Internet);
  - the target does not answer -> 502;
  - else "200 Connection established" and bytes are relayed both ways until
    either side closes (an EOF is passed on as an EOF; an error aborts both).
Bytes the client sent right after its request head are relayed too.
"""
import asyncio
import base64
import time

from messages import TIME_FACTOR

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ProxyRequest:
    """One request: time (monotonic), method, target ("host:port"), headers
    (list of (name, value)), auth (the Proxy-Authorization value or None),
    status (the answer), up/down (bytes relayed client->target / back)."""

    def __init__(self, method, target, headers):
        self.time, self.method, self.target, self.headers = time.monotonic(), method, target, headers
        self.auth = next((v for k, v in headers if k.lower() == "proxy-authorization"), None)
        self.status, self.up, self.down, self.done = None, 0, 0, False

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def __repr__(self):
        return (f"<{self.method} {self.target} auth={self.auth!r} -> {self.status}"
                f" up={self.up} down={self.down}{' done' if self.done else ''}>")


class Proxy:
    """credentials: None or (user, password) that must come as Basic auth.
    refuse: None (refuse non-loopback targets), or a callable(host, port) ->
    True to refuse, or a collection of "host:port" / "host" strings to
    refuse (in addition to non-loopback hosts unless allow_remote)."""

    def __init__(self, credentials=None, refuse=None, allow_remote=False):
        self.credentials, self.refuse, self.allow_remote = credentials, refuse, allow_remote
        self.requests, self.port = [], 0
        self._server, self._writers, self._waiters = None, set(), []

    async def start(self, port=0):
        """Listen on 127.0.0.1:port (0: any free port); returns self."""
        self._server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def url_with(self, user, password):
        """http://user:password@127.0.0.1:PORT (no escaping: keep them plain)."""
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    async def stop(self):
        """Stop listening and abort every client and tunnel at once."""
        if self._server:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            await self._server.wait_closed()
            self._server = None

    def _notify(self):
        for f in self._waiters:
            if not f.done():
                f.set_result(None)
        self._waiters.clear()

    async def wait_request(self, n=1, timeout=10.0):
        """The n-th request (1-based), once it has been answered."""
        loop = asyncio.get_running_loop()
        timeout *= TIME_FACTOR
        deadline = loop.time() + timeout
        while len(self.requests) < n or self.requests[n - 1].status is None:
            if loop.time() >= deadline:
                raise AssertionError(f"proxy: request #{n} not seen within {timeout} s\n"
                                     + self.dump())
            f = loop.create_future()
            self._waiters.append(f)
            try:
                await asyncio.wait_for(f, deadline - loop.time())
            except asyncio.TimeoutError:
                pass
        return self.requests[n - 1]

    def dump(self):
        return "\n".join([f"--- proxy {self.url}: {len(self.requests)} requests"]
                         + [f"  {r!r}" for r in self.requests])

    def _refused(self, host, port):
        if not self.allow_remote and host not in LOOPBACK:
            return True
        if self.refuse is None:
            return False
        if callable(self.refuse):
            return self.refuse(host, port)
        return host in self.refuse or f"{host}:{port}" in self.refuse

    def _expected_auth(self):
        user, password = self.credentials
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    @staticmethod
    def _reply(writer, status, phrase, extra=""):
        writer.write(f"HTTP/1.1 {status} {phrase}\r\n{extra}Content-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode())

    async def _client(self, reader, writer):
        self._writers.add(writer)
        req = None
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            headers = [tuple(s.strip() for s in ln.split(":", 1)) for ln in lines[1:] if ":" in ln]
            req = ProxyRequest(parts[0], parts[1] if len(parts) > 1 else "", headers)
            self.requests.append(req)
            await self._serve(req, reader, writer)
        finally:
            if req is not None:
                if req.status is None:
                    req.status = 0
                req.done = True
                self._notify()
            writer.close()
            self._writers.discard(writer)

    async def _serve(self, req, reader, writer):
        def answer(status, phrase, extra=""):
            req.status = status
            self._reply(writer, status, phrase, extra)
            self._notify()

        if req.method != "CONNECT":
            return answer(405, "Method Not Allowed")
        if self.credentials and req.auth != self._expected_auth():
            return answer(407, "Proxy Authentication Required",
                          'Proxy-Authenticate: Basic realm="opsagent-test"\r\n')
        host, _, port = req.target.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit():
            return answer(400, "Bad Request")
        if self._refused(host, int(port)):
            return answer(403, "Forbidden")
        try:
            up_r, up_w = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 5)
        except (OSError, asyncio.TimeoutError):
            return answer(502, "Bad Gateway")
        self._writers.add(up_w)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        req.status = 200
        self._notify()
        try:
            await asyncio.gather(self._pipe(reader, up_w, writer, req, "up"),
                                 self._pipe(up_r, writer, up_w, req, "down"))
        finally:
            up_w.transport.abort()
            self._writers.discard(up_w)

    async def _pipe(self, reader, writer, other, req, field):
        """Copy reader -> writer until EOF (passed on as EOF); on an error
        abort both sides so that each end sees the failure."""
        try:
            while data := await reader.read(65536):
                writer.write(data)
                setattr(req, field, getattr(req, field) + len(data))
                await writer.drain()
            if writer.can_write_eof() and not writer.transport.is_closing():
                writer.write_eof()
        except (ConnectionError, OSError):
            writer.transport.abort()
            other.transport.abort()


if __name__ == "__main__":
    import sys

    async def main():
        creds = tuple(sys.argv[1].split(":", 1)) if len(sys.argv) > 1 else None
        p = await Proxy(credentials=creds).start()
        print(f"proxy on {p.url}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
