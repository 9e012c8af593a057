#!/bin/bash
# linux.docker.pulled (modules.md §11.1) against the recording docker
# stand-in (lib-docker.sh; no engine runs here): the exact docker calls of
# a first pull, an idempotent second round, a dry run, a new image that
# stops the listed containers and their numbered variants up to the first
# missing one, the tag defaulting to latest, a registry login whose
# password goes only to stdin (and a private client config that does not
# survive the state), and the failures: manifest unknown, access denied,
# a wrong password, a missing password, bad names.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"registry": {"nginx:1.25": {"id": "sha256:'"$(printf 'a%.0s' {1..64})"'", "layers": ["0a1b2c3d4e5f"]}}}'
A=sha256:aaaaaaaaaaaa

# First round: the image is pulled.
dst linux.docker.pulled '{"repo": "nginx", "tag": "1.25"}'
expect_rc 0
expect_state true true "pulled nginx:1.25 ($A)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
image prune -f
EOF
expect_line out '^\+ docker pull nginx:1.25$'
expect_line out '^0a1b2c3d4e5f: Pull complete$'

# Second round: pulled again (§11.1 pulls every round), nothing changed.
dst linux.docker.pulled '{"repo": "nginx", "tag": "1.25", "containers": ["web"]}'
expect_rc 0
expect_state true false "nginx:1.25 is up to date ($A), no changes"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
EOF

# Dry runs pull nothing.
dst linux.docker.pulled '{"repo": "nginx", "tag": "1.25"}' dry
expect_rc 0
expect_state true false "would pull nginx:1.25 to look for a newer image (now $A)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
EOF
dst linux.docker.pulled '{"repo": "nginx"}' dry
expect_state true true "would pull nginx:latest"
[ "$(dk_get 'sorted(S["images"])')" = '["nginx:1.25"]' ] || fail "dry run pulled: $(dk_get 'S["images"]')"

# A new image in the registry: the containers listed, with their numbered
# variants up to the first missing one (web_3), are stopped; web_4 is not
# a variant anymore, db is not listed, web_1 was already stopped.
dk_set 'S["registry"]["nginx:1.25"]["id"] = "sha256:" + "b" * 64
for n, up in (("web", True), ("web_1", False), ("web_2", True), ("web_4", True), ("db", True)):
    S.setdefault("containers", {})[n] = {"id": sha(n), "image": "nginx:1.25", "running": up}'
dst linux.docker.pulled '{"repo": "nginx", "tag": "1.25", "containers": ["web", "other"]}'
expect_rc 0
expect_state true true "pulled a new nginx:1.25 (sha256:bbbbbbbbbbbb, was $A); stopped web, web_2"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:1.25
pull nginx:1.25
image inspect --format {{.Id}} nginx:1.25
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop web
stop web_2
image prune -f
EOF
[ "$(dk_get '[S["containers"][n]["running"] for n in ("web", "web_1", "web_2", "web_4", "db")]')" = \
    '[false, false, false, true, true]' ] || fail "containers: $(dk_get 'S["containers"]')"

# A failed cleanup of dangling images does not fail the state.
dk_set 'S["registry"]["nginx:1.25"]["id"] = "sha256:" + "c" * 64
S["fail"] = {"prune": {"rc": 1, "out": "Error response from daemon: a prune operation is already running", "once": True}}'
dst linux.docker.pulled '{"repo": "nginx", "tag": "1.25"}'
expect_rc 0
expect_state true true "pulled a new nginx:1.25 (sha256:cccccccccccc, was sha256:bbbbbbbbbbbb)"
expect_line out '^could not remove the dangling images: Error response from daemon: a prune operation is already running$'

