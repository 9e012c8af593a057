#!/bin/bash
# linux.docker.deploy (modules.md §11.5, §1.7, §1.8) against the recording
# docker stand-in, with the basic fixture's parameters: the files written
# under <state dir>/docker-config/<container>/ (root, 0644) and
# bind-mounted, the image pulled, the container started; a second round
# that changes nothing; a changed file restarts the running container in
# the same run (the rerun of §1.8), its dry run restarts and writes
# nothing; a new image stops and recreates the container without an extra
# restart; a dry run on an empty host; credentials for the pull; every
# other parameter of the running set (tag, environment, devices, memory,
# cpu shares, force, an ignored email); and a failed pull that starts
# nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"registry": {"dockerfile/elasticsearch:latest": {"id": "sha256:'"$(printf 'e%.0s' {1..64})"'", "layers": ["3e3e3e3e3e3e"]}}}'

deploy() {
    cat <<EOF
{"command": ["/elasticsearch/bin/elasticsearch", "-Des.config=/my-data/elasticsearch.yaml"],
 "container": "test",
 "files": [{"key": "/my-data/elasticsearch.yaml", "value": "$1"}],
 "image": "dockerfile/elasticsearch",
 "port_bindings": [{"key": "9200", "value": "9200"}, {"key": "9300", "value": "9300"}],
 "volumes": [{"key": "/opt/data", "value": "/my-data/"}]}
EOF
}
CONF='path:\n  logs: /data/log\n  data: /data/data'
host="$T/state/docker-config/test/-my-data-elasticsearch.yaml"
E=sha256:eeeeeeeeeeee
RUN="run -d --name test --hostname test -p 9200:9200 -p 9300:9300 -v /opt/data:/my-data/ -v $host:/my-data/elasticsearch.yaml dockerfile/elasticsearch:latest /elasticsearch/bin/elasticsearch -Des.config=/my-data/elasticsearch.yaml"

# A dry run on an empty host: the image would be pulled first, so that it
# is missing is no failure.
dst linux.docker.deploy "$(deploy "$CONF")" dry
expect_rc 0
expect_state true true "would write the host copy of /my-data/elasticsearch.yaml; would pull dockerfile/elasticsearch:latest; would start container test from dockerfile/elasticsearch:latest"
[ ! -e "$host" ] || fail "dry run wrote $host"

# First round.
dst linux.docker.deploy "$(deploy "$CONF")"
expect_rc 0
expect_state true true "wrote the host copy of /my-data/elasticsearch.yaml; pulled dockerfile/elasticsearch:latest ($E); started container test from dockerfile/elasticsearch:latest"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
pull dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
image prune -f
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
$RUN
EOF
[ "$(cat "$host")" = "$(printf '%b' "$CONF")" ] || fail "host copy: $(cat "$host")"
[ "$(stat -c '%a %u %g' "$host")" = "644 0 0" ] || fail "host copy: $(stat -c '%a %u %g' "$host")"

# Second round: nothing to do.
dst linux.docker.deploy "$(deploy "$CONF")"
expect_rc 0
expect_state true false "dockerfile/elasticsearch:latest is up to date ($E); container test is running, no changes"

# A changed file: the dry run writes and restarts nothing, the real round
# writes it and restarts the container in the same run (§1.8).
NEW='path:\n  logs: /var/log/es'
dst linux.docker.deploy "$(deploy "$NEW")" dry
expect_rc 0
expect_state true true "would write the host copy of /my-data/elasticsearch.yaml; would pull dockerfile/elasticsearch:latest to look for a newer image (now $E); would restart container test"
[ "$(cat "$host")" = "$(printf '%b' "$CONF")" ] || fail "dry run wrote $host"
dst linux.docker.deploy "$(deploy "$NEW")"
expect_rc 0
expect_state true true "wrote the host copy of /my-data/elasticsearch.yaml; dockerfile/elasticsearch:latest is up to date ($E); $host changed; restarted container test"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
pull dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
restart test
EOF
[ "$(cat "$host")" = "$(printf '%b' "$NEW")" ] || fail "host copy: $(cat "$host")"
dst linux.docker.deploy "$(deploy "$NEW")"
expect_state true false "dockerfile/elasticsearch:latest is up to date ($E); container test is running, no changes"

# A new image and a changed file: the pull stops the container, which is
# recreated; no restart on top.
dk_set 'S["registry"]["dockerfile/elasticsearch:latest"]["id"] = "sha256:" + "f" * 64'
dst linux.docker.deploy "$(deploy "$CONF")"
expect_rc 0
expect_state true true "wrote the host copy of /my-data/elasticsearch.yaml; pulled a new dockerfile/elasticsearch:latest (sha256:ffffffffffff, was $E); stopped test; $host changed; recreated container test from dockerfile/elasticsearch:latest (it was stopped)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
pull dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop test
image prune -f
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
rm -f test
$RUN
EOF

