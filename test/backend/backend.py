# SPDX-License-Identifier: Apache-2.0
"""A scriptable fake opsagent backend (protocol.md) for integration tests.

    b = Backend(); await b.start()              # ws://127.0.0.1:<b.port>/agent/
    hs = await b.expect("Handshake")             # the next unconsumed Handshake
    await b.recipe(1, [state("s1", "linux.cmd", cmd="true")])
    log = await b.expect("StateLog", where=lambda m: m["id"] == "s1")
    await b.drop()                               # abrupt TCP loss; the agent must reconnect
    c2 = await b.wait_connection(2)

Everything listens on 127.0.0.1 only. All waits are event driven: a waiter
wakes in the loop iteration in which the awaited thing is recorded, and fails
after `timeout` seconds with a dump of everything the backend saw. Messages
are recorded before any automatic reply is sent.

The pushes (push, recipe, state_done, ..., send_text, send_binary, ...) are
in messages.py. `conn` arguments accept a Conn, its 1-based number, or None
for the newest open connection.
"""
import asyncio
import http
import json
import logging
import ssl
import time
import traceback

import websockets
import websockets.legacy.server
from websockets.exceptions import ConnectionClosed
from websockets.frames import OP_PING

from messages import TIME_FACTOR, Message, Pushes, recipe_message, state  # noqa: F401 (re-exported)

__all__ = ["Backend", "BackendTimeout", "NoConnection", "Conn", "Message", "state",
           "recipe_message", "TIME_FACTOR"]


class BackendTimeout(AssertionError):
    """A wait helper timed out; the message holds the backend's dump."""


class NoConnection(AssertionError):
    """A push or fault was asked for but there is no such open connection."""


class Conn:
    """One accepted WebSocket connection. path and headers (a case-insensitive
    websockets Headers: headers["Host"], headers.get_all(name)) come from the
    upgrade request. After it ends: closed_by is "agent" (the agent sent the
    first close frame), "backend" (we did, e.g. close() or stop()) or "abort"
    (the TCP connection ended without a close handshake, e.g. drop());
    close_code/close_reason are what the agent's close frame said (None
    without one); backend_close_code is what we sent. pings lists the
    monotonic times of the agent's pings."""

    def __init__(self, id, ws):
        self.id, self.ws, self.path = id, ws, ws.path
        self.headers = websockets.datastructures.Headers(ws.request_headers.raw_items())
        self.remote = ws.remote_address
        self.opened, self.closed_at = time.monotonic(), None
        self.closed_by = self.close_code = self.close_reason = self.backend_close_code = None
        self.silent, self.pings = False, []

    @property
    def open(self):
        return self.closed_at is None

    def __repr__(self):
        st = "open" if self.open else f"closed by {self.closed_by} code={self.close_code}"
        return f"<conn #{self.id} {self.path} {st}{' silent' if self.silent else ''}>"