# Failures: an unknown tag, a repository that needs a login.
dst linux.docker.pulled '{"repo": "nginx", "tag": "9"}'
expect_rc 1
expect_state false false "cannot pull nginx:9: Error response from daemon: manifest for nginx:9 not found: manifest unknown: manifest unknown"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} nginx:9
pull nginx:9
EOF
dk_set 'S["registry"]["visualops/ubuntu_httpd:latest"] = {"id": "sha256:" + "d" * 64, "layers": ["1a2b3c4d5e6f"]}
S["auth"] = {"docker.io": "visualops:123123123", "registry.example.com:5000": "bob:s3cr3t pass"}
S["registry"]["registry.example.com:5000/app:2"] = {"id": "sha256:" + "e" * 64, "layers": ["2a2b3c4d5e6f"]}'
dst linux.docker.pulled '{"repo": "visualops/ubuntu_httpd"}'
expect_rc 1
expect_state false false "cannot pull visualops/ubuntu_httpd:latest: Error response from daemon: pull access denied for visualops/ubuntu_httpd, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
pull visualops/ubuntu_httpd:latest
EOF

# The basic fixture's state: a Docker Hub login (its email is obsolete).
# The password reaches docker on stdin only; the client config is private
# to the state and removed after it.
dst linux.docker.pulled '{"containers": ["my_ubuntu_httpd"], "repo": "visualops/ubuntu_httpd", "username": "visualops", "password": "123123123", "email": "thibault@visualops.io"}'
expect_rc 0
expect_state true true "pulled visualops/ubuntu_httpd:latest (sha256:dddddddddddd)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
--config CFG login -u visualops --password-stdin
--config CFG pull visualops/ubuntu_httpd:latest
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
ps -a --no-trunc --format {{.Names}}|{{.Status}}
image prune -f
EOF
expect_line out "^ignoring 'email': docker login no longer takes one$"
expect_line out '^Login Succeeded$'
[ "$(tail -n 1 "$DK/stdin.log")" = 123123123 ] || fail "password on stdin: $(cat "$DK/stdin.log")"
expect_no_secret 123123123
[ -z "$(ls -A "$T/state/docker/tmp")" ] || fail "left behind: $(ls -A "$T/state/docker/tmp")"

# A private registry: login names it; a wrong password fails before the pull.
dst linux.docker.pulled '{"repo": "registry.example.com:5000/app", "tag": "2", "username": "bob", "password": "s3cr3t pass"}'
expect_rc 0
expect_state true true "pulled registry.example.com:5000/app:2 (sha256:eeeeeeeeeeee)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} registry.example.com:5000/app:2
--config CFG login -u bob --password-stdin registry.example.com:5000
--config CFG pull registry.example.com:5000/app:2
image inspect --format {{.Id}} registry.example.com:5000/app:2
image prune -f
EOF
expect_no_secret 's3cr3t pass'
dst linux.docker.pulled '{"repo": "registry.example.com:5000/app", "tag": "2", "username": "bob", "password": "wrong"}'
expect_rc 1
expect_state false false "cannot log in to registry.example.com:5000 as bob: Error response from daemon: Get \"https://registry.example.com:5000/v2/\": unauthorized: incorrect username or password"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} registry.example.com:5000/app:2
--config CFG login -u bob --password-stdin registry.example.com:5000
EOF
expect_no_secret wrong
[ -z "$(ls -A "$T/state/docker/tmp")" ] || fail "left behind: $(ls -A "$T/state/docker/tmp")"
# A dry run does not log in either.
dst linux.docker.pulled '{"repo": "visualops/ubuntu_httpd", "username": "visualops", "password": "123123123"}' dry
expect_rc 0
expect_line out '^would log in to Docker Hub as visualops$'
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/ubuntu_httpd:latest
EOF

# Parameters checked before docker is called.
dst linux.docker.pulled '{"repo": "visualops/ubuntu_httpd", "username": "visualops"}'
expect_rc 1
expect_state false false "parameter 'password' is needed with 'username'"
dst linux.docker.pulled '{"repo": "-nginx"}'
expect_state false false "parameter 'repo': '-nginx' is not an image name"
dst linux.docker.pulled '{"repo": "nginx", "containers": ["web", "bad name"]}'
expect_state false false "parameter 'containers': 'bad name' is not a container name"
dst linux.docker.pulled '{"tag": "1"}'
expect_state false false "missing required parameter 'repo'"
[ ! -s "$DK/log" ] || fail "docker called: $(cat "$DK/log")"
