#!/bin/bash
# linux.docker.running with count and watch (modules.md §11.3, §1.7)
# against the recording docker stand-in: numbered containers with host
# ports moved up by one per container, host ports too close together
# refused, leftovers stopped (the un-numbered container when count is set,
# numbers above count, numbered ones when count goes away), and the watch:
# the first sighting is a baseline, a changed file restarts the running
# containers (dry run: says so, restarts and stores nothing), a failed
# restart recreates, a container recreated anyway is not restarted too,
# and `watch: true` restarts every round.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"images": {"nginx:latest": {"id": "sha256:'"$(printf 'a%.0s' {1..64})"'", "layers": []}},
  "containers": {"web": {"id": "0", "image": "nginx:latest", "running": true}}}'

C3='{"container": "web", "image": "nginx", "count": "3", "port_bindings": {"80": "8080", "443": "8443"}}'
# Three containers, ports 8080-8082 and 8443-8445; the un-numbered web of
# an earlier recipe is a leftover.
dst linux.docker.running "$C3"
expect_rc 0
expect_state true true "stopped the leftover container web; started container web_1 from nginx:latest; started container web_2 from nginx:latest; started container web_3 from nginx:latest"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop web
run -d --name web_1 --hostname web_1 -p 8080:80 -p 8443:443 nginx:latest
run -d --name web_2 --hostname web_2 -p 8081:80 -p 8444:443 nginx:latest
run -d --name web_3 --hostname web_3 -p 8082:80 -p 8445:443 nginx:latest
EOF
dst linux.docker.running "$C3"
expect_rc 0
expect_state true false "containers web_1, web_2, web_3 are running, no changes"

# Host ports closer together than the containers need.
dst linux.docker.running '{"container": "web", "image": "nginx", "count": "3", "port_bindings": {"80": "8080", "81": "8082"}}'
expect_rc 1
expect_state false false "parameter 'port_bindings': host ports 8080 and 8082 are closer together than the 3 containers need"
[ ! -s "$DK/log" ] || fail "docker called: $(cat "$DK/log")"

# count 2: web_3 is a leftover; the new parameter set recreates the others.
dst linux.docker.running '{"container": "web", "image": "nginx", "count": 2, "port_bindings": {"80": "8080", "443": "8443"}}'
expect_rc 0
expect_state true true "stopped the leftover container web_3; recreated container web_1 from nginx:latest (its parameters changed); recreated container web_2 from nginx:latest (its parameters changed)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop web_3
rm -f web_1
run -d --name web_1 --hostname web_1 -p 8080:80 -p 8443:443 nginx:latest
rm -f web_2
run -d --name web_2 --hostname web_2 -p 8081:80 -p 8444:443 nginx:latest
EOF

# No count: the numbered ones up to the first missing are leftovers (web_3
# is stopped already), web itself was stopped and is recreated.
conf="$T/nginx.conf"
echo one >"$conf"
W='{"container": "web", "image": "nginx", "watch": ["'"$conf"'"]}'
dst linux.docker.running "$W"
expect_rc 0
expect_state true true "stopped the leftover containers web_1, web_2; recreated container web from nginx:latest (it was stopped)"
# The first sighting of a watched file was the baseline: no restart.
dst linux.docker.running "$W"
expect_state true false "container web is running, no changes"

# A changed file: the dry run restarts nothing and keeps the old sum, the
# real round restarts.
echo two >"$conf"
dst linux.docker.running "$W" dry
expect_rc 0
expect_state true true "$conf changed; would restart container web"
dst linux.docker.running "$W"
expect_rc 0
expect_state true true "$conf changed; restarted container web"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
restart web
EOF
dst linux.docker.running "$W"
expect_state true false "container web is running, no changes"

# A restart that fails: the container is made again.
echo three >"$conf"
dk_set 'S["fail"] = {"restart": {"rc": 1, "out": "Error response from daemon: Cannot restart container web: OCI runtime error", "once": True}}'
dst linux.docker.running "$W"
expect_rc 0
expect_state true true "$conf changed; recreated container web from nginx:latest (its restart failed)"
expect_line out '^the restart of web failed \(Error response from daemon: Cannot restart container web: OCI runtime error\): recreating it$'
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
restart web
rm -f web
run -d --name web --hostname web nginx:latest
EOF

# A container recreated anyway (stopped) is not restarted as well; the
# sum is stored, so the next round does nothing.
echo four >"$conf"
dk_set 'S["containers"]["web"]["running"] = False'
dst linux.docker.running "$W"
expect_rc 0
expect_state true true "$conf changed; recreated container web from nginx:latest (it was stopped)"
expect_no_line out 'docker restart'
dst linux.docker.running "$W"
expect_state true false "container web is running, no changes"

# A failed start keeps the old sum: the next round acts again.
echo five >"$conf"
dk_set 'S["fail"] = {"restart": {"rc": 1, "out": "Error response from daemon: no", "once": True}, "run": {"rc": 125, "out": "docker: Error response from daemon: no room", "once": True}}'
dst linux.docker.running "$W"
expect_rc 1
expect_state false true "$conf changed; cannot start the container web from nginx:latest: docker: Error response from daemon: no room"
dst linux.docker.running "$W"
expect_rc 0
expect_state true true "$conf changed; started container web from nginx:latest"

# watch: true (a recipe quirk, §1.7): a restart every round, with a warning.
for _ in 1 2; do
    dst linux.docker.running '{"container": "web", "image": "nginx", "watch": true}'
    expect_rc 0
    expect_state true true "watch is true; restarted container web"
    expect_line out "^warning: 'watch' is true"
done
