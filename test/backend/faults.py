# SPDX-License-Identifier: Apache-2.0
"""Network faults that python websockets cannot make, for the fault-injection
tests (issue 7). Everything listens on and connects to 127.0.0.1 only.

On an open Backend connection (b is the Backend, conn as in its pushes):

    frame(opcode, payload, length=None)   a server frame's bytes (unmasked);
                                          length: the length its header announces
    await send_raw(b, data, conn, mute=True)
                                          bytes written to the socket as they are, in one
                                          write (mute: from then on websockets writes
                                          nothing there)
    await trickle(b, data, interval, conn)
                                          the same, one byte every `interval` s
    no_echo(b, conn)                      pongs carry no data (not echoing the ping's)
    await kill(b)                         the backend's process dies (port closed first)
    await end(b, conn)                    TCP FIN once what was written is sent
    await reset(b, conn)                  TCP RST once what was written is sent

FaultProxy, a TCP front for a Backend that treats each connection it accepts
according to the next entry of its `plan` (then `default`, "pass"):

    "pass"                 relay both ways to the backend (ws or wss)
    "close"                accept, read what the agent sends first, then FIN
    "reset"                accept, then RST at once
    "stall"                accept and read, never answer
    ("tls", n, then)       read the ClientHello, answer with the first n bytes of
                           a real server flight (ServerHello, Certificate, ...)
                           made with the backend's certificate, then "close",
                           "reset" or "stall"
    ("slow", interval)     read the HTTP upgrade request, answer with a valid
                           101 one byte every `interval` seconds

memory(pid) reads VmRSS and VmHWM (KiB) from /proc/PID/status, and
sanitized(pid) tells whether the process runs under AddressSanitizer.

The checks the fault tests share: gate(path, out) / open_gate(path) (a state
that ends when the test says), log_lines, warnings, one_log_line,
expect_statelogs (in order, each once), small_quarantine (the ASan option for
a meaningful RSS) and check_memory (alive, VmHWM under a bound).
"""
import asyncio
import base64
import hashlib
import os
import re
import shlex
import socket
import ssl
import struct
import time

from messages import TIME_FACTOR, state

__all__ = ["frame", "send_raw", "trickle", "no_echo", "kill", "end", "reset", "FaultProxy",
           "memory", "sanitized", "gate", "open_gate", "push_gated_recipe",
           "until_s2_runs", "log_lines", "warnings", "one_log_line",
           "expect_statelogs", "small_quarantine", "check_memory", "OP_TEXT", "OP_BINARY",
           "OP_CLOSE", "OP_PING"]

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 1, 2, 8, 9
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode, payload=b"", fin=True, length=None):
    """One unmasked frame as a server sends it; the header announces
    `length` (default len(payload)) whatever payload really holds."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = struct.pack("!BB", b0, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + bytes(payload)


def _rst(transport):
    """Close with RST: SO_LINGER {on, 0 s} makes close() reset the connection."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _drained(transport, timeout=5.0):
    """Wait until asyncio has handed everything written to the kernel."""
    deadline = time.monotonic() + timeout
    while transport.get_write_buffer_size() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


def _mute(c):
    """From now on websockets writes nothing on c (no pong, no close echo),
    so that its frames cannot land inside the raw bytes written here. It
    still reads and records what the agent sends."""
    c.ws.write_frame_sync = lambda fin, opcode, data: None


async def send_raw(b, data, conn=None, mute=True):
    """Write data to the connection's socket as it is, in one write. With
    mute, websockets writes nothing more on this connection (it still
    records what arrives); mute=False is for data made of whole frames,
    after which websockets' own frames may follow."""
    c = b._conn(conn)
    b._sent(c, f"raw {bytes(data[:60])!r} ({len(data)} B)")
    if mute:
        _mute(c)
    c.ws.transport.write(bytes(data))


async def trickle(b, data, interval, conn=None):
    """Write data one byte every interval seconds (muting websockets as
    send_raw does); stop early when the connection ends. Returns the number
    of bytes written."""
    c = b._conn(conn)
    b._sent(c, f"trickle {bytes(data[:60])!r} ({len(data)} B, one per {interval} s)")
    _mute(c)
    for i in range(len(data)):
        if not c.open or c.ws.transport.is_closing():
            return i
        c.ws.transport.write(data[i:i + 1])
        await asyncio.sleep(interval)
    return len(data)


def no_echo(b, conn=None):
    """From now on the connection answers pings with pongs that carry no
    data, against RFC 6455 §5.5.3 (a pong echoes its ping's data)."""
    c = b._conn(conn)
    b._sent(c, "<pongs without data from now on>")
    pong = c.ws.pong
    c.ws.pong = lambda data=b"": pong(b"")


async def kill(b):
    """The backend's process dies: its port stops listening at once, then
    every connection ends without a close frame. (Backend.stop closes the
    listener last, so a quick reconnect could still be accepted.)"""
    b.sent.append(f"{time.monotonic() - b._t0:8.3f} <kill>")
    b._server.server.close()
    await b.stop(abort=True)


