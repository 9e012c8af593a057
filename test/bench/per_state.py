#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Per-state overhead (issue 8, target 1), run by hand:

    /usr/bin/python3 test/bench/per_state.py [--opsagent build-gcc/opsagent] [--n 1000] [--rounds 5]

Runs, in one go on this machine:
- floor: a minimal C loop (spawn_loop.c, built here) that posix_spawns
  `/bin/sh -c true` N times in sequence;
- opsagent: `opsagent once` on a recipe of N `linux.cmd` `true` states;
- CFEngine: `cf-agent -K` on a policy of N `commands` promises (cfengine3);
- Puppet: `puppet apply` of N `exec` resources (puppet);
- Ansible: `ansible-playbook -c local` of N/5 `command` tasks (ansible-core),
  reported per task.
Each is run --rounds times; the median wall time is reported, with the CPU
time (user+system of the process and its children) of that run, the time
per item, and the ratio to the floor per item. Tools that are not
installed are skipped with a line saying so. The target: opsagent / floor
<= 1.5."""
import argparse, os, resource, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import print_header  # noqa: E402


def timed(argv, **kw):
    """Runs argv; returns (wall s, cpu s). Fails loudly when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_run(argv, rounds, **kw):
    runs = sorted((timed(argv, **kw) for _ in range(rounds)), key=lambda r: r[0])
    return runs[len(runs) // 2]


def floor(tmp, n):
    exe = os.path.join(tmp, "spawn_loop")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "spawn_loop.c")], check=True)
    return [exe, str(n)]


def opsagent(tmp, n, exe):
    import json
    path = os.path.join(tmp, "recipe.json")
    with open(path, "w") as f:
        json.dump([{"id": f"s{i}", "module": "linux.cmd",
                    "parameter": {"cmd": "true", "cwd": "/tmp"}} for i in range(n)], f)
    # No config file: `once` uses the defaults (and /etc/opsagent/opsagent.conf if present).
    return [exe, "-q", "once", path]


def cfengine(tmp, n):
    if not shutil.which("cf-agent"):
        return None
    path = os.path.join(tmp, "policy.cf")
    with open(path, "w") as f:
        f.write("body common control { bundlesequence => { \"main\" }; }\n")
        f.write("bundle agent main {\n  commands:\n")
        # Distinct promisers: CFEngine would run one command string only once.
        for i in range(n):
            f.write(f'    "/bin/sh -c true #{i}" contain => shell;\n')
        f.write("}\nbody contain shell { useshell => \"noshell\"; }\n")
    os.chmod(path, 0o600)
    return ["cf-agent", "-K", "--no-lock", "-f", path]


def puppet(tmp, n):
    if not shutil.which("puppet"):
        return None
    path = os.path.join(tmp, "site.pp")
    with open(path, "w") as f:
        for i in range(n):
            f.write(f'exec {{ "t{i}": command => "/bin/sh -c true" }}\n')
    return ["puppet", "apply", "--color=false", path]


def ansible(tmp, n):
    if not shutil.which("ansible-playbook"):
        return None
    path = os.path.join(tmp, "play.yml")
    with open(path, "w") as f:
        f.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n")
        for i in range(n):
            f.write("    - command: /bin/sh -c true\n")
    return ["ansible-playbook", "-i", "localhost,", path]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opsagent", default=os.environ.get("OPSAGENT", "build-gcc/opsagent"))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated: floor,opsagent,cfengine,puppet,ansible")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="oa-bench-")
    only = set(a.only.split(",")) if a.only else None
    n_ansible = max(1, a.n // 5)
    cases = [("floor (posix_spawn sh -c true)", "floor", a.n, lambda: floor(tmp, a.n)),
             ("opsagent once", "opsagent", a.n, lambda: opsagent(tmp, a.n, os.path.abspath(a.opsagent))),
             ("cf-agent -K", "cfengine", a.n, lambda: cfengine(tmp, a.n)),
             ("puppet apply", "puppet", a.n, lambda: puppet(tmp, a.n)),
             ("ansible-playbook -c local", "ansible", n_ansible, lambda: ansible(tmp, n_ansible))]
    print_header(f"per-state overhead: {a.rounds} rounds, median; ratio = ms/item over the floor's")
    print(f"{'tool':34} {'items':>6} {'wall s':>8} {'cpu s':>7} {'ms/item':>8} {'ratio':>7}")
    base = None
    for label, key, n, make in cases:
        if only and key not in only and key != "floor":
            continue
        argv = make()
        if argv is None:
            print(f"{label:34} not installed, skipped")
            continue
        rounds = a.rounds if key in ("floor", "opsagent") else max(1, min(a.rounds, 3))
        wall, cpu = median_run(argv, rounds, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
        per = wall / n * 1000
        if base is None:
            base = per
        print(f"{label:34} {n:6d} {wall:8.3f} {cpu:7.3f} {per:8.3f} {per / base:7.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


main()
