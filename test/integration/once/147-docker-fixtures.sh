#!/bin/bash
# The basic example recipes of the docker modules,
# basic/linux.docker.{pulled,built,running,pushed,deploy}.json, as they
# are, through `opsagent once` against the recording docker stand-in
# (lib-docker.sh), whose registry wants the recipes' own (2014, test-only)
# credentials: each succeeds, and a second round of each changes nothing
# (pulled and pushed still pull and push, as they do every round). The
# docker calls of each run are asserted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"auth": {"docker.io/visualops": "visualops:123123123"},
  "registry": {"visualops/ubuntu_httpd:latest": {"id": "sha256:'"$(printf 'a%.0s' {1..64})"'", "layers": ["0a0a0a0a0a0a"]},
               "dockerfile/elasticsearch:latest": {"id": "sha256:'"$(printf 'e%.0s' {1..64})"'", "layers": ["3e3e3e3e3e3e"]}}}'
config c "[global]
state_dir = $T/state"

# run FILE: `once --json FILE`; every state must succeed. Sets COMMENTS
# (their comments, from 1); the stand-in's log holds this run's calls.
run() {
    : >"$DK/log"
    agent -c "$T/c.conf" once --json "$1"
    $PY -c 'import json, sys
for i, line in enumerate(open(sys.argv[1]), 1):
    s = json.loads(line)
    if s["state_result"] is not True:
        print("state %d failed: %s" % (i, s["state_comment"]))
        sys.exit(1)
    print(s["state_comment"])' "$T/out" >"$T/comments" || fail "$(basename "$1"): $(tail -n 1 "$T/comments")"
    mapfile -t COMMENTS <"$T/comments"
    expect_rc 0
}
# comment I: the comment of state I of the last run.
comment() { echo "${COMMENTS[$1 - 1]}"; }

BASIC="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic"
mkdir -p /opt/docker/images/ubuntu_httpd
printf 'FROM ubuntu:14.04\nRUN apt-get install -y apache2\n' >/opt/docker/images/ubuntu_httpd/Dockerfile
run "$BASIC/linux.docker.pulled.json"
[ "$(comment 1)" = "pulled visualops/ubuntu_httpd:latest (sha256:aaaaaaaaaaaa)" ] || fail "pulled: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/ubuntu_httpd:latest
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
image prune -f
EOF
expect_no_secret 123123123
run "$BASIC/linux.docker.built.json"
[[ "$(comment 1)" =~ ^built\ visualops/ubuntu_httpd\ from\ /opt/docker/images/ubuntu_httpd\ \(first\ sighting\ of\ /opt/docker/images/ubuntu_httpd/Dockerfile\):\ sha256:[0-9a-f]{12}$ ]] ||
    fail "built: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd
build --rm -t visualops/ubuntu_httpd /opt/docker/images/ubuntu_httpd
image inspect --format {{.Id}} visualops/ubuntu_httpd
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF
run "$BASIC/linux.docker.running.json"
[ "$(comment 1)" = "started container my_ubuntu_httpd from visualops/ubuntu_httpd:latest" ] || fail "running: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
run -d --name my_ubuntu_httpd --hostname my_ubuntu_httpd visualops/ubuntu_httpd:latest
EOF
run "$BASIC/linux.docker.pushed.json"
[[ "$(comment 1)" =~ ^pushed\ visualops/ubuntu_httpd:latest:\ 1\ new\ layer ]] || fail "pushed: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
EOF
run "$BASIC/linux.docker.deploy.json"
[ "$(comment 1)" = "wrote the host copy of /my-data/elasticsearch.yaml; pulled dockerfile/elasticsearch:latest (sha256:eeeeeeeeeeee); started container test from dockerfile/elasticsearch:latest" ] ||
    fail "deploy: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
pull dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
image prune -f
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
run -d --name test --hostname test -p 9200:9200 -p 9300:9300 -v /opt/data:/my-data/ -v $T/state/docker-config/test/-my-data-elasticsearch.yaml:/my-data/elasticsearch.yaml dockerfile/elasticsearch:latest /elasticsearch/bin/elasticsearch -Des.config=/my-data/elasticsearch.yaml
EOF
# Second rounds.
run "$BASIC/linux.docker.pulled.json"
[[ "$(comment 1)" =~ is\ up\ to\ date.*,\ no\ changes$ ]] || fail "pulled again: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/ubuntu_httpd:latest
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
EOF
run "$BASIC/linux.docker.built.json"
[[ "$(comment 1)" =~ ^the\ image\ visualops/ubuntu_httpd\ is\ built\ .*,\ no\ changes$ ]] || fail "built again: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd
EOF
run "$BASIC/linux.docker.running.json"
[ "$(comment 1)" = "container my_ubuntu_httpd is running, no changes" ] || fail "running again: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF
run "$BASIC/linux.docker.pushed.json"
[[ "$(comment 1)" =~ the\ registry\ had\ every\ layer.*,\ no\ changes$ ]] || fail "pushed again: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
EOF
run "$BASIC/linux.docker.deploy.json"
[ "$(comment 1)" = "dockerfile/elasticsearch:latest is up to date (sha256:eeeeeeeeeeee); container test is running, no changes" ] ||
    fail "deploy again: $(comment 1)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
pull dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
image inspect --format {{.Id}} dockerfile/elasticsearch:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF
