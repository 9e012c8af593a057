#!/bin/bash
# The complex example recipe of the docker modules through `opsagent
# once`, against the recording docker stand-in (lib-docker.sh), whose
# registry wants the recipe's own (2014, test-only) credentials. It runs
# as local/linux.docker.complex.json, a copy of
# complex/linux.docker.complex.json where the git repository of
# Dockerfiles is a local one (@ORIGIN@), the IP forwarding switch is left
# out (the sandbox shares the host's network), and each "curl localhost"
# check reads the stand-in's container list instead; the three checks
# annotated False test what a real container answers over HTTP and are
# left out. Every state succeeds, as annotated, the comments of the key
# steps say what the original meant them to show, and a second round
# succeeds too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"auth": {"docker.io/visualops": "visualops:123123123"}}'
config c "[global]
state_dir = $T/state"

# run FILE: `once --json FILE`; every state must succeed. Sets N (the
# number of states) and COMMENTS (their comments, from 1); the stand-in's
# log holds this run's calls.
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
    N=${#COMMENTS[@]}
    expect_rc 0
}
# comment I: the comment of state I of the last run.
comment() { echo "${COMMENTS[$1 - 1]}"; }
# expect_actions <<EOF … EOF: the docker calls of the last run that act
# (every call but the queries info, image inspect and ps, whose exact
# sequences the module tests 140-146 assert) were exactly these lines.
expect_actions() {
    local want got
    want=$(cat)
    got=$(dk_calls | grep -vE '^(info|image inspect|ps) ')
    [ "$got" = "$want" ] || fail "docker actions:
$got
--- expected:
$want"
}

git init -q -b master "$T/work"
mkdir -p "$T/work/images/httpd_hello" "$T/work/images/httpd_wordpress"
printf 'FROM ubuntu:14.04\nRUN apt-get install -y apache2\nEXPOSE 80\n' >"$T/work/images/httpd_hello/Dockerfile"
printf 'FROM ubuntu:14.04\nRUN apt-get install -y apache2 wordpress\nEXPOSE 80\n' >"$T/work/images/httpd_wordpress/Dockerfile"
(cd "$T/work" && git add . && git -c user.name=t -c user.email=t@example.org commit -qm init)
git clone -q --bare "$T/work" "$T/repos/docker.git"
sed "s|@ORIGIN@|$T/repos|g" "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/local/linux.docker.complex.json" >"$T/complex.json"
run "$T/complex.json"
[ "$N" -eq 25 ] || fail "$N states"
[ "$(cat /opt/foo/bar)" = foobar ] || fail "/opt/foo/bar"
# 3 [test1]: built from the cloned Dockerfile.
[[ "$(comment 4)" =~ ^built\ visualops/ubuntu_httpd\ from\ /opt/docker/images/httpd_hello\ \(the\ image\ is\ missing\):\ sha256: ]] ||
    fail "test1: $(comment 4)"
# 4 [test2]: pushed with the recipe's login.
[[ "$(comment 5)" =~ ^pushed\ visualops/ubuntu_httpd:latest:\ 1\ new\ layer ]] || fail "test2: $(comment 5)"
# 7 [test4]: the container committed, then pushed.
[[ "$(comment 8)" =~ ^committed\ the\ container\ my_ubuntu_httpd\ as\ visualops/my_ubuntu_httpd:latest\ .*\;\ pushed\ visualops/my_ubuntu_httpd:latest:\ 2\ new\ layers ]] ||
    fail "test4: $(comment 8)"
# 11-13 [test7]: idempotence of built and running.
# (built has its own state id: the first sighting of the Dockerfile
# rebuilds, from the cache, and the image is the same.)
[[ "$(comment 12)" =~ ^rebuilt\ visualops/ubuntu_httpd\ from\ /opt/docker/images/httpd_hello\ \(first\ sighting\ of\ /opt/docker/images/httpd_hello/Dockerfile\):\ the\ image\ is\ the\ same\ .*,\ no\ changes$ ]] ||
    fail "test7 built: $(comment 12)"
[ "$(comment 14)" = "container my_ubuntu_httpd is running, no changes" ] || fail "test7 running: $(comment 14)"
# 19 [test8]: the wordpress Dockerfile, first seen, rebuilds the tag and
# stops its container; its `watch: true` is not a parameter of built.
[[ "$(comment 20)" =~ ^built\ visualops/ubuntu_httpd\ from\ /opt/docker/images/httpd_wordpress\ \(first\ sighting\ of\ /opt/docker/images/httpd_wordpress/Dockerfile\):\ sha256:[0-9a-f]{12}\;\ stopped\ my_ubuntu_httpd$ ]] ||
    fail "test8: $(comment 20)"
[[ "$(json_field 20 state_stdout)" == *"ignoring unknown parameter 'watch'"* ]] || fail "test8 output: $(json_field 20 state_stdout)"
# 21 [test10]: the stopped container comes back from the new image.
[ "$(comment 22)" = "recreated container my_ubuntu_httpd from visualops/ubuntu_httpd:latest (it was stopped)" ] ||
    fail "test10: $(comment 22)"
# 23 [test11]: new layers pushed, so the dependent container is stopped,
# and 25 [test13] runs it again.
[[ "$(comment 23)" =~ new\ layer.*\;\ stopped\ my_ubuntu_httpd_pulled$ ]] || fail "test11: $(comment 23)"
[ "$(comment 25)" = "recreated container my_ubuntu_httpd_pulled from visualops/my_ubuntu_httpd:latest (it was stopped)" ] ||
    fail "test13: $(comment 25)"
# The recipe's docker states in order: test1 build, test2 push, test3
# run, test4 commit and push, test5 pull and run, test7 build (first
# sighting), push, commit and push, pull, test8 build and stop, push,
# test10 recreate, test11 commit, push and stop, pull, test13 recreate.
expect_actions <<EOF
build --rm -t visualops/ubuntu_httpd /opt/docker/images/httpd_hello
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
run -d --name my_ubuntu_httpd --hostname my_ubuntu_httpd -p 80:80 -v /opt/foo:/tmp visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
run -d --name my_ubuntu_httpd_pulled --hostname my_ubuntu_httpd_pulled -p 81:80 visualops/my_ubuntu_httpd:latest
build --rm -t visualops/ubuntu_httpd /opt/docker/images/httpd_hello
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
build --rm -t visualops/ubuntu_httpd /opt/docker/images/httpd_wordpress
stop my_ubuntu_httpd
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
rm -f my_ubuntu_httpd
run -d --name my_ubuntu_httpd --hostname my_ubuntu_httpd -p 80:80 visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
stop my_ubuntu_httpd_pulled
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
rm -f my_ubuntu_httpd_pulled
run -d --name my_ubuntu_httpd_pulled --hostname my_ubuntu_httpd_pulled -p 81:80 visualops/my_ubuntu_httpd:latest
EOF
expect_no_secret 123123123
# A second round succeeds too. force rebuilds (test1; the image changes
# back, which stops the container) and recreates (test3, test5); the rest
# pushes, commits and pulls again and finds nothing new.
run "$T/complex.json"
expect_actions <<EOF
build --rm -t visualops/ubuntu_httpd /opt/docker/images/httpd_hello
stop my_ubuntu_httpd
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
rm -f my_ubuntu_httpd
run -d --name my_ubuntu_httpd --hostname my_ubuntu_httpd -p 80:80 -v /opt/foo:/tmp visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
rm -f my_ubuntu_httpd_pulled
run -d --name my_ubuntu_httpd_pulled --hostname my_ubuntu_httpd_pulled -p 81:80 visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/my_ubuntu_httpd:latest
EOF
