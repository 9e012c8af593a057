#!/bin/bash
# linux.docker.running (modules.md §11.3) against the recording docker
# stand-in: no implicit pull (a missing image fails), the whole `docker
# run` argv built from every parameter (environment through a 0600 env
# file that does not outlive the state, so its values stay out of argv;
# volumes, devices, memory with a suffix, cpu shares, port bindings with
# a host address and a protocol, the command), a running container left
# alone, a stopped one recreated, a changed parameter set recreating
# (the fingerprint kept under the state dir), force, dry runs, a failed
# `docker run`, the basic fixture's state, deploy's files, and parameters
# refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox "{}"

P='{"container": "web", "image": "nginx", "tag": "1.25",
    "command": ["nginx", "-g", "daemon off;"],
    "environment": [{"key": "MODE", "value": "prod"}, {"key": "DB_PASSWORD", "value": "hunter2"}, {"key": "EMPTY"}],
    "volumes": [{"key": "/srv/data", "value": "/data:ro"}, {"key": "logs", "value": "/var/log/nginx"}],
    "devices": [{"key": "/dev/null", "value": "/dev/mynull:rw"}, {"key": "/dev/zero"}],
    "mem_limit": "512m", "cpu_shares": "512",
    "port_bindings": [{"key": "80", "value": "8080"}, {"key": "53/udp", "value": "127.0.0.1:5353"}]}'
RUN='run -d --name web --hostname web --env-file ENV -p 8080:80 -p 127.0.0.1:5353:53/udp -v /srv/data:/data:ro -v logs:/var/log/nginx --device /dev/null:/dev/mynull:rw --device /dev/zero -m 536870912 --cpu-shares 512 nginx:1.25 nginx -g daemon off;'

# No implicit pull: the image must be there.
dst linux.docker.running "$P"
expect_rc 1
expect_state false false "image nginx:1.25 does not exist"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
EOF

# A dry run starts nothing.
dk_set 'S["images"] = {"nginx:1.25": {"id": "sha256:" + "a" * 64, "layers": []}}'
dst linux.docker.running "$P" dry
expect_rc 0
expect_state true true "would start container web from nginx:1.25"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF
[ ! -e "$T/state/docker/d" ] || fail "dry run stored the fingerprint"

# Started, with every parameter in argv but the environment's values.
dst linux.docker.running "$P"
expect_rc 0
expect_state true true "started container web from nginx:1.25"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
$RUN
EOF
[ "$(dk_get 'S["containers"]["web"]["env"]')" = "$(printf 'MODE=prod\nDB_PASSWORD=hunter2\nEMPTY=')" ] ||
    fail "env file: $(dk_get 'S["containers"]["web"]["env"]')"
expect_no_secret hunter2
[ -z "$(ls -A "$T/state/docker/tmp")" ] || fail "left behind: $(ls -A "$T/state/docker/tmp")"
[ "$(wc -c <"$T/state/docker/d")" -eq 64 ] || fail "no fingerprint stored"

# Running, same parameters: nothing to do.
dst linux.docker.running "$P"
expect_rc 0
expect_state true false "container web is running, no changes"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF

# Stopped (by linux.docker.pulled after a new image, say): recreated.
dk_set 'S["containers"]["web"]["running"] = False'
dst linux.docker.running "$P" dry
expect_state true true "would recreate container web from nginx:1.25 (it was stopped)"
dst linux.docker.running "$P"
expect_rc 0
expect_state true true "recreated container web from nginx:1.25 (it was stopped)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
rm -f web
$RUN
EOF

# Another parameter set (one environment value): recreated once.
P2=${P/prod/staging}
dst linux.docker.running "$P2" dry
expect_state true true "would recreate container web from nginx:1.25 (its parameters changed)"
dst linux.docker.running "$P2"
expect_rc 0
expect_state true true "recreated container web from nginx:1.25 (its parameters changed)"
[ "$(dk_get 'S["containers"]["web"]["env"]')" = "$(printf 'MODE=staging\nDB_PASSWORD=hunter2\nEMPTY=')" ] ||
    fail "env file: $(dk_get 'S["containers"]["web"]["env"]')"
dst linux.docker.running "$P2"
expect_state true false "container web is running, no changes"

# force: recreated every round.
for _ in 1 2; do
    dst linux.docker.running '{"container": "web", "image": "nginx", "tag": "1.25", "force": true}'
    expect_rc 0
    expect_state true true "recreated container web from nginx:1.25 (force)"
    expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
rm -f web
run -d --name web --hostname web nginx:1.25
EOF
done

