#!/usr/bin/python3
# Cloud identity from a fake metadata server on loopback: EC2 IMDSv2 (PUT a
# token, then GET with it), IMDSv1, OpenStack meta_data.json, failures and
# timeouts; user data whose values replace the config's (written back, a new
# app id gets a new token, a new WS_URI is where the agent connects).
import http.server, json, socket, threading, time
import asyncio, os, signal
from harness import *


class Metadata(http.server.BaseHTTPRequestHandler):
    mode = "v2"        # v2 (token required), v1, openstack, broken, slow
    userdata = None
    seen = []

    def answer(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        Metadata.seen.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
        if self.path == "/latest/api/token" and self.mode == "v2":
            return self.answer(200, b"TOKEN123")
        self.answer(404)

    def do_GET(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        Metadata.seen.append(("GET", self.path, token))
        if self.mode == "slow":
            time.sleep(5)
            return self.answer(200, b"too-late")
        if self.mode == "broken":
            return self.answer(500)
        if self.path == "/latest/meta-data/instance-id" and self.mode in ("v1", "v2"):
            if self.mode == "v2" and token != "TOKEN123":
                return self.answer(401)
            return self.answer(200, f"i-{self.mode}\n".encode())
        if self.path == "/openstack/latest/meta_data.json" and self.mode == "openstack":
            return self.answer(200, json.dumps({"uuid": "83679162-1378-4288-a2d4-70e13ec132aa",
                                                "name": "vm1"}).encode())
        if self.path == "/latest/user-data" and self.userdata is not None:
            return self.answer(200, self.userdata.encode())
        self.answer(404)

    def log_message(self, *args):
        pass


async def start_and_handshake(b, conf):
    agent = await start_agent(conf)
    hs = await b.expect("Handshake", timeout=15)
    agent.stop()
    assert await agent.wait_exit() == 0
    return agent, hs


async def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    b = await start_backend()
    net = {"instance_id": None, "metadata": base, "userdata": f"{base}/latest/user-data",
           "get_retry": 2}

    # IMDSv2: the token is asked for, then sent with the GET.
    agent, hs = await start_and_handshake(b, write_config(network=net))
    assert hs["instance_id"] == "i-v2" and hs["init_errors"] is None, hs
    assert ("PUT", "/latest/api/token", "21600") in Metadata.seen, Metadata.seen
    assert ("GET", "/latest/meta-data/instance-id", "TOKEN123") in Metadata.seen
    # IMDSv1: no token endpoint.
    Metadata.mode = "v1"
    agent, hs = await start_and_handshake(b, write_config(network=net))
    assert hs["instance_id"] == "i-v1", hs
    # OpenStack.
    Metadata.mode = "openstack"
    agent, hs = await start_and_handshake(b, write_config(network=net))
    assert hs["instance_id"] == "83679162-1378-4288-a2d4-70e13ec132aa", hs
    # Nothing answers properly, twice: the host name, and init_errors says why.
    Metadata.mode = "broken"
    agent, hs = await start_and_handshake(b, write_config(network=net))
    assert hs["instance_id"] == socket.gethostname(), hs
    assert "neither EC2 nor OpenStack metadata answered" in hs["init_errors"], hs
    # A metadata service that hangs: each request gives up after 2 s.
    Metadata.mode = "slow"
    t0 = time.monotonic()
    agent, hs = await start_and_handshake(b, write_config(network=dict(net, get_retry=1)))
    assert time.monotonic() - t0 < 12, time.monotonic() - t0
    assert "timed out" in hs["init_errors"], hs

    # User data: a new app id and another backend.
    Metadata.mode = "v2"
    b2 = await start_backend()
    conf = write_config(userdata={"ws_uri": b.url}, network=net)
    token_path = os.path.join(tmpdir(), "state", "token")
    old_token = open(token_path).read()
    Metadata.userdata = f"#!/bin/bash\nAPP_ID=app-from-userdata\nWS_URI={b2.url}\nVERSION=7.7.7\n"
    agent = await start_agent(conf)
    hs = await b2.expect("Handshake", timeout=15)
    assert hs["app_id"] == "app-from-userdata" and hs["agent_version"] == "7.7.7", hs
    assert hs["instance_token"] != old_token.strip(), "the token was not renewed"
    await agent.wait_log(r"wrote 3 changed value\(s\) back into")
    text = open(conf).read()
    assert f"ws_uri = {b2.url}" in text and "app_id = app-from-userdata" in text, text
    agent.stop()
    assert await agent.wait_exit() == 0
    srv.shutdown()


run(main)
