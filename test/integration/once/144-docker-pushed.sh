#!/bin/bash
# linux.docker.pushed (modules.md §11.4) against the recording docker
# stand-in, which keeps the registry's layers: a push that uploads layers
# changes the state and stops dep_containers, one where the registry had
# every layer changes nothing; a container committed first (message,
# author) every round; a login for Docker Hub and for a registry given by
# host, its password on stdin only; a dry run; and the failures: no such
# image or container, access denied, bad names.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"images": {
    "visualops/ubuntu_httpd:latest": {"id": "sha256:'"$(printf 'a%.0s' {1..64})"'", "layers": ["0a0a0a0a0a0a", "1b1b1b1b1b1b"]},
    "registry.example.com:5000/app:2": {"id": "sha256:'"$(printf 'c%.0s' {1..64})"'", "layers": ["2c2c2c2c2c2c"]}},
  "containers": {"my_ubuntu_httpd": {"id": "1", "image": "visualops/ubuntu_httpd:latest", "running": true},
                 "dep": {"id": "2", "image": "visualops/my_ubuntu_httpd:latest", "running": true}},
  "auth": {"docker.io": "visualops:123123123", "registry.example.com:5000": "bob:pw"}}'
digest() { echo "sha256:$(printf '%s' "$1" | sha256sum | cut -c1-12)"; }
CREDS='"username": "visualops", "password": "123123123", "email": "thibault@visualops.io"'

# The basic fixture's state, then without its credentials: denied.
dst linux.docker.pushed '{"repository": "visualops/ubuntu_httpd"}'
expect_rc 1
expect_state false false "cannot push visualops/ubuntu_httpd:latest: denied: requested access to the resource is denied"
dst linux.docker.pushed '{"repository": "visualops/ubuntu_httpd", '"$CREDS"', "dep_containers": ["dep"]}'
expect_rc 0
expect_state true true "pushed visualops/ubuntu_httpd:latest: 2 new layers (digest $(digest "sha256:$(printf 'a%.0s' {1..64})")); stopped dep"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG push visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop dep
EOF
expect_line out '^0a0a0a0a0a0a: Pushed$'
expect_no_secret 123123123
[ -z "$(ls -A "$T/state/docker/tmp")" ] || fail "left behind: $(ls -A "$T/state/docker/tmp")"

# Again: the registry has every layer; nothing changes, nothing is stopped.
dk_set 'S["containers"]["dep"]["running"] = True'
dst linux.docker.pushed '{"repository": "visualops/ubuntu_httpd", '"$CREDS"', "dep_containers": ["dep"]}'
expect_rc 0
expect_state true false "pushed visualops/ubuntu_httpd:latest: the registry had every layer (digest $(digest "sha256:$(printf 'a%.0s' {1..64})")), no changes"
[ "$(dk_get 'S["containers"]["dep"]["running"]')" = true ] || fail "dep stopped"

# A dry run commits and pushes nothing, and does not log in.
dst linux.docker.pushed '{"repository": "visualops/my_ubuntu_httpd", "container": "my_ubuntu_httpd", '"$CREDS"'}' dry
expect_rc 0
expect_state true true "would commit the container my_ubuntu_httpd as visualops/my_ubuntu_httpd:latest; would push visualops/my_ubuntu_httpd:latest"
expect_calls <<EOF
info --format {{.ServerVersion}}
ps -a --no-trunc --format {{.Names}}|{{.Status}}
EOF

