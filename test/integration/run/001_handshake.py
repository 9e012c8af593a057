#!/usr/bin/python3
# Every Handshake field and its type; the token file is made once, mode 0400,
# and kept across restarts; SIGTERM closes with 1001 and exits 0.
import os, re, stat
import asyncio, os, signal
from harness import *


async def main():
    b = await start_backend()
    conf = write_config(network={"instance_id": "i-0123456789abcdef0"})
    agent = await start_agent(conf)
    hs = await b.expect("Handshake")
    assert set(hs.obj) == {"code", "instance_id", "app_id", "agent_version", "protocol_version",
                           "instance_token", "init_errors"}, hs.obj
    assert hs["instance_id"] == "i-0123456789abcdef0", hs
    assert hs["app_id"] == "app-test", hs
    assert re.fullmatch(r"\d+\.\d+\.\d+", hs["agent_version"]), hs
    assert hs["protocol_version"] == 1 and type(hs["protocol_version"]) is int, hs
    assert re.fullmatch(r"[0-9a-f]{64}", hs["instance_token"]), hs
    assert hs["init_errors"] is None, hs
    token = os.path.join(tmpdir(), "state", "token")
    st = os.stat(token)
    assert stat.S_IMODE(st.st_mode) == 0o400, oct(st.st_mode)
    assert open(token).read().strip() == hs["instance_token"]
    assert not agent.has_log(hs["instance_token"]), "the token was logged"

    conn = b.current
    agent.stop()
    assert await agent.wait_exit() == 0
    await b.wait_closed(conn)
    assert conn.close_code == 1001 and conn.closed_by == "agent", (conn.close_code, conn.closed_by)

    # The same token after a restart; the version from the config.
    conf = write_config(network={"instance_id": "i-2"}, userdata={"version": "2014-11-01"})
    agent = await start_agent(conf)
    hs2 = await b.expect("Handshake")
    assert hs2["instance_token"] == hs["instance_token"], "a new token was made"
    assert hs2["agent_version"] == "2014-11-01", hs2
    agent.stop()
    assert await agent.wait_exit() == 0

    # Without an instance_id the cloud is asked; when it does not answer the
    # host name stands in and init_errors says why.
    conf = write_config(network={"instance_id": None, "metadata": "http://127.0.0.1:9",
                                 "get_retry": 1})
    agent = await start_agent(conf)
    hs3 = await b.expect("Handshake")
    assert "instance_id" in (hs3["init_errors"] or ""), hs3
    agent.stop()
    assert await agent.wait_exit() == 0


run(main)
