#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Soak: does the agent's memory or fd count grow over time? Run by hand,
not in CI:

    OPSAGENT=build-gcc/opsagent /usr/bin/python3 test/bench/soak.py \
        [--minutes 60] [--sample 60] [--warmup-samples 2] [--rss-tolerance 512] \
        [--fd-tolerance 0] [--plain]

One agent against the fake backend (wss unless --plain) runs compressed
rounds (delay 1 s, retry_wait 200 ms, keep-alive 2 s) while a driver
keeps changing things:
- every 5 s a recipe change: a new version alternating between
  A = [echo, linux.file, meta.wait, meta.comment, linux.dir] (the backend
  answers the wait with a State push 0.3 s later) and
  B = [a command printing 100 KiB (its output is cut at output_limit),
  a command that fails in every fourth version (the round restarts after
  retry_wait until the next change)];
- every 7 s a connection fault, in turn: the TCP connection aborted, a
  1001 close, and a half-open connection (the backend goes silent; the
  agent's dead-peer timer ends it). Like a real backend, this one pushes
  the current recipe after each Handshake and re-sends the finished wait.
Every --sample seconds it prints a row: RSS and peak RSS, open fds (the
fewest seen over one second of 50 ms readings, so that a state's
transient pipes do not count), and the StateLogs, connections and
versions so far.

Exits non-zero (and says why) when the lowest RSS of the last three
samples exceeds the highest of the first --warmup-samples samples by more
than --rss-tolerance KiB (default 512), or the same for open fds and
--fd-tolerance (default 0): growth that lasts, not a passing spike. Also
when the agent stopped reporting (no StateLog during a sample interval),
passed no meta.wait at all, or exited. The counts of WARNING/ERROR/CRIT lines the agent logged are
printed (connection faults make some on purpose)."""
import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import fd_count, peak_rss_kib, print_header, rss_kib  # noqa: E402
from harness import (NoConnection, certs, recipe_message, run, start_agent,  # noqa: E402
                     start_backend, state, tmpdir, write_config)
from websockets.exceptions import ConnectionClosed  # noqa: E402

CHANGE_EVERY, FAULT_EVERY, WAIT_ANSWER = 5.0, 7.0, 0.3


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--warmup-samples", type=int, default=2)
    ap.add_argument("--rss-tolerance", type=int, default=512, help="KiB over the warm-up value")
    ap.add_argument("--fd-tolerance", type=int, default=0, help="fds over the warm-up value")
    ap.add_argument("--plain", action="store_true", help="ws:// instead of wss://")
    a = ap.parse_args()
    if a.minutes * 60 < a.sample * (a.warmup_samples + 1):
        ap.error("--minutes must leave at least one sample after the warm-up")
    return a


def recipe(v, files):
    if v % 2:
        return [state("echo", "linux.cmd", cmd=f"echo version {v}; date", cwd="/tmp"),
                state("file", "linux.file", path=os.path.join(files, "f.txt"),
                      content=f"version {v}\n" * (1 + v % 50), mode="0640"),
                state("w", "meta.wait", state=["w"]),
                state("note", "meta.comment"),
                state("dir", "linux.dir", path=[os.path.join(files, f"d{v % 3}")])]
    return [state("out", "linux.cmd", cmd="head -c 102400 /dev/zero | tr '\\0' x", cwd="/tmp"),
            state("maybe", "linux.cmd", cmd="exit 1" if v % 4 == 0 else "true", cwd="/tmp")]


class Driver:
    """Recipe changes, wait answers and connection faults, on a timetable."""

    def __init__(self, b, files):
        self.b, self.files, self.version, self.faults = b, files, 0, 0
        self.waits_done = set()  # versions whose wait was answered
        # websockets' close() swallows a cancellation that arrives while it
        # waits, so the loops also check this flag.
        self.stopping = False

    async def _quietly(self, coro):
        try:
            await coro
        except (NoConnection, ConnectionClosed, AssertionError):
            pass  # between connections: the next Handshake gets it all again

    async def change(self):
        self.version += 1
        v = self.version
        msg = recipe_message(v, recipe(v, self.files))
        self.b.auto_recipe = msg  # pushed after every Handshake, as a backend does
        await self._quietly(self.b.push(msg))
        if v % 2:
            await asyncio.sleep(WAIT_ANSWER)
            self.waits_done.add(v)
            await self._quietly(self.b.state_done(v, "w"))

    async def fault(self):
        kind = self.faults % 3
        self.faults += 1
        # Connections left silent earlier stay open here (nothing is read
        # from them); the agent has given up on them: end them.
        for old in [x for x in self.b.connections if x.open and x.silent]:
            await self._quietly(self.b.drop(old))
        c = self.b.current
        if c is None:
            return
        if kind == 0:
            await self._quietly(self.b.drop(c))
        elif kind == 1:
            await self._quietly(self.b.close(c, 1001, "going away"))
        else:
            self.b.go_silent(c)

    async def resend_waits(self):
        """After each Handshake, the finished wait of the current version
        again (protocol.md: the backend re-sends them). Counting Handshakes
        keeps this O(1) per event over an hour of messages."""
        seen = self.b.handshakes
        while not self.stopping:
            await self.b.wait_for(lambda: self.b.handshakes > seen, timeout=1e9)
            seen = self.b.handshakes
            if self.version in self.waits_done:
                await self._quietly(self.b.state_done(self.version, "w"))

    async def loop(self):
        t0 = time.monotonic()
        next_change, next_fault = 0.0, FAULT_EVERY
        while not self.stopping:
            now = time.monotonic() - t0
            if now >= next_change:
                await self.change()
                next_change += CHANGE_EVERY
            elif now >= next_fault:
                await self.fault()
                next_fault += FAULT_EVERY
            else:
                await asyncio.sleep(min(next_change, next_fault) - now)


async def fewest_fds(pid, seconds=1.0, step=0.05):
    best = fd_count(pid)
    for _ in range(int(seconds / step)):
        await asyncio.sleep(step)
        best = min(best, fd_count(pid))
    return best


async def main(a):
    tls = not a.plain
    b = await start_backend(tls=tls)
    net = {"keepalive": "2s", "dead_after": "5s", "reconnect_min": "50ms", "reconnect_max": "1s"}
    if tls:
        net["ca_file"] = certs().ca_cert
    conf = write_config(network=net, runtime={"delay": "1s", "retry_wait": "200ms",
                                              "output_limit": "16384"})
    agent = await start_agent(conf, verbose=False)
    await b.expect("Handshake")
    files = os.path.join(tmpdir(), "files")
    d = Driver(b, files)
    tasks = [asyncio.create_task(d.loop()), asyncio.create_task(d.resend_waits())]
    print_header(f"soak: {a.minutes:g} min, a sample every {a.sample:g} s, "
                 f"{'wss' if tls else 'ws'}; recipe change every {CHANGE_EVERY:g} s, "
                 f"connection fault every {FAULT_EVERY:g} s")
    print(f"  {'min':>6} {'RSS KiB':>8} {'peak KiB':>9} {'fds':>4} {'StateLogs':>10} "
          f"{'conns':>6} {'version':>8}", flush=True)
    rows, t0, failures = [], time.monotonic(), []
    n_samples = int(a.minutes * 60 // a.sample)
    try:
        for k in range(1, n_samples + 1):
            await asyncio.sleep(max(0.0, t0 + k * a.sample - 1.0 - time.monotonic()))
            if agent.returncode is not None:
                failures.append(f"the agent exited ({agent.returncode})")
                break
            fds = await fewest_fds(agent.pid)
            row = ((time.monotonic() - t0) / 60, rss_kib(agent.pid), peak_rss_kib(agent.pid), fds,
                   len(b.messages("StateLog")), len(b.connections), d.version)
            rows.append(row)
            print(f"  {row[0]:6.1f} {row[1]:8d} {row[2]:9d} {row[3]:4d} {row[4]:10d} {row[5]:6d} "
                  f"{row[6]:8d}", flush=True)
            if len(rows) >= 2 and rows[-1][4] == rows[-2][4]:
                failures.append(f"no StateLog between minute {rows[-2][0]:.1f} and {row[0]:.1f}")
    finally:
        d.stopping = True
        for _ in range(3):
            for t in tasks:
                t.cancel()
            _, pending = await asyncio.wait(tasks, timeout=10)
            if not pending:
                break
    if len(rows) > a.warmup_samples:
        warm, after = rows[:max(1, a.warmup_samples)], rows[a.warmup_samples:]
        tail = after[-3:]  # growth that lasts to the end, not a passing spike
        for name, col, tol in (("RSS", 1, a.rss_tolerance), ("open fds", 3, a.fd_tolerance)):
            base, end = max(r[col] for r in warm), min(r[col] for r in tail)
            print(f"  {name}: at most {base} during the warm-up, at least {end} over the last "
                  f"{len(tail)} samples ({end - base:+d}; tolerance {tol})")
            if end - base > tol:
                failures.append(f"{name} grew by {end - base} (from {base} to {end})")
    logs = b.messages("StateLog")
    waits = sum(1 for m in logs if m.get("id") == "w")
    failed = sum(1 for m in logs if m.get("state_result") is False)
    print(f"  work done: {len(logs)} StateLogs ({waits} waits passed, {failed} failed states), "
          f"{len(b.connections)} connections, {d.version} recipe versions")
    if not waits:
        failures.append("no meta.wait ever passed")
    levels = {lvl: sum(1 for ln in agent.stderr_lines if lvl in ln) for lvl in ("WARNING", "ERROR", "CRIT")}
    print("  agent log: " + ", ".join(f"{n} {lvl} lines" for lvl, n in levels.items()))
    agent.stop()
    await agent.wait_exit(30)
    assert not failures, "; ".join(failures)


ARGS = parse()


async def entry():
    await main(ARGS)


run(entry, timeout=ARGS.minutes * 60 + 120)