# With count, the pull stops every numbered container.
dk_set 'S["registry"]["dockerfile/elasticsearch:latest"]["id"] = "sha256:" + "1" * 64'
dst linux.docker.deploy '{"container": "test", "image": "dockerfile/elasticsearch", "count": "2"}'
expect_rc 0
expect_state true true "pulled a new dockerfile/elasticsearch:latest (sha256:111111111111, was sha256:ffffffffffff); stopped test; started container test_1 from dockerfile/elasticsearch:latest; started container test_2 from dockerfile/elasticsearch:latest"
dk_set 'S["registry"]["dockerfile/elasticsearch:latest"]["id"] = "sha256:" + "2" * 64'
dst linux.docker.deploy '{"container": "test", "image": "dockerfile/elasticsearch", "count": "2"}'
expect_rc 0
expect_state true true "pulled a new dockerfile/elasticsearch:latest (sha256:222222222222, was sha256:111111111111); stopped test_1, test_2; recreated container test_1 from dockerfile/elasticsearch:latest (it was stopped); recreated container test_2 from dockerfile/elasticsearch:latest (it was stopped)"

# Credentials go to the pull's login, on stdin.
dk_set 'S["auth"] = {"docker.io": "visualops:123123123"}'
dst linux.docker.deploy '{"container": "test", "image": "dockerfile/elasticsearch", "count": "2", "username": "visualops", "password": "123123123"}'
expect_rc 0
expect_state true false "dockerfile/elasticsearch:latest is up to date (sha256:222222222222); containers test_1, test_2 are running, no changes"
grep -qx -- '--config CFG login -u visualops --password-stdin' <(dk_calls) || fail "argv: $(dk_calls)"
expect_no_secret 123123123

# The rest of the running set through deploy: a tag (which the pull
# uses too), the environment, a device, memory and cpu shares, force; the
# email is ignored, the password goes on stdin.
dk_set 'S["registry"]["dockerfile/elasticsearch:1.7"] = {"id": "sha256:" + "7" * 64, "layers": ["7e7e7e7e7e7e"]}'
ALL='{"container": "es", "image": "dockerfile/elasticsearch", "tag": "1.7", "force": true,
      "environment": {"ES_HEAP_SIZE": "1g"}, "devices": {"/dev/fuse": "/dev/fuse:rwm"},
      "mem_limit": "2g", "cpu_shares": "1024",
      "username": "visualops", "password": "123123123", "email": "thibault@visualops.io"}'
RUN_ES='run -d --name es --hostname es --env-file ENV --device /dev/fuse:/dev/fuse:rwm -m 2147483648 --cpu-shares 1024 dockerfile/elasticsearch:1.7'
dst linux.docker.deploy "$ALL"
expect_rc 0
expect_state true true "pulled dockerfile/elasticsearch:1.7 (sha256:777777777777); started container es from dockerfile/elasticsearch:1.7"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
--config CFG login -u visualops --password-stdin
--config CFG pull dockerfile/elasticsearch:1.7
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
ps -a --no-trunc --format {{.Names}}|{{.Status}}
image prune -f
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
ps -a --no-trunc --format {{.Names}}|{{.Status}}
$RUN_ES
EOF
[ "$(dk_get 'S["containers"]["es"]["env"]')" = "ES_HEAP_SIZE=1g" ] || fail "env file: $(dk_get 'S["containers"]["es"]')"
expect_line out "^ignoring 'email': docker login no longer takes one$"
expect_no_secret 123123123
# force: recreated every round, the image unchanged.
dst linux.docker.deploy "$ALL"
expect_rc 0
expect_state true true "dockerfile/elasticsearch:1.7 is up to date (sha256:777777777777); recreated container es from dockerfile/elasticsearch:1.7 (force)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
--config CFG login -u visualops --password-stdin
--config CFG pull dockerfile/elasticsearch:1.7
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
image inspect --format {{.Id}} dockerfile/elasticsearch:1.7
ps -a --no-trunc --format {{.Names}}|{{.Status}}
rm -f es
$RUN_ES
EOF

# A failed pull: nothing else happens.
dst linux.docker.deploy '{"container": "other", "image": "dockerfile/nothing"}'
expect_rc 1
expect_state false false "cannot pull dockerfile/nothing:latest: Error response from daemon: pull access denied for dockerfile/nothing, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/nothing:latest
pull dockerfile/nothing:latest
EOF

# A file path that is not absolute.
dst linux.docker.deploy '{"container": "test", "image": "x", "files": {"my.yaml": "a"}}'
expect_rc 1
expect_state false false "parameter 'files': 'my.yaml' is not a container path"
