#!/usr/bin/python3
# instance_id as a metadata URL: fetched over HTTP before the Handshake;
# when it cannot be reached (get_retry attempts), the host name stands in
# and init_errors says why.
import http.server, socket, threading
import asyncio, os, signal
from harness import *


class Metadata(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/latest/meta-data/instance-id":
            body = b"i-0abc123def4567890\n"
            self.send_response(200)
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


async def main():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    b = await start_backend()
    agent = await start_agent(write_config(
        network={"instance_id": f"{base}/latest/meta-data/instance-id"}))
    hs = await b.expect("Handshake")
    assert hs["instance_id"] == "i-0abc123def4567890", hs
    assert hs["init_errors"] is None, hs
    agent.stop()
    assert await agent.wait_exit() == 0

    # A 404, twice: the host name stands in, and init_errors says why.
    agent = await start_agent(write_config(
        network={"instance_id": f"{base}/nothing-here", "get_retry": 2}))
    hs = await b.expect("Handshake", timeout=15)
    assert hs["instance_id"] == socket.gethostname(), hs
    assert "instance_id from" in hs["init_errors"] and "404" in hs["init_errors"], hs
    # AppNotReady re-reads the identity: the reason stays.
    agent.stop()
    assert await agent.wait_exit() == 0
    srv.shutdown()


run(main)