class _Protocol(websockets.legacy.server.WebSocketServerProtocol):
    """The server protocol with the backend's hooks: counts TCP accepts,
    records upgrade requests, records pings, and can go silent."""

    def __init__(self, backend, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backend, self.silent = backend, False
        backend.accepts.append(time.monotonic())  # TCP accept, before any TLS
        backend._notify()

    async def process_request(self, path, headers):
        b = self.backend
        b.requests.append((time.monotonic(), path, headers))
        b._notify()
        while b.stall_upgrades and not b._stopping:
            await b._changed()
        status = 503 if b._stopping else b.refuse_upgrades
        if status:
            hdrs = [("Retry-After", "1")] if status == 503 else []
            return http.HTTPStatus(status), hdrs, b"refused by the test backend\n"
        return None

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == OP_PING and getattr(self, "conn", None):
            self.conn.pings.append(time.monotonic())
            self.backend._notify()
        return frame

    def data_received(self, data):
        if not self.silent:
            super().data_received(data)

    def write_frame_sync(self, fin, opcode, data):
        if not self.silent:
            super().write_frame_sync(fin, opcode, data)


class _LogToEvents(logging.Handler):
    def __init__(self, backend):
        super().__init__(logging.INFO)
        self.backend = backend

    def emit(self, record):
        b = self.backend
        b.events.append(f"{time.monotonic() - b._t0:8.3f} {record.getMessage()}")


class Backend(Pushes):
    """The fake backend. Attributes tests read: port, url, connections (list
    of Conn, in accept order), accepts (monotonic time of every TCP accept,
    including TLS failures), requests ((time, path, headers) of every upgrade
    request, refused ones too), sni_names (TLS server names asked for),
    sent (what we pushed), events (websockets' log lines).

    Knobs (plain attributes, change them at any time):
      refuse_upgrades = None | 403 | 503   answer upgrades with that status
      stall_upgrades = False               never answer the upgrade (deadline tests)
      app_not_ready_first = 0              answer the first N Handshakes with AppNotReady
      auto_recipe = None                   a message (see recipe_message) pushed after
                                           each Handshake not answered with AppNotReady
      auto_wait_list = None                None: WaitQuery is only recorded; a list of
                                           state ids, or a callable(Message) -> ids:
                                           answer with WaitList for the queried version
    """

    def __init__(self):
        self.port, self.tls = 0, False
        self.connections, self.accepts, self.requests = [], [], []
        self.sni_names, self.sent, self.events = [], [], []
        self.refuse_upgrades, self._stall = None, False
        self.app_not_ready_first, self.auto_recipe, self.auto_wait_list = 0, None, None
        self.handshakes = 0
        self._msgs, self._waiters, self._server, self._ssl = [], [], None, None
        self._stopping, self._t0 = False, time.monotonic()
        self._log = logging.getLogger(f"opsagent.backend.{id(self)}")
        self._log.propagate, self._log.level = False, logging.INFO
        self._log.addHandler(_LogToEvents(self))

    @property
    def stall_upgrades(self):
        return self._stall

    @stall_upgrades.setter
    def stall_upgrades(self, on):
        self._stall = on
        self._notify()  # stalled requests re-check it at once

    # ---- lifecycle -------------------------------------------------------

    async def start(self, tls=False, certs=None, port=0):
        """Listen on 127.0.0.1:port (0: any free port; self.port tells it).
        tls=True serves wss:// with certs: a certs.Certs (its "localhost"
        pair) or a (certfile, keyfile) tuple. Returns self once listening."""
        if tls:
            cert, key = certs.pair() if hasattr(certs, "pair") else certs
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert, key)
            ctx.sni_callback = lambda _obj, name, _ctx: self.sni_names.append(name)
            self._ssl = ctx
        self.tls = tls
        await self._listen(port)
        return self

    async def _listen(self, port):
        self._stopping = False
        self._server = await websockets.serve(
            self._handler, "127.0.0.1", port, ssl=self._ssl,
            create_protocol=lambda *a, **kw: _Protocol(self, *a, **kw),
            logger=self._log, compression=None, ping_interval=None,
            close_timeout=1, max_size=None, max_queue=None)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self):
        """ws://127.0.0.1:PORT/agent/, or wss://localhost:PORT/agent/ (the
        name the server certificate is for)."""
        return self.url_for()

    def url_for(self, host=None, path="/agent/"):
        host = host or ("localhost" if self.tls else "127.0.0.1")
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}{path}"

    async def stop(self, abort=False):
        """Close the listener and every connection, and return when all are
        closed. Open connections get a 1001 close frame (at most 1 s for the
        agent to answer, then TCP is dropped); silent ones, and all of them
        with abort=True, are dropped without a close frame."""
        if not self._server:
            return
        self._stopping = True
        self._notify()
        for c in self.connections:
            if c.open and (abort or c.silent):
                c.ws.transport.abort()
        self._server.close()
        await self._server.wait_closed()
        self._server = None

    async def restart(self, abort=False):
        """stop(abort) then listen again on the same port (numbering of
        connections and the records go on)."""
        await self.stop(abort)
        await self._listen(self.port)

    # ---- waiting -----------------------------------------------------------

    def _notify(self):
        for f in self._waiters:
            if not f.done():
                f.set_result(None)
        self._waiters.clear()

    def _changed(self):
        f = asyncio.get_running_loop().create_future()
        self._waiters.append(f)
        return f

    async def wait_for(self, pred, timeout=10.0, what="condition", scale=True):
        """Wait until pred() returns something other than None/False and
        return it; re-evaluated at every event the backend records. The
        timeout is multiplied by TIME_FACTOR (messages.py) unless scale is
        false: expect_none's window is not, since a longer window would make
        its assertion stricter, not looser."""
        if scale:
            timeout *= TIME_FACTOR
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            r = pred()
            if r is not None and r is not False:
                return r
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise BackendTimeout(f"{what}: not seen within {timeout} s\n{self.dump()}")
            try:
                await asyncio.wait_for(self._changed(), left)
            except asyncio.TimeoutError:
                pass

    def _match(self, code, where, conn):
        cid = self._conn_id(conn)
        for m in self._msgs:
            if m.consumed or (code is not None and m.code != code):
                continue
            if (cid is None or m.conn == cid) and (where is None or where(m)):
                return m
        return None

    async def expect(self, code=None, timeout=10.0, where=None, conn=None):
        """Return the oldest not yet consumed message with this code (None:
        any) from conn (None: any connection) for which where(m) is true,
        waiting for it if needed, and mark it consumed. Raises BackendTimeout
        with a dump of everything received."""
        m = await self.wait_for(lambda: self._match(code, where, conn), timeout,
                                f"message code={code!r} conn={self._conn_id(conn)}")
        m.consumed = True
        return m

    async def expect_none(self, code=None, within=0.5, where=None, conn=None):
        """Assert that no unconsumed matching message exists or arrives in
        the next `within` seconds (this always waits the whole time)."""
        try:
            m = await self.wait_for(lambda: self._match(code, where, conn), within, scale=False)
        except BackendTimeout:
            return
        raise AssertionError(f"unexpected message: {m!r}\n{self.dump()}")

    def messages(self, code=None, conn=None):
        """Every message recorded so far (consumed or not), oldest first."""
        cid = self._conn_id(conn)
        return [m for m in self._msgs
                if (code is None or m.code == code) and (cid is None or m.conn == cid)]

    async def wait_connection(self, n=1, timeout=10.0):
        """The n-th connection (1-based), once its upgrade has completed."""
        return await self.wait_for(
            lambda: self.connections[n - 1] if len(self.connections) >= n else None,
            timeout, f"connection #{n}")

    async def wait_closed(self, conn=None, timeout=10.0):
        """Wait until conn (None: the newest connection) has ended; return it
        (see Conn for closed_by / close_code)."""
        c = self._conn(conn, need_open=False)
        return await self.wait_for(lambda: c if not c.open else None, timeout,
                                   f"close of connection #{c.id}")

    async def wait_accepts(self, n, timeout=10.0):
        """Wait until n TCP connections have been accepted in total."""
        await self.wait_for(lambda: len(self.accepts) >= n, timeout, f"{n} TCP accepts")

    async def wait_requests(self, n, timeout=10.0):
        """Wait until n upgrade requests (refused ones included) arrived."""
        await self.wait_for(lambda: len(self.requests) >= n, timeout, f"{n} upgrade requests")

    async def wait_pings(self, n, conn=None, timeout=10.0):
        """Wait until conn has received n pings from the agent."""
        c = self._conn(conn, need_open=False)
        await self.wait_for(lambda: len(c.pings) >= n, timeout, f"{n} pings on #{c.id}")

    # ---- connections -----------------------------------------------------

    def _conn_id(self, conn):
        return conn.id if isinstance(conn, Conn) else conn

    def _conn(self, conn=None, need_open=True):
        if isinstance(conn, Conn):
            c = conn
        elif conn is None:
            live = [c for c in self.connections if c.open] if need_open else self.connections
            if not live:
                raise NoConnection(f"no {'open ' if need_open else ''}connection\n{self.dump()}")
            c = live[-1]
        elif 1 <= conn <= len(self.connections):
            c = self.connections[conn - 1]
        else:
            raise NoConnection(f"no connection #{conn}\n{self.dump()}")
        if need_open and not c.open:
            raise NoConnection(f"connection #{c.id} is closed\n{self.dump()}")
        return c

    @property
    def current(self):
        """The newest open connection, or None."""
        live = [c for c in self.connections if c.open]
        return live[-1] if live else None

    async def _handler(self, ws):
        c = Conn(len(self.connections) + 1, ws)
        ws.conn = c
        self.connections.append(c)
        self._notify()
        try:
            async for data in ws:
                if c.silent:
                    continue
                m = Message(c.id, data)
                self._msgs.append(m)
                self._notify()
                await self._auto_reply(c, m)
        except ConnectionClosed:
            pass
        except Exception:
            self.events.append("handler error: " + traceback.format_exc())
        finally:
            await ws.wait_closed()
            rcvd, sent = ws.close_rcvd, ws.close_sent
            c.close_code = rcvd.code if rcvd else None
            c.close_reason = rcvd.reason if rcvd else None
            c.backend_close_code = sent.code if sent else None
            if rcvd and (not sent or ws.close_rcvd_then_sent):
                c.closed_by = "agent"
            else:
                c.closed_by = "backend" if sent else "abort"
            c.closed_at = time.monotonic()
            self._notify()

    async def _auto_reply(self, c, m):
        try:
            if m.code == "Handshake":
                self.handshakes += 1
                if self.handshakes <= self.app_not_ready_first:
                    await self.app_not_ready(c)
                elif self.auto_recipe is not None:
                    await self.push(self.auto_recipe, c)
            elif m.code == "WaitQuery" and self.auto_wait_list is not None:
                ids = self.auto_wait_list
                ids = ids(m) if callable(ids) else ids
                await self.wait_list(m.get("recipe_version"), ids, c, m.get("instance_id"))
        except ConnectionClosed:
            pass

    # ---- faults ------------------------------------------------------------

    async def drop(self, conn=None):
        """Abort the TCP connection (no close frame, like a crash or a lost
        route) and return once it is recorded as closed."""
        c = self._conn(conn)
        self._sent(c, "<drop>")
        c.ws.transport.abort()
        await self.wait_closed(c, 5)

    async def close(self, conn=None, code=1000, reason=""):
        """Send a close frame and return when the connection has ended (the
        agent has 1 s to answer before TCP is dropped)."""
        c = self._conn(conn)
        self._sent(c, f"<close {code} {reason!r}>")
        await c.ws.close(code, reason)
        await self.wait_closed(c, 5)

    def go_silent(self, conn=None):
        """Half-open connection: from now on nothing is read from the socket
        (no messages recorded, pings never answered) and nothing is written;
        TCP stays open until drop() or stop(). The backend cannot see the
        agent close it; wait for its next connection instead."""
        c = self._conn(conn)
        self._sent(c, "<go silent>")
        c.silent = c.ws.silent = True
        c.ws.transport.pause_reading()

    # ---- diagnostics -------------------------------------------------------

    def dump(self):
        """Everything seen, for failure reports."""
        t = lambda x: f"{x - self._t0:8.3f}"  # noqa: E731
        out = [f"--- backend {self.url if self._server or self.port else '(not started)'}: "
               f"{len(self.accepts)} TCP accepts, {len(self.requests)} upgrade requests"]
        out += [f"  {c!r} opened {t(c.opened)}" for c in self.connections]
        out.append("--- received (* = consumed by expect):")
        out += [f"{t(m.time)} {'*' if m.consumed else ' '} {m!r}" for m in self._msgs]
        out.append("--- sent:")
        out += self.sent[-50:]
        if self.events:
            out.append("--- websockets events:")
            out += self.events[-30:]
        return "\n".join(out)


async def _main(argv):
    """Manual use: run a backend, print what arrives, push each stdin line
    (a JSON object) to the newest connection."""
    import argparse
    import sys
    p = argparse.ArgumentParser(description=_main.__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-certs", metavar="DIR", help="serve wss:// with make_certs(DIR)")
    p.add_argument("--recipe", metavar="FILE", help="push this RecipeMetadata on every Handshake")
    a = p.parse_args(argv)
    b = Backend()
    if a.tls_certs:
        from certs import make_certs
        await b.start(tls=True, certs=make_certs(a.tls_certs), port=a.port)
    else:
        await b.start(port=a.port)
    if a.recipe:
        with open(a.recipe) as f:
            b.auto_recipe = json.load(f)
    print(f"listening on {b.url}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def show():
        while True:
            m = await b.expect(timeout=1e9)
            print(repr(m), flush=True)

    shower = asyncio.create_task(show())
    while line := await reader.readline():
        if line.strip():
            try:
                await b.push(json.loads(line))
            except (ValueError, NoConnection) as e:
                print(f"not pushed: {str(e).splitlines()[0]}", flush=True)
    shower.cancel()
    await b.stop()


if __name__ == "__main__":
    import sys
    asyncio.run(_main(sys.argv[1:]))
