#!/bin/bash
# The docker engine the modules need (modules.md §1.6): docker not
# installed → docker.io installed from the distribution (a stand-in
# apt-get, lib-sources.sh), nothing installed in a dry run, a failed
# install fails the state; the daemon not answering → started with
# `service docker start` on a SysV host or `systemctl start docker` where
# systemd runs (stand-ins), then awaited; a dry run starts nothing; a
# start that fails, and another error of the daemon, fail the state.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"registry": {"nginx:1.25": {"id": "sha256:'"$(printf 'a%.0s' {1..64})"'", "layers": ["0a1b2c3d4e5f"]}}}'
P='{"repo": "nginx", "tag": "1.25"}'

# docker is not installed: the dry run says what it would install and
# calls neither apt-get nor docker.
hide_tool /usr/local/bin/docker
fake_apt_get 0 /usr/local/bin/docker
dst linux.docker.pulled "$P" dry
expect_rc 0
expect_state true true "would install docker.io; would pull nginx:1.25"
expect_line out '^would install the package docker.io \(for docker\)$'
[ ! -s "$T/apt.log" ] || fail "apt-get ran: $(cat "$T/apt.log")"
[ ! -s "$DK/log" ] || fail "docker ran: $(cat "$DK/log")"
# The install fails: so does the state, before anything else.
fake_apt_get 100 /usr/local/bin/docker
dst linux.docker.running '{"container": "web", "image": "nginx"}'
expect_rc 1
expect_state false false "docker is not installed and cannot be: apt-get install docker.io exited with status 100"
[ ! -s "$DK/log" ] || fail "docker ran: $(cat "$DK/log")"
# Installed, then used.
fake_apt_get 0 /usr/local/bin/docker
dst linux.docker.pulled "$P"
expect_rc 0
expect_state true true "installed docker.io; pulled nginx:1.25 (sha256:aaaaaaaaaaaa)"
grep -q 'install --no-install-recommends docker.io$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
expect_line out '^installing the package docker.io \(for docker\)$'
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
image prune -f
EOF

# The daemon does not answer on a SysV host (no /run/systemd/system here):
# `service docker start`, then docker is asked again until it answers.
mountpoint -q /run/systemd 2>/dev/null || sandbox_tmpfs /run/systemd
cat >/usr/local/sbin/service <<EOF
#!/bin/sh
echo "\$*" >>"$T/service.log"
[ ! -e "$T/service.fail" ] || { echo "Job for docker.service failed."; exit 1; }
exec $PY -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); s["daemon"] = True; json.dump(s, open(p, "w"))' "$DK/state.json"
EOF
chmod 0755 /usr/local/sbin/service
dk_set 'S["daemon"] = False'
dst linux.docker.pulled "$P" dry
expect_rc 0
expect_state true true "would start the docker daemon; would pull nginx:1.25"
[ ! -e "$T/service.log" ] || fail "dry run started the daemon"
expect_calls <<EOF
info --format {{.ServerVersion}}
EOF
dst linux.docker.pulled "$P"
expect_rc 0
expect_state true true "started the docker daemon; nginx:1.25 is up to date (sha256:aaaaaaaaaaaa)"
[ "$(cat "$T/service.log")" = "docker start" ] || fail "service: $(cat "$T/service.log")"
expect_line out '^\+ service docker start$'
expect_calls <<EOF
info --format {{.ServerVersion}}
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
EOF
# The start fails.
dk_set 'S["daemon"] = False'
touch "$T/service.fail"
dst linux.docker.pulled "$P"
expect_rc 1
expect_state false false "the docker daemon is not running and cannot be started: service docker exited with status 1"
expect_calls <<EOF
info --format {{.ServerVersion}}
EOF
rm "$T/service.fail"

# Where systemd runs: systemctl.
mkdir -p /run/systemd/system
sed -e 's/service\.log/systemctl.log/' /usr/local/sbin/service >/usr/local/bin/systemctl
chmod 0755 /usr/local/bin/systemctl
dst linux.docker.pulled "$P"
expect_rc 0
expect_state true true "started the docker daemon; nginx:1.25 is up to date (sha256:aaaaaaaaaaaa)"
[ "$(cat "$T/systemctl.log")" = "start docker" ] || fail "systemctl: $(cat "$T/systemctl.log")"
expect_calls <<EOF
info --format {{.ServerVersion}}
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
EOF

# Another error of the daemon is not "not running": no start, the state fails.
dk_set 'S["fail"] = {"info": {"rc": 1, "out": "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix /var/run/docker.sock: connect: permission denied"}}'
touch "$T/Dockerfile"
dst linux.docker.built '{"tag": "x", "path": "'"$T"'"}'
expect_rc 1
expect_state false false "docker does not answer: permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix /var/run/docker.sock: connect: permission denied"
expect_calls <<EOF
info --format {{.ServerVersion}}
EOF
[ "$(cat "$T/systemctl.log")" = "start docker" ] || fail "systemctl: $(cat "$T/systemctl.log")"
