# SPDX-License-Identifier: Apache-2.0
"""Protocol messages for the fake backend: builders for the backend -> agent
messages, the record of an agent -> backend message (Message), and the
Pushes mixin of Backend (well-formed pushes and hostile raw frames).

Every push coroutine returns once its frames are handed to the kernel (the
agent may not have read them yet) and raises NoConnection when there is no
open connection to push to; `conn` is a Conn, its 1-based number, or None
for the newest open connection.
"""
import asyncio
import json
import os
import time

from websockets.exceptions import ConnectionClosed
from websockets.frames import OP_BINARY, OP_CONT, OP_TEXT

# Every timeout of the backend's, the proxy's and the harness's waits is
# multiplied by $OA_TIME_FACTOR (default 1), so that a slow agent (under
# valgrind) gets the time it needs.
TIME_FACTOR = float(os.environ.get("OA_TIME_FACTOR", "1"))


def state(id, module, **parameter):
    """A recipe state: {"id", "module", "parameter"} (parameters as keywords)."""
    return {"id": id, "module": module, "parameter": parameter}


def recipe_message(version, states=None, module=None):
    """A RecipeMetadata dict. states=None omits "state" (a version-only push);
    module is None (omitted), a dict, or a (repo, tag) tuple."""
    msg = {"code": "RecipeMetadata", "recipe_version": version}
    if module is not None:
        msg["module"] = dict(module) if isinstance(module, dict) else \
            {"repo": module[0], "tag": module[1]}
    if states is not None:
        msg["state"] = states
    return msg


class Message:
    """One message received from an agent. m.obj is the parsed JSON (None if
    it did not parse or was binary), m.text the raw text (None for binary),
    m.data the payload of a binary message, m.code obj["code"] when obj is an
    object. m["field"] / m.get("field") read obj. m.time is time.monotonic()
    at arrival, m.conn the connection number."""

    def __init__(self, conn, data):
        self.conn, self.time, self.consumed = conn, time.monotonic(), False
        self.text = data if isinstance(data, str) else None
        self.data = data if isinstance(data, bytes) else None
        self.obj = None
        if self.text is not None:
            try:
                self.obj = json.loads(self.text)
            except ValueError:
                pass

    @property
    def code(self):
        return self.obj.get("code") if isinstance(self.obj, dict) else None

    def __getitem__(self, key):
        return self.obj[key]

    def get(self, key, default=None):
        return self.obj.get(key, default) if isinstance(self.obj, dict) else default

    def __repr__(self):
        body = self.text if self.text is not None else f"<binary {self.data[:60]!r}>"
        if len(body) > 300:
            body = body[:300] + f"... ({len(body)} chars)"
        return f"#{self.conn} {body}"


class Pushes:
    """Mixin of Backend (uses its _conn(), sent and _t0)."""

    # ---- pushes ----------------------------------------------------------

    def _sent(self, c, what):
        self.sent.append(f"{time.monotonic() - self._t0:8.3f} -> #{c.id} {what[:300]}")

    async def push(self, obj, conn=None):
        """Send obj as JSON in one text frame."""
        await self.send_text(json.dumps(obj), conn)

    async def recipe(self, version, states, module=None, conn=None):
        """Push RecipeMetadata (see recipe_message for states=None / module)."""
        await self.push(recipe_message(version, states, module), conn)

    async def state_done(self, version, id, conn=None):
        """Push {"code":"State","recipe_version":version,"id":id}."""
        await self.push({"code": "State", "recipe_version": version, "id": id}, conn)

    async def wait_list(self, version, ids, conn=None, instance_id=None):
        """Push WaitList; ids are state ids or (instance_id, state_id) pairs;
        a bare id gets instance_id (default: "i-test")."""
        waited = [{"instance_id": i[0], "state_id": i[1]} if isinstance(i, (tuple, list))
                  else {"instance_id": instance_id or "i-test", "state_id": i} for i in ids]
        await self.push({"code": "WaitList", "recipe_version": version, "waited": waited}, conn)

    async def app_not_ready(self, conn=None):
        await self.push({"code": "AppNotReady"}, conn)

    async def agent_update(self, version, url, conn=None):
        await self.push({"code": "AgentUpdate", "version": version, "url": url}, conn)

    async def test_probe(self, conn=None):
        await self.push({"code": "Test"}, conn)

    async def test_ans(self, result, error=None, conn=None):
        await self.push({"code": "TestAns", "result": result, "error": error}, conn)

    # ---- raw and hostile frames -------------------------------------------

    async def send_frame(self, opcode, data, fin=True, conn=None):
        """Write one frame as given, unchecked (any opcode, any payload)."""
        c = self._conn(conn)
        self._sent(c, f"frame op={opcode} fin={fin} {bytes(data[:200])!r} ({len(data)} B)")
        await c.ws.write_frame(fin, opcode, bytes(data))

    async def send_text(self, text, conn=None):
        """One text frame holding text (any string, JSON or not)."""
        c = self._conn(conn)
        self._sent(c, text)
        await c.ws.send(text)

    async def send_binary(self, data, conn=None):
        """One binary frame."""
        await self.send_frame(OP_BINARY, data, conn=conn)

    async def send_invalid_utf8_text(self, data=b'{"code":"\xff\xfe"}', conn=None):
        """A text frame whose payload (bytes) is sent as is, not UTF-8."""
        await self.send_frame(OP_TEXT, data, conn=conn)

    async def send_fragmented_text(self, parts, conn=None):
        """One text message in len(parts) frames: TEXT then CONTINUATION
        frames, FIN on the last. Parts are str or bytes (bytes may split a
        UTF-8 sequence across frames)."""
        parts = [p.encode() if isinstance(p, str) else bytes(p) for p in parts]
        for i, p in enumerate(parts):
            await self.send_frame(OP_TEXT if i == 0 else OP_CONT, p,
                                  fin=i == len(parts) - 1, conn=conn)

    async def send_oversize(self, n, fragment=None, conn=None):
        """A valid JSON text message of exactly n bytes (n >= 29):
        {"code":"Padding","pad":"xxx..."}; in frames of `fragment` bytes
        if given, else one frame."""
        head, tail = b'{"code":"Padding","pad":"', b'"}'
        body = head + b"x" * (n - len(head) - len(tail)) + tail
        assert len(body) == n, f"send_oversize: n must be >= {len(head) + len(tail)}"
        if fragment:
            await self.send_fragmented_text(
                [body[i:i + fragment] for i in range(0, n, fragment)], conn)
        else:
            await self.send_frame(OP_TEXT, body, conn=conn)

    async def send_nested(self, depth, conn=None):
        """{"code":"Nested","x":[[[...]]]} with `depth` nested arrays (so
        depth + 1 levels counting the outer object), one text frame."""
        await self.send_frame(OP_TEXT, b'{"code":"Nested","x":' + b"[" * depth
                              + b"]" * depth + b"}", conn=conn)

    async def ping(self, conn=None, timeout=5.0):
        """Ping the agent; True if its pong arrives within timeout."""
        waiter = await self._conn(conn).ws.ping()
        try:
            await asyncio.wait_for(waiter, timeout * TIME_FACTOR)
            return True
        except (asyncio.TimeoutError, ConnectionClosed):
            return False
