#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Self-test of the fake backend, the CONNECT proxy and the harness, without
the agent: Python websockets clients and a raw-frame client play the agent.
Runs as the ctest test backend/selftest (label integration)."""
import asyncio
import base64
import json
import os
import re
import socket
import ssl
import stat
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import websockets  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatusCode  # noqa: E402

from harness import (BackendTimeout, note, run, start_agent, start_backend,  # noqa: E402
                     start_proxy, state, tmpdir, write_config, certs)

HERE = os.path.dirname(os.path.abspath(__file__))
HANDSHAKE = {"code": "Handshake", "instance_id": "i-1", "app_id": "app-1", "agent_version": "t",
             "protocol_version": 1, "instance_token": "tok", "init_errors": None}


def connect(uri, **kw):
    return websockets.connect(uri, compression=None, max_size=None, open_timeout=5, **kw)


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def raises(exc_type, aw, timeout=5):
    """Await aw and return the exception of type exc_type it must raise."""
    try:
        await asyncio.wait_for(aw, timeout)
    except exc_type as e:
        return e
    raise AssertionError(f"{aw!r} did not raise {exc_type.__name__}")


# ---- a raw WebSocket client, to see frames exactly as the backend wrote them

async def raw_ws(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(f"GET /raw HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = await r.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return r, w


async def read_frame(r):
    b0, b1 = await asyncio.wait_for(r.readexactly(2), 5)
    assert not b1 & 0x80, "server frames must not be masked"
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", await r.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await r.readexactly(8))[0]
    return bool(b0 & 0x80), b0 & 0x0F, await r.readexactly(n)


def client_frame(opcode, payload, fin=True):
    mask, n = os.urandom(4), len(payload)
    hdr = bytes([(0x80 if fin else 0) | opcode])
    hdr += bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + struct.pack("!H", n)
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# ---- the tests ---------------------------------------------------------------

async def test_ws_messages():
    b = await start_backend()
    assert b.url == f"ws://127.0.0.1:{b.port}/agent/", b.url
    async with connect(b.url) as ws:
        c = await b.wait_connection(1)
        assert c.path == "/agent/" and c.headers["Host"] == f"127.0.0.1:{b.port}", c.headers
        assert "Proxy-Authorization" not in c.headers and b.current is c
        await ws.send(json.dumps(HANDSHAKE))
        await ws.send("not json")
        await ws.send(b"\x00bin")
        hs = await b.expect("Handshake")
        assert hs.obj == HANDSHAKE and hs["app_id"] == "app-1" and hs.conn == 1, hs
        junk = await b.expect(where=lambda m: m.obj is None and m.text is not None)
        assert junk.text == "not json" and junk.code is None
        assert (await b.expect(where=lambda m: m.data is not None)).data == b"\x00bin"
        e = await raises(BackendTimeout, b.expect("Handshake", timeout=0.2))
        assert "not seen within 0.2 s" in str(e) and "Handshake" in str(e), e
        assert len(b.messages("Handshake")) == 1 and len(b.messages()) == 3

        pushes = [
            (b.recipe(3, [state("s1", "linux.cmd", cmd="true")], ("https://r/m.git", "v1")),
             {"code": "RecipeMetadata", "recipe_version": 3,
              "module": {"repo": "https://r/m.git", "tag": "v1"},
              "state": [{"id": "s1", "module": "linux.cmd", "parameter": {"cmd": "true"}}]}),
            (b.recipe(4, None), {"code": "RecipeMetadata", "recipe_version": 4}),
            (b.state_done(3, "w1"), {"code": "State", "recipe_version": 3, "id": "w1"}),
            (b.wait_list(3, ["a", ("i-9", "b")]),
             {"code": "WaitList", "recipe_version": 3, "waited": [
                 {"instance_id": "i-test", "state_id": "a"}, {"instance_id": "i-9", "state_id": "b"}]}),
            (b.app_not_ready(), {"code": "AppNotReady"}),
            (b.agent_update("1.2.3", "https://u/a"),
             {"code": "AgentUpdate", "version": "1.2.3", "url": "https://u/a"}),
            (b.test_probe(), {"code": "Test"}),
            (b.test_ans(False, "nope"), {"code": "TestAns", "result": False, "error": "nope"}),
            (b.push({"code": "X", "n": 1}), {"code": "X", "n": 1}),
        ]
        for coro, want in pushes:
            await coro
            got = await recv_json(ws)
            assert got == want, (got, want)

        # Pings both ways.
        await asyncio.wait_for(await ws.ping(), 5)
        await b.wait_pings(1)
        assert await b.ping() is True

        # Knobs: AppNotReady to the first Handshake, then the auto recipe; WaitList.
        b.app_not_ready_first, b.handshakes = 1, 0
        b.auto_recipe = {"code": "RecipeMetadata", "recipe_version": 7, "state": []}
        b.auto_wait_list = lambda m: ["w-" + str(m["recipe_version"])]
        await ws.send(json.dumps(HANDSHAKE))
        assert await recv_json(ws) == {"code": "AppNotReady"}
        await ws.send(json.dumps(HANDSHAKE))
        assert (await recv_json(ws))["recipe_version"] == 7
        await ws.send(json.dumps({"code": "WaitQuery", "instance_id": "i-1", "app_id": "a",
                                  "recipe_version": 7}))
        got = await recv_json(ws)
        assert got == {"code": "WaitList", "recipe_version": 7,
                       "waited": [{"instance_id": "i-1", "state_id": "w-7"}]}, got
        await b.expect("WaitQuery")
        await b.expect("Handshake")
        await b.expect("Handshake")
        await ws.close(4001, "client bye")
    c = await b.wait_closed(1)
    assert (c.closed_by, c.close_code, c.close_reason) == ("agent", 4001, "client bye"), c
    await b.expect_none(within=0.05)
    note("ws messages, pushes, knobs, expect: ok")


async def test_faults():
    b = await start_backend()
    # drop: no close frame reaches the client.
    async with connect(b.url) as ws:
        await b.wait_connection(1)
        await b.drop()
        e = await raises(ConnectionClosed, ws.recv())
        assert e.rcvd is None and e.code == 1006, e
    assert b.connections[0].closed_by == "abort"
    # close with a code and reason.
    async with connect(b.url) as ws:
        c = await b.wait_connection(2)
        await b.close(c, 4000, "bye")
        e = await raises(ConnectionClosed, ws.recv())
        assert (e.rcvd.code, e.rcvd.reason) == (4000, "bye"), e
    assert (c.closed_by, c.backend_close_code) == ("backend", 4000), c
    # go_silent: no pong, nothing recorded, TCP stays open until drop().
    async with connect(b.url) as ws:
        c = await b.wait_connection(3)
        b.go_silent(c)
        pong = await ws.ping()
        await ws.send(json.dumps(HANDSHAKE))
        done, _ = await asyncio.wait({pong}, timeout=0.5)
        assert not done, "a silent backend answered a ping"
        pong.cancel()
        assert ws.open and c.open and not b.messages(conn=c), c
        await b.drop(c)
        await asyncio.wait_for(ws.wait_closed(), 5)
    # restart: the client gets 1001, the same port takes a new connection.
    port = b.port
    async with connect(b.url) as ws:
        await b.wait_connection(4)
        await b.restart()
        e = await raises(ConnectionClosed, ws.recv())
        assert e.rcvd.code == 1001, e
    assert b.port == port
    async with connect(b.url) as ws:
        await b.wait_connection(5)
        await b.stop(abort=True)
        e = await raises(ConnectionClosed, ws.recv())
        assert e.rcvd is None, e
        await raises(OSError, connect(b.url))
        await b.restart()
    # refused and stalled upgrades.
    for status in (403, 503):
        b.refuse_upgrades = status
        e = await raises(InvalidStatusCode, connect(b.url))
        assert e.status_code == status, e
    # A stalled upgrade waits, unanswered, until the knob is turned off.
    b.refuse_upgrades, b.stall_upgrades = None, True
    n = len(b.requests)

    async def opener():
        return await connect(b.url)

    pending = asyncio.create_task(opener())
    await b.wait_requests(n + 1)
    assert not pending.done() and len(b.connections) == 5
    b.stall_upgrades = False
    ws = await asyncio.wait_for(pending, 5)
    await b.wait_connection(6)
    await ws.close()
    await b.wait_closed(6)
    note("drop, close, go_silent, restart, stop, refused and stalled upgrades: ok")


async def test_frames():
    b = await start_backend()
    r, w = await raw_ws(b.port)
    w.write(client_frame(1, json.dumps(HANDSHAKE).encode()))
    await b.expect("Handshake")
    await b.send_invalid_utf8_text(b"\xff\xfe{")
    assert await read_frame(r) == (True, 1, b"\xff\xfe{")
    await b.send_binary(b"\x00\x01")
    assert await read_frame(r) == (True, 2, b"\x00\x01")
    await b.send_fragmented_text(['{"code":', b'"\xc3', b'\xa9"}'])
    assert [await read_frame(r) for _ in range(3)] == [
        (False, 1, b'{"code":'), (False, 0, b'"\xc3'), (True, 0, b'\xa9"}')]
    await b.send_oversize(70000)
    fin, op, data = await read_frame(r)
    assert (fin, op, len(data)) == (True, 1, 70000) and json.loads(data)["code"] == "Padding"
    await b.send_oversize(3000, fragment=1000)
    frames = [await read_frame(r) for _ in range(3)]
    assert [(f[0], f[1], len(f[2])) for f in frames] == [(False, 1, 1000), (False, 0, 1000),
                                                         (True, 0, 1000)], frames
    await b.send_nested(4)
    assert await read_frame(r) == (True, 1, b'{"code":"Nested","x":[[[[]]]]}')
    # An agent's invalid UTF-8 text is reported: the backend closes with 1007.
    w.write(client_frame(1, b"\xff"))
    fin, op, data = await read_frame(r)
    assert op == 8 and struct.unpack("!H", data[:2])[0] == 1007, data
    w.write(client_frame(8, data[:2]))
    w.close()
    c = await b.wait_closed(1)
    assert (c.closed_by, c.backend_close_code) == ("backend", 1007), c
    # A real client closes with 1007 on invalid UTF-8: recorded as the agent's close.
    async with connect(b.url) as ws:
        await b.wait_connection(2)
        await b.send_invalid_utf8_text()
        await raises(ConnectionClosed, ws.recv())
    c = await b.wait_closed(2)
    assert (c.closed_by, c.close_code) == ("agent", 1007), c
    note("invalid UTF-8, binary, fragmented, oversize, nested frames: ok")


def client_tls(ca):
    ctx = ssl.create_default_context(cafile=ca)
    return ctx


async def test_tls():
    cs = certs()
    b = await start_backend(tls=True)
    assert b.url == f"wss://localhost:{b.port}/agent/"
    async with connect(b.url, ssl=client_tls(cs.ca_cert)) as ws:
        await ws.send(json.dumps(HANDSHAKE))
        await b.expect("Handshake")
        await b.test_probe()
        assert await recv_json(ws) == {"code": "Test"}
    assert b.sni_names == ["localhost"], b.sni_names
    for name, why in (("untrusted", "unable to get local issuer"), ("wrong", "Hostname mismatch")):
        bad = await start_backend(tls=True, cert=name)
        e = await raises(ssl.SSLCertVerificationError,
                         connect(bad.url, ssl=client_tls(cs.ca_cert)))
        assert why in str(e), e
        assert len(bad.accepts) == 1 and not bad.connections
    note("wss with the test CA, untrusted and wrong-name certificates: ok")


async def via_proxy(p, target, auth=None):
    """CONNECT through p; returns (status line, headers text, socket)."""
    loop = asyncio.get_running_loop()
    s = socket.socket()
    s.setblocking(False)
    await loop.sock_connect(s, ("127.0.0.1", p.port))
    req = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if auth:
        req += f"Proxy-Authorization: Basic {base64.b64encode(auth.encode()).decode()}\r\n"
    await loop.sock_sendall(s, (req + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await asyncio.wait_for(loop.sock_recv(s, 1), 5)
        assert chunk, head
        head += chunk
    text = head.decode()
    return text.split("\r\n")[0], text, s


async def test_proxy():
    b = await start_backend()
    p = await start_proxy()
    status, _, s = await via_proxy(p, f"127.0.0.1:{b.port}")
    assert status == "HTTP/1.1 200 Connection established", status
    async with connect(b.url, sock=s) as ws:
        await ws.send(json.dumps(HANDSHAKE))
        await b.expect("Handshake")
        await b.drop()
        await raises(ConnectionClosed, ws.recv())
    r = await p.wait_request(1)
    assert (r.method, r.target, r.auth) == ("CONNECT", f"127.0.0.1:{b.port}", None), r
    # Credentials: missing or wrong -> 407 with a challenge; right -> tunnel over TLS.
    tb = await start_backend(tls=True)
    pa = await start_proxy(credentials=("user", "s3cret"))
    for auth in (None, "user:wrong"):
        status, text, s = await via_proxy(pa, f"localhost:{tb.port}", auth)
        s.close()
        assert status.startswith("HTTP/1.1 407") and \
            'Proxy-Authenticate: Basic realm="opsagent-test"' in text, text
    status, _, s = await via_proxy(pa, f"localhost:{tb.port}", "user:s3cret")
    assert status.startswith("HTTP/1.1 200"), status
    async with connect(tb.url, sock=s, ssl=client_tls(certs().ca_cert),
                       server_hostname="localhost") as ws:
        await ws.send(json.dumps(HANDSHAKE))
        await tb.expect("Handshake")
    r = await pa.wait_request(3)
    assert r.auth == "Basic " + base64.b64encode(b"user:s3cret").decode(), r
    assert pa.url_with("user", "s3cret") == f"http://user:s3cret@127.0.0.1:{pa.port}"
    # Refused targets.
    pr = await start_proxy(refuse={f"127.0.0.1:{b.port}"})
    for target in (f"127.0.0.1:{b.port}", "example.com:443"):
        status, _, s = await via_proxy(pr, target)
        s.close()
        assert status.startswith("HTTP/1.1 403"), status
    note("CONNECT proxy: tunnel, drop through it, 407, credentials, refused targets: ok")


FAKE_AGENT = r'''#!/usr/bin/python3
# A stand-in for opsagent: reads -c CONFIG, connects to ws_uri, sends a
# Handshake, answers a recipe with StateLogs, exits 0 on SIGTERM; with
# FAKE_LEAK set it logs its token, which the harness must catch.
import asyncio, configparser, json, os, signal, sys
import websockets
cfg = configparser.ConfigParser(); cfg.read(sys.argv[sys.argv.index("-c") + 1])
async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    uri = cfg["userdata"]["ws_uri"]
    print(f"fake agent: connecting to {uri}", file=sys.stderr, flush=True)
    async with websockets.connect(uri) as ws:
        ident = {"instance_id": cfg["network"]["instance_id"], "app_id": cfg["userdata"]["app_id"]}
        token = "0123456789abcdef" * 4
        await ws.send(json.dumps({"code": "Handshake", **ident, "protocol_version": 1,
                                  "instance_token": token}))
        print("fake agent: handshake sent", file=sys.stderr, flush=True)
        if os.environ.get("FAKE_LEAK"):
            print(f"fake agent: my token is {token}", file=sys.stderr, flush=True)
        async def serve():
            async for text in ws:
                msg = json.loads(text)
                for st in msg.get("state", []):
                    await ws.send(json.dumps({"code": "StateLog", **ident, "id": st["id"],
                        "recipe_version": msg["recipe_version"], "state_result": True}))
        task = asyncio.create_task(serve())
        await stop.wait()
        task.cancel()
    print("fake agent: stopped", file=sys.stderr, flush=True)
    if os.environ.get("FAKE_ASAN"):
        print("==1==ERROR: AddressSanitizer: heap-use-after-free", file=sys.stderr)
asyncio.run(main())
'''

SCRIPT_HEAD = f"import sys, asyncio\nsys.path.insert(0, {HERE!r})\nfrom harness import *\n"
SCRIPTS = {  # name: (body, expected exit status, regex the output must match)
    "fail": ("async def main():\n    b = await start_backend()\n"
             "    await b.expect('Handshake', timeout=0.2)\nrun(main)\n", 1,
             r"FAIL: BackendTimeout: message code='Handshake'.*not seen within 0.2 s"),
    "assert": ("async def main():\n    assert 1 == 2, 'one is not two'\nrun(main)\n", 1,
               r"FAIL: AssertionError: one is not two"),
    "skip": ("async def main():\n    skip('no namespaces here')\nrun(main)\n", 77,
             r"SKIP: no namespaces here"),
    "timeout": ("async def main():\n    await asyncio.Event().wait()\nrun(main, timeout=0.5)\n",
                1, r"test timed out after 0.5 s"),
    "asan": ("async def main():\n    b = await start_backend()\n    a = await start_agent()\n"
             "    await b.expect('Handshake')\nrun(main)\n", 1,
             r"sanitizer report from agent #1.*heap-use-after-free"),
    "leak": ("async def main():\n    b = await start_backend()\n    a = await start_agent()\n"
             "    await b.expect('Handshake')\n    await a.wait_log('my token')\nrun(main)\n", 1,
             r"the instance token is in agent #1's stderr, line \d+: fake agent: my token is"),
}


async def test_harness():
    fake = os.path.join(tmpdir(), "fake-opsagent")
    with open(fake, "w") as f:
        f.write(FAKE_AGENT)
    os.chmod(fake, stat.S_IRWXU)
    os.environ["OPSAGENT"] = fake
    b = await start_backend()
    conf = write_config(userdata={"app_id": "app-h"}, network={"keepalive": "200ms"},
                        runtime={"retry_wait": None}, extra={"flag": True})
    text = open(conf).read()
    for want in (f"ws_uri = {b.url}", "keepalive = 200ms", "flag = true", "userdata = \n",
                 f"state_dir = {tmpdir()}/state"):
        assert want in text, (want, text)
    assert "retry_wait" not in text and os.path.isdir(os.path.join(tmpdir(), "run"))
    agent = await start_agent(conf, env={"FAKE_UNUSED": None})
    assert agent.argv[1:] == ["-c", conf, "-v", "run"], agent.argv
    m = await agent.wait_log(r"connecting to (\S+)")
    assert m.group(1) == b.url, m.string
    hs = await b.expect("Handshake")
    assert (hs["app_id"], hs["instance_id"]) == ("app-h", "i-test"), hs
    await agent.wait_log("handshake sent")
    await b.recipe(1, [state("a", "meta.comment"), state("b", "meta.comment")])
    assert (await b.expect("StateLog"))["id"] == "a"
    assert (await b.expect("StateLog"))["id"] == "b"
    agent.stop()
    assert await agent.wait_exit(10) == 0
    assert agent.has_log("fake agent: stopped") and agent.sanitizer_report() is None
    await b.wait_closed()
    e = await raises(AssertionError, agent.wait_log("never logged", timeout=5))
    assert "exited (0) and never logged" in str(e), e
    # run() itself: failure, skip, timeout, sanitizer reports and a logged
    # token give the right status.
    for name, (body, want_rc, regex) in SCRIPTS.items():
        path = os.path.join(tmpdir(), f"script-{name}.py")
        with open(path, "w") as f:
            f.write(SCRIPT_HEAD + body)
        env = dict(os.environ, **({"FAKE_LEAK": "1"} if name == "leak" else {"FAKE_ASAN": "1"}))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = (await asyncio.wait_for(proc.communicate(), 30))[0].decode()
        assert proc.returncode == want_rc and re.search(regex, out, re.S), (name, proc.returncode, out)
        if kept := re.search(r"test files kept in (\S+)\)", out):
            subprocess.run(["rm", "-rf", kept.group(1)], check=True)
    note("harness: config, agent process, logs, exit, run() statuses: ok")


async def main():
    for t in (test_ws_messages, test_faults, test_frames, test_tls, test_proxy, test_harness):
        await t()


if __name__ == "__main__":
    run(main, timeout=100)