async def end(b, conn=None):
    """FIN (no close frame) once what was written has left; return when the
    backend has recorded the end. Only the sending side is shut, so data
    still arriving from the agent cannot turn the FIN into a reset."""
    c = b._conn(conn)
    b._sent(c, "<fin>")
    c.ws.transport.write_eof()
    await b.wait_closed(c, 5)


async def reset(b, conn=None, linger=0.2):
    """RST once what was written has left and the agent had `linger`
    seconds to read it; return when the backend has recorded the end."""
    c = b._conn(conn)
    b._sent(c, "<rst>")
    await _drained(c.ws.transport)
    await asyncio.sleep(linger)
    _rst(c.ws.transport)
    await b.wait_closed(c, 5)


def memory(pid):
    """{"VmRSS": KiB, "VmHWM": KiB} of a running process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            key, _, value = ln.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def sanitized(pid):
    """True when the process runs under AddressSanitizer: its shadow memory
    is a reservation of terabytes (gcc and clang, static or shared runtime)."""
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmSize:"):
                return int(ln.split()[1]) > (1 << 30)  # KiB: over 1 TiB
    return False


class FaultProxy:
    """A TCP front for a Backend (see the module's doc for the plan). Tests
    read accepted: [accept time, mode, end time or None] (monotonic) of every
    accepted connection, in order."""

    def __init__(self, backend, certs=None):
        self.backend, self.certs = backend, certs
        self.plan, self.default = [], "pass"
        self.accepted, self.port = [], 0
        self._server, self._tasks, self._writers = None, set(), set()
        self._waiters = []

    async def start(self):
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self):
        """The backend's url with this proxy's port."""
        return self.backend.url.replace(f":{self.backend.port}/", f":{self.port}/", 1)

    async def stop(self):
        if not self._server:
            return
        self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def _notify(self):
        for f in self._waiters:
            if not f.done():
                f.set_result(None)
        self._waiters.clear()

    async def wait_accepts(self, n, timeout=10.0):
        """Wait until n connections have been accepted in total (timeout
        times TIME_FACTOR)."""
        loop = asyncio.get_running_loop()
        timeout *= TIME_FACTOR
        deadline = loop.time() + timeout
        while len(self.accepted) < n:
            if loop.time() >= deadline:
                raise AssertionError(f"fault proxy: {n} accepts not seen within {timeout} s\n"
                                     + self.dump())
            f = loop.create_future()
            self._waiters.append(f)
            try:
                await asyncio.wait_for(f, deadline - loop.time())
            except asyncio.TimeoutError:
                pass

    def dump(self):
        t0 = self.backend._t0
        return "\n".join([f"--- fault proxy 127.0.0.1:{self.port}, plan left {self.plan!r}:"]
                         + [f"{t - t0:8.3f} accepted: {m!r}, ended "
                            + (f"{e - t0:.3f}" if e else "-") for t, m, e in self.accepted])

    def __repr__(self):
        return f"<FaultProxy 127.0.0.1:{self.port}>"

    async def _client(self, reader, writer):
        mode = self.plan.pop(0) if self.plan else self.default
        record = [time.monotonic(), mode, None]
        self.accepted.append(record)
        self._notify()
        self._writers.add(writer)
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            kind = mode[0] if isinstance(mode, tuple) else mode
            await getattr(self, "_" + kind)(reader, writer, *(mode[1:] if isinstance(mode, tuple)
                                                               else ()))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()
            record[2] = time.monotonic()
            self._notify()

    async def _pass(self, reader, writer):
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.backend.port)
        self._writers.add(up_w)
        try:
            pipes = [asyncio.create_task(self._pipe(reader, up_w)),
                     asyncio.create_task(self._pipe(up_r, writer))]
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            for p in pipes:
                p.cancel()
        finally:
            self._writers.discard(up_w)
            up_w.transport.abort()

    @staticmethod
    async def _pipe(src, dst):
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()

    async def _close(self, reader, writer):
        # What the agent sent is read first: closing with unread data would
        # reset the connection instead.
        try:
            await asyncio.wait_for(reader.read(65536), 0.5)
        except asyncio.TimeoutError:
            pass
        writer.close()

    async def _reset(self, reader, writer):
        _rst(writer.transport)

    async def _stall(self, reader, writer):
        while await reader.read(65536):
            pass

    async def _tls(self, reader, writer, n, then="close"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.certs.pair())
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
        flight = b""
        while not flight:
            data = await reader.read(65536)
            if not data:
                return
            incoming.write(data)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            flight = outgoing.read()
        writer.write(flight[:n])
        await writer.drain()
        await asyncio.sleep(0.2)  # let the agent read it before the end
        await getattr(self, "_" + then)(reader, writer)

    async def _slow(self, reader, writer, interval):
        head = await reader.readuntil(b"\r\n\r\n")
        key = next(ln.split(b":", 1)[1].strip() for ln in head.split(b"\r\n")
                   if ln.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID.encode()).digest())
        answer = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        gone = asyncio.create_task(self._stall(reader, writer))  # ends when the agent closes
        try:
            for i in range(len(answer)):
                writer.write(answer[i:i + 1])
                await asyncio.wait({gone}, timeout=interval)
                if gone.done():
                    return
            await gone
        finally:
            gone.cancel()


# ---- checks shared by the fault tests ------------------------------------

def gate(path, out):
    """A linux.cmd script that waits until the file `path` exists, then
    prints out: the test decides when the state ends (open_gate)."""
    return f"while [ ! -e {shlex.quote(path)} ]; do sleep 0.02; done; echo {shlex.quote(out)}"


def open_gate(path):
    with open(path, "w"):
        pass


async def push_gated_recipe(b):
    """Pushes recipe 1: s1, s2, s3, linux.cmd states that each wait for their
    gate (printing one, two, three), then s4, a meta.comment. Returns the
    three gate paths."""
    from harness import tmpdir  # harness imports this module first
    g = [os.path.join(tmpdir(), f"gate{i}") for i in range(3)]
    await b.recipe(1, [state(f"s{i + 1}", "linux.cmd", cmd=gate(g[i], out), cwd="/tmp")
                       for i, out in enumerate(["one", "two", "three"])] +
                   [state("s4", "meta.comment")])
    return g


async def until_s2_runs(agent, g):
    """Lets s1 end, then waits until s2 runs and s1's StateLog is confirmed,
    so that no StateLog is in flight at the fault (that one would come
    twice)."""
    await agent.wait_log(r"state 1/4 s1 \(linux.cmd\) started")
    open_gate(g[0])
    await agent.wait_log(r"state 2/4 s2 \(linux.cmd\) started")
    await agent.wait_log(r"StateLog s1 confirmed by the backend")


def log_lines(agent, regex, since=0):
    """The agent's stderr lines from index since that match regex."""
    rx = re.compile(regex)
    return [ln for ln in agent.stderr_lines[since:] if rx.search(ln)]


def warnings(agent, since=0):
    """The agent's stderr lines from index since at warning level or worse."""
    return log_lines(agent, r"^\S+ \S+ (WARNING|ERROR|CRIT) ", since)


def one_log_line(agent, regex, since=0):
    """The one stderr line from index since matching regex; fails if there
    are none or several."""
    lines = log_lines(agent, regex, since)
    assert len(lines) == 1, f"{len(lines)} lines match /{regex}/, wanted one:\n" + \
        "\n".join(lines[:10]) + "\n" + agent.tail()
    return lines[0]


async def expect_statelogs(b, ids, timeout=10.0):
    """The next len(ids) StateLogs are for ids, in that order, each once,
    and no other follows within 0.3 s; returns them."""
    logs = [await b.expect("StateLog", timeout=timeout) for _ in ids]
    assert [m["id"] for m in logs] == list(ids), logs
    await b.expect_none("StateLog", within=0.3)
    return logs


def small_quarantine():
    """env for start_agent: under AddressSanitizer freed memory waits in a
    quarantine of up to 256 MiB before it is reused, and shows in the RSS
    (10,000 small messages: +55 MiB). With 4 MiB a sanitized agent's peak
    RSS follows what it really holds, and recent frees are still checked.
    Plain builds ignore it."""
    base = os.environ.get("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    return {"ASAN_OPTIONS": base + ":quarantine_size_mb=4"}


def check_memory(agent, mib, asan_mib):
    """Asserts the agent is alive (the same process all along) and its
    peak RSS (VmHWM) is under mib MiB, or asan_mib MiB under
    AddressSanitizer (shadow memory, quarantine); returns the figures.
    Under valgrind ($OPSAGENT_WRAPPER) the RSS is mostly valgrind's own
    (its shadow memory and translations), so only the figures are printed."""
    assert agent.returncode is None, f"the agent exited\n{agent.tail()}"
    m = memory(agent.pid)
    m["asan"] = sanitized(agent.pid)
    bound = (asan_mib if m["asan"] else mib) << 10
    if os.environ.get("OPSAGENT_WRAPPER"):
        print(f"memory of agent pid {agent.pid} under {os.environ['OPSAGENT_WRAPPER'].split()[0]}: "
              f"VmRSS {m['VmRSS']} KiB, VmHWM {m['VmHWM']} KiB (not checked)", flush=True)
        return m
    print(f"memory of agent pid {agent.pid}: VmRSS {m['VmRSS']} KiB, VmHWM {m['VmHWM']} KiB, "
          f"bound {bound} KiB{' (ASan)' if m['asan'] else ''}", flush=True)
    assert m["VmHWM"] < bound, (m, bound)
    return m
