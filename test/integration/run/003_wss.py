#!/usr/bin/python3
# wss with the right CA connects; a certificate from another CA or for
# another name is refused, and the log says why; insecure = true connects
# anyway and warns.
import asyncio, os, signal
from harness import *


async def main():
    ca = certs().ca_cert
    b = await start_backend(tls=True)
    agent = await start_agent(write_config(network={"ca_file": ca}))
    hs = await b.expect("Handshake")
    assert hs["app_id"] == "app-test"
    assert b.sni_names and b.sni_names[-1] == "localhost", b.sni_names
    agent.stop()
    assert await agent.wait_exit() == 0

    bad = await start_backend(tls=True, cert="untrusted")
    agent = await start_agent(write_config(network={"ca_file": ca}))
    await agent.wait_log(r"certificate verification failed: .*not correctly signed by the trusted CA")
    await agent.wait_log(r"reconnecting in")
    assert not bad.requests, "an upgrade was sent over an untrusted connection"
    agent.stop()
    assert await agent.wait_exit() == 0

    wrong = await start_backend(tls=True, cert="wrong")
    agent = await start_agent(write_config(network={"ca_file": ca}))
    await agent.wait_log(r"certificate verification failed: .*Common Name \(CN\) does not match")
    assert not wrong.requests
    agent.stop()
    assert await agent.wait_exit() == 0

    # insecure: connects to the untrusted one, with a warning each time.
    agent = await start_agent(write_config(userdata={"ws_uri": bad.url},
                                           network={"ca_file": ca, "insecure": True}))
    await bad.expect("Handshake")
    await agent.wait_log(r"WARNING .*TLS certificate checks are off \(insecure = true\)")
    agent.stop()
    assert await agent.wait_exit() == 0

    # An unreadable CA file is a config error: exit 78 with one line.
    agent = await start_agent(write_config(userdata={"ws_uri": b.url},
                                           network={"ca_file": "/nonexistent/ca.pem"}))
    assert await agent.wait_exit() == 78
    assert agent.has_log(r"ca_file: CA file /nonexistent/ca.pem: No such file or directory")


run(main)
