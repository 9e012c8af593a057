# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of common.git, common.archive and common.pip.package
# (once/070-079), sourced after lib.sh. `once --json` shows result and
# comment but not `changed`, so single states also run through
# `opsagent exec-state` (the child protocol), whose fd 3 result has all three.

PY=/usr/bin/python3
SRC_PIDS=()
# The caller's pip settings (a CI image may set PIP_FIND_LINKS…) would leak
# into the states run through exec-state, which pass PIP_* on to pip.
unset "${!PIP_@}"
# Servers started here end with the test (lib.sh's trap removes $T).
trap 'rc=$?; for p in "${SRC_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; at_exit "$rc"' EXIT

# wait_port LOG: the port http.server printed in LOG.
wait_port() {
    for _ in $(seq 100); do
        local p
        p=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
        if [ -n "$p" ]; then
            echo "$p"
            return 0
        fi
        sleep 0.1
    done
    fail "no server port in $1: $(cat "$1")"
}

# start_http DIR: serves DIR on 127.0.0.1; sets HTTP (the base URL).
start_http() {
    $PY -u -m http.server 0 --bind 127.0.0.1 --directory "$1" >"$T/http.log" 2>&1 &
    SRC_PIDS+=($!)
    HTTP="http://127.0.0.1:$(wait_port "$T/http.log")"
}

# hide_tool PATH...: in the sandbox, an empty non-executable file is bound
# over each PATH, so that the module finds the tool missing (§1.6).
hide_tool() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "hide_tool outside the sandbox"
    : >"$T/hidden-tool"
    chmod 0644 "$T/hidden-tool"
    for p in "$@"; do mount --bind "$T/hidden-tool" "$p"; done
}

# fake_apt_get STATUS PATH...: in the sandbox, an apt-get in /usr/local/sbin
# (first on the modules' PATH) that logs its arguments to $T/apt.log and,
# for an install, exits STATUS after un-hiding PATH... when STATUS is 0.
fake_apt_get() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "fake_apt_get outside the sandbox"
    local status=$1
    shift
    mountpoint -q /usr/local/sbin || sandbox_tmpfs /usr/local/sbin
    {
        echo '#!/bin/sh'
        echo "echo \"\$*\" >>'$T/apt.log'"
        echo 'case " $* " in *" install "*) ;; *) exit 0 ;; esac'
        if [ "$status" -eq 0 ]; then
            for p in "$@"; do echo "umount '$p'"; done
        fi
        echo "exit $status"
    } >/usr/local/sbin/apt-get
    chmod 0755 /usr/local/sbin/apt-get
    : >"$T/apt.log"
}

# pip_sandbox: in the sandbox, tmpfs over what a system-wide pip install
# writes (/usr/local/lib/pythonX.Y, /usr/local/bin, /root/.cache); skips
# without Debian's pip. Sets PYVER.
pip_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "pip_sandbox outside the sandbox"
    [ -x /usr/bin/pip3 ] || { echo "SKIP: needs python3-pip"; exit 77; }
    PYVER=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    sandbox_tmpfs "/usr/local/lib/python$PYVER" /usr/local/bin /root/.cache
}

# wheel DIST VERSION: a tiny pure-Python wheel in $T/wheels, built with
# zipfile (PyPI is out of reach; nothing else is needed).
wheel() {
    mkdir -p "$T/wheels"
    $PY - "$T/wheels" "$1" "$2" <<'PY'
import base64, hashlib, sys, zipfile
out, dist, version = sys.argv[1:]
mod = dist.replace("-", "_").lower()
info = f"{mod}-{version}.dist-info"
files = {
    f"{mod}/__init__.py": f"VERSION = {version!r}\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: opsagent-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
record = [f"{n},sha256={digest(t)},{len(t.encode())}" for n, t in files.items()]
files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
with zipfile.ZipFile(f"{out}/{mod}-{version}-py3-none-any.whl", "w") as z:
    for n, t in files.items():
        z.writestr(n, t)
PY
}

# installed DIST: "Name==version" as pip sees it, or nothing (read with
# importlib.metadata from the same paths, without pip's second of start-up).
installed() {
    $PY -c 'import importlib.metadata as m, sys
try:
    d = m.distribution(sys.argv[1])
    print("%s==%s" % (d.metadata["Name"], d.version))
except m.PackageNotFoundError:
    pass' "$1"
}
