#!/usr/bin/python3
# A CONNECT proxy from the config (with Basic credentials) or https_proxy
# from the environment is used; no_proxy exempts a host; a proxy that wants
# credentials it did not get is reported and retried.
import base64
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend(tls=True)
    p = await start_proxy(credentials=("user", "s3cret"))
    conf = write_config(network={"ca_file": certs().ca_cert, "proxy": p.url_with("user", "s3cret")})
    agent = await start_agent(conf)
    await b.expect("Handshake")
    req = await p.wait_request(1)
    assert req.target == f"localhost:{b.port}", req.target
    assert req.auth == "Basic " + base64.b64encode(b"user:s3cret").decode(), req.auth
    assert "Proxy-Authorization" not in b.current.headers, "credentials reached the backend"
    assert not agent.has_log("s3cret"), "the proxy password was logged"
    agent.stop()
    assert await agent.wait_exit() == 0

    # From the environment, without credentials: 407, logged, retried.
    conf = write_config(network={"ca_file": certs().ca_cert})
    agent = await start_agent(conf, env={"https_proxy": p.url})
    await agent.wait_log(r"refused CONNECT to localhost:\d+ with status 407")
    await agent.wait_log(r"reconnecting in")
    agent.stop()
    assert await agent.wait_exit() == 0

    # no_proxy exempts the backend's host.
    n = len(p.requests)
    agent = await start_agent(conf, env={"https_proxy": p.url, "no_proxy": "example.com,localhost"})
    await b.expect("Handshake")
    assert len(p.requests) == n, "the proxy was used despite no_proxy"
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
