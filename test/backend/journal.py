# SPDX-License-Identifier: Apache-2.0
"""A stand-in for journald's native socket, for run-mode tests in a sandbox
(harness.sandbox()): start() mounts a tmpfs over /run/systemd and listens
on /run/systemd/journal/socket, where libsystemd's sd_journal_sendv sends
its datagrams. Each datagram is parsed as the native protocol defines it
(KEY=VALUE lines, or KEY, a 64-bit little-endian length and binary data;
a large entry comes as a memfd passed with SCM_RIGHTS) into a dict in
`entries`. An agent started with journal=… (harness.start_agent) sends the
lines about a state here; the rest goes to its stderr with a <N> prefix.
"""
import asyncio
import os
import socket
import struct
import subprocess

SOCKET = "/run/systemd/journal/socket"


def parse(data):
    """One native-protocol datagram as {field: value} (values decoded as
    UTF-8, bad bytes replaced)."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            nl = len(data)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode(errors="replace")] = v.decode(errors="replace")
    return fields


class Journal:
    def __init__(self):
        self.entries = []
        self._sock = None

    async def start(self):
        if not os.environ.get("OA_IN_SANDBOX"):
            raise AssertionError("a fake journal needs the sandbox (harness.sandbox())")
        os.makedirs("/run/systemd", exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "opsagent-test",
                        "/run/systemd"], check=True)
        os.makedirs(os.path.dirname(SOCKET))
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(SOCKET)
        self._sock.setblocking(False)
        asyncio.get_running_loop().add_reader(self._sock.fileno(), self._on_readable)
        return self

    def _on_readable(self):
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._sock, 1 << 20, 4)
            except BlockingIOError:
                return
            for fd in fds:  # a sealed memfd, written from offset 0
                try:
                    data = os.pread(fd, os.fstat(fd).st_size, 0)
                finally:
                    os.close(fd)
            self.entries.append(parse(data))

    def drain(self):
        """Reads what the socket holds now (entries an agent sent just
        before it exited, not yet read by the loop)."""
        if self._sock:
            self._on_readable()

    def messages(self):
        """The MESSAGE field of every entry so far, in order."""
        self.drain()
        return [e.get("MESSAGE", "") for e in self.entries]

    async def stop(self):
        if self._sock:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def dump(self):
        return "--- journal entries:\n" + "\n".join(
            " ".join(f"{k}={v!r}" for k, v in e.items()) for e in self.entries[-40:])