# docker run fails (a host port in use): the state fails with docker's words.
dk_set 'S["fail"] = {"run": {"rc": 125, "out": "docker: Error response from daemon: driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:8080 failed: port is already allocated."}}
S["containers"]["web"]["running"] = False'
dst linux.docker.running "$P2"
expect_rc 1
expect_state false true "cannot start the container web from nginx:1.25: docker: Error response from daemon: driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:8080 failed: port is already allocated."
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
rm -f web
$RUN
EOF
[ -z "$(ls -A "$T/state/docker/tmp")" ] || fail "env file left behind: $(ls -A "$T/state/docker/tmp")"
dk_set 'S["fail"] = {}'

# The basic fixture's state: no tag is latest; its credentials are ignored.
dk_set 'S["images"]["visualops/ubuntu_httpd:latest"] = {"id": "sha256:" + "b" * 64, "layers": []}'
dst linux.docker.running '{"container": "my_ubuntu_httpd", "image": "visualops/ubuntu_httpd", "username": "u", "password": "p"}'
expect_rc 0
expect_state true true "started container my_ubuntu_httpd from visualops/ubuntu_httpd:latest"
expect_line out "^ignoring 'username', 'password' and 'email': linux.docker.running never pulls$"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
run -d --name my_ubuntu_httpd --hostname my_ubuntu_httpd visualops/ubuntu_httpd:latest
EOF

# files (deploy's, §11.5 step 1) work here too: the content is written on
# the host under the state dir and bind-mounted read-write as deploy does.
dst linux.docker.running '{"container": "cfg", "image": "nginx", "tag": "1.25", "files": {"/etc/nginx/conf.d/a.conf": "listen 81;\n"}}'
expect_rc 0
expect_state true true "wrote the host copy of /etc/nginx/conf.d/a.conf; started container cfg from nginx:1.25"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
run -d --name cfg --hostname cfg -v $T/state/docker-config/cfg/-etc-nginx-conf.d-a.conf:/etc/nginx/conf.d/a.conf nginx:1.25
EOF
[ "$(cat "$T/state/docker-config/cfg/-etc-nginx-conf.d-a.conf")" = "listen 81;" ] || fail "host copy"

# Parameters refused before docker is called.
refuse() {
    dst linux.docker.running "$1"
    expect_rc 1
    expect_state false false "$2"
    [ ! -s "$DK/log" ] || fail "docker called: $(cat "$DK/log")"
}
B='"container": "web", "image": "nginx"'
refuse "{$B, \"mem_limit\": \"lots\"}" "parameter 'mem_limit': 'lots' is not a size (bytes, or a number with b, k, m, g or t)"
refuse "{$B, \"cpu_shares\": \"-1\"}" "parameter 'cpu_shares': expected a whole number from 0 to 262144, got '-1'"
refuse "{$B, \"port_bindings\": {\"80\": \"x\"}}" "parameter 'port_bindings': 'x' is not [hostIp:]hostPort"
refuse "{$B, \"port_bindings\": {\"http\": \"80\"}}" "parameter 'port_bindings': 'http' is not a container port (port[/tcp|udp|sctp])"
refuse "{$B, \"port_bindings\": {\"80\": \"8080\", \"81\": \"8080\"}}" "parameter 'port_bindings': host port 8080 is bound twice"
refuse "{$B, \"environment\": {\"A\": \"two\\nlines\"}}" "parameter 'environment': the value of A has a line break, which docker's env file cannot hold"
refuse "{$B, \"environment\": {\"A B\": \"x\"}}" "parameter 'environment': 'A B' is not a variable name"
refuse "{$B, \"volumes\": {\"/srv\": \"data\"}}" "parameter 'volumes': 'data' (for /srv) is not a container path with optional :ro"
refuse "{$B, \"volumes\": {\"/srv\": \"\"}}" "parameter 'volumes': '' (for /srv) is not a container path with optional :ro"
refuse "{$B, \"devices\": {\"/dev/sda\": \"/dev/xvda:rwx\"}}" "parameter 'devices': '/dev/xvda:rwx' (for /dev/sda) is not a device path with optional :rwm permissions"
refuse "{$B, \"count\": \"many\"}" "parameter 'count': expected a whole number from 0 to 1000, got 'many'"
refuse '{"container": "web/1", "image": "nginx"}' "parameter 'container': 'web/1' is not a container name"
refuse '{"container": "web", "image": "nginx", "tag": "-x"}' "parameter 'tag': '-x' is not an image name"
refuse '{"container": "web"}' "missing required parameter 'image'"
