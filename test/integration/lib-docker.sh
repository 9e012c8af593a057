# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the docker module tests (once/140-149), sourced after lib.sh.
# There is no docker engine on the test machines: inside the sandbox a
# recording stand-in (fake_docker.py) is installed as /usr/local/bin/docker,
# first on the modules' PATH, on a tmpfs that also hides any real docker
# CLI. It logs each argv to $DK/log and plays an engine kept in
# $DK/state.json, so each test asserts the exact calls of a scenario.

PY=/usr/bin/python3
DK="$T/docker"

# docker_sandbox [STATE_JSON]: the stand-in installed with that engine
# state (default: a running daemon and nothing else); an empty tmpfs on
# /usr/local/sbin for stand-ins of service, systemctl and apt-get. The
# engine is one Python server for the whole test (a Python start for each
# docker call would cost more than the rest of the test); the docker on
# PATH is a bash client that hands it argv and stdin over loopback TCP and
# prints what it answers on stdout and stderr, as docker would.
docker_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "docker_sandbox outside the sandbox"
    mountpoint -q /usr/local/bin || sandbox_tmpfs /usr/local/bin
    mountpoint -q /usr/local/sbin || sandbox_tmpfs /usr/local/sbin
    mkdir -p "$DK"
    printf '%s\n' "${1:-{\}}" >"$DK/state.json"
    : >"$DK/log"
    FAKE_DOCKER_DIR="$DK" $PY "$OA_SOURCE_DIR/test/integration/fake_docker.py" "$DK/port" \
        >"$DK/server.log" 2>&1 &
    DK_PID=$!
    trap 'rc=$?; kill "$DK_PID" 2>/dev/null || true; at_exit "$rc"' EXIT
    for _ in $(seq 200); do
        [ -s "$DK/port" ] && break
        sleep 0.1
    done
    [ -s "$DK/port" ] || fail "the docker stand-in did not start: $(cat "$DK/server.log")"
    cat >/usr/local/bin/docker <<EOF
#!/bin/bash
# The docker stand-in's client (test/integration/lib-docker.sh).
exec 3<>/dev/tcp/127.0.0.1/$(cat "$DK/port") || exit 98
input=
for a in "\$@"; do [ "\$a" != --password-stdin ] || input=\$(cat); done
{ printf '%d\\0' \$#; printf '%s\\0' "\$@"; printf '%s\\0' "\$input"; } >&3
IFS= read -r rc <&3
IFS= read -r -d '' out <&3
printf '%s' "\$out"
cat <&3 >&2
exit "\$rc"
EOF
    chmod 0755 /usr/local/bin/docker
}

# expect_state RESULT CHANGED COMMENT: lib.sh's, with one Python start
# instead of three.
expect_state() {
    local got
    got=$($PY -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(str(r["result"]).lower(), str(r["changed"]).lower(), r["comment"])' "$T/result") ||
        fail "no result object: $(cat "$T/result")"
    [ "$got" = "$1 $2 $3" ] || fail "result '$got', expected '$1 $2 $3'"
}

# dk_set PYTHON: changes the engine's state; S is the state dict, sha() a
# sha256 hex helper. Example: dk_set 'S["daemon"] = False'
dk_set() {
    $PY - "$DK/state.json" "$1" <<'PY'
import hashlib, json, sys
S = json.load(open(sys.argv[1]))
sha = lambda t: hashlib.sha256(t.encode()).hexdigest()
exec(sys.argv[2])
json.dump(S, open(sys.argv[1], "w"), indent=1)
PY
}

# dk_get PYTHON: prints the value of an expression over the state S.
dk_get() {
    $PY -c 'import json, sys; S = json.load(open(sys.argv[1])); v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$DK/state.json" "$1"
}

# dst MODULE PARAMS [dry]: one state (id "d") through exec-state with the
# state dir $T/state and the watch dir $T/watch; see exec_request. The
# stand-in's log is emptied first.
dst() {
    local dry=false
    [ "${3:-}" = dry ] && dry=true
    printf '{"id":"d","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":"%s","state_dir":"%s"}' \
        "$1" "$2" "$dry" "$T/watch" "$T/state" >"$T/request"
    : >"$DK/log"
    exec_request "$T/request"
}

# dk_calls: the argv of every docker call of the last state, one a line,
# with the private login config written CFG and the env file ENV.
dk_calls() {
    sed -e "s#$T/state/docker/tmp/login-[A-Za-z0-9]*#CFG#g" \
        -e "s#$T/state/docker/tmp/env-[A-Za-z0-9]*#ENV#g" "$DK/log"
}

# expect_calls <<EOF … EOF: the docker calls were exactly these lines.
expect_calls() {
    local want got
    want=$(cat)
    got=$(dk_calls)
    [ "$got" = "$want" ] || fail "docker calls:
$got
--- expected:
$want"
}

# expect_no_secret TEXT: TEXT is in no result, output or argv.
expect_no_secret() {
    local f
    for f in "$T/result" "$T/out" "$T/err" "$DK/log"; do
        if [ -f "$f" ] && grep -qF -- "$1" "$f"; then fail "the secret '$1' leaked in $f"; fi
    done
}