# The complex fixture's commit and push: the container's image layers are
# in another repository of the registry (mounted from there, new to this
# one); the commit adds the empty layer, uploaded once.
P='{"repository": "visualops/my_ubuntu_httpd", '"$CREDS"', "container": "my_ubuntu_httpd", "message": "test push my", "author": "Thibault Bronchain", "dep_containers": ["dep"]}'
dst linux.docker.pushed "$P"
expect_rc 0
id=$(dk_get 'S["images"]["visualops/my_ubuntu_httpd:latest"]["id"]')
expect_state true true "committed the container my_ubuntu_httpd as visualops/my_ubuntu_httpd:latest (${id:0:19}); pushed visualops/my_ubuntu_httpd:latest: 3 new layers (digest $(digest "$id")); stopped dep"
expect_calls <<EOF
info --format {{.ServerVersion}}
ps -a --no-trunc --format {{.Names}}|{{.Status}}
--config CFG login -u visualops --password-stdin
commit -m test push my -a Thibault Bronchain my_ubuntu_httpd visualops/my_ubuntu_httpd:latest
image inspect --format {{.Id}} visualops/my_ubuntu_httpd:latest
--config CFG push visualops/my_ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop dep
EOF
[ "$(dk_get 'S["images"]["visualops/my_ubuntu_httpd:latest"]["commit"]')" = '{"-m": "test push my", "-a": "Thibault Bronchain"}' ] ||
    fail "commit options: $(dk_get 'S["images"]["visualops/my_ubuntu_httpd:latest"]')"
# Committed again every round; nothing new reaches the registry.
dk_set 'S["containers"]["dep"]["running"] = True'
dst linux.docker.pushed "$P"
expect_rc 0
id=$(dk_get 'S["images"]["visualops/my_ubuntu_httpd:latest"]["id"]')
expect_state true false "committed the container my_ubuntu_httpd as visualops/my_ubuntu_httpd:latest (${id:0:19}); pushed visualops/my_ubuntu_httpd:latest: the registry had every layer (digest $(digest "$id")), no changes"
# Files changed in the container: a new layer is uploaded.
dk_set 'S["containers"]["my_ubuntu_httpd"]["dirty"] = 1'
dst linux.docker.pushed "$P"
expect_rc 0
expect_state_like true true "committed the container my_ubuntu_httpd as visualops/my_ubuntu_httpd:latest \(sha256:[0-9a-f]{12}\); pushed visualops/my_ubuntu_httpd:latest: 1 new layer \(digest sha256:[0-9a-f]{12}\); stopped dep"

# A registry given by host, a tag, no commit message or author.
dst linux.docker.pushed '{"repository": "registry.example.com:5000/app", "tag": "2", "username": "bob", "password": "pw"}'
expect_rc 0
expect_state true true "pushed registry.example.com:5000/app:2: 1 new layer (digest $(digest "sha256:$(printf 'c%.0s' {1..64})"))"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} registry.example.com:5000/app:2
--config CFG login -u bob --password-stdin registry.example.com:5000
--config CFG push registry.example.com:5000/app:2
EOF
dst linux.docker.pushed '{"repository": "registry.example.com:5000/app", "tag": "2", "username": "bob", "password": "pw", "container": "dep"}'
expect_rc 0
grep -qx 'commit dep registry.example.com:5000/app:2' "$DK/log" || fail "argv: $(dk_calls)"

# Nothing to push.
dst linux.docker.pushed '{"repository": "visualops/none", '"$CREDS"'}'
expect_rc 1
expect_state false false "the image visualops/none:latest does not exist"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/none:latest
EOF
dst linux.docker.pushed '{"repository": "visualops/none", "container": "nope"}'
expect_rc 1
expect_state false false "the container nope does not exist"
# The commit fails.
dk_set 'S["fail"] = {"commit": {"rc": 1, "out": "Error response from daemon: no space left on device"}}'
dst linux.docker.pushed '{"repository": "visualops/x", "container": "dep"}'
expect_rc 1
expect_state false false "cannot commit the container dep as visualops/x:latest: Error response from daemon: no space left on device"
dk_set 'S["fail"] = {}'

# Parameters refused before docker is called.
dst linux.docker.pushed '{"repository": "visualops/x", "container": "a b"}'
expect_rc 1
expect_state false false "parameter 'container': 'a b' is not a container name"
dst linux.docker.pushed '{"repository": "visualops/x", "dep_containers": ["-x"]}'
expect_state false false "parameter 'dep_containers': '-x' is not a container name"
dst linux.docker.pushed '{"repository": "visualops/x", "username": "bob", "password": ""}'
expect_state false false "parameter 'password' is needed with 'username'"
dst linux.docker.pushed '{"container": "dep"}'
expect_state false false "missing required parameter 'repository'"
[ ! -s "$DK/log" ] || fail "docker called: $(cat "$DK/log")"
