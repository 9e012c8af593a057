#!/bin/bash
# linux.docker.built (modules.md §11.2, §1.7) against the recording docker
# stand-in: a missing image is built, a built one left alone (no change,
# no build), <path>/Dockerfile always watched with the first sighting
# counting (a rebuild whose image comes out the same changes nothing), a
# changed Dockerfile rebuilds and stops the listed containers, force
# rebuilds, a dry run builds and stores nothing, a failed build stores no
# sum so the next round builds again, the build output filtered as §1.3
# says, and bad parameters.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-docker.sh"
in_sandbox "$@"
docker_sandbox '{"containers": {"web": {"id": "1", "image": "visualops/app:latest", "running": true}}}'

ctx="$T/app"
mkdir -p "$ctx"
printf 'FROM debian:12\nRUN echo hi\n' >"$ctx/Dockerfile"
P='{"tag": "visualops/app", "path": "'"$ctx"'/", "containers": ["web"]}'
id_of() { echo "sha256:$(sha256sum <"$ctx/Dockerfile" | cut -c1-12)"; }
sum="$T/watch/d-${ctx//\//-}-Dockerfile.cksum"

# The image is missing: built. The listed container ran an image of that
# name before, so it is stopped for linux.docker.running to recreate it.
dst linux.docker.built "$P"
expect_rc 0
expect_state true true "built visualops/app from $ctx (the image is missing): $(id_of); stopped web"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/app
build --rm -t visualops/app $ctx
image inspect --format {{.Id}} visualops/app
ps -a --no-trunc --format {{.Names}}|{{.Status}}
stop web
EOF
expect_line out "^\+ docker build --rm -t visualops/app $ctx$"
expect_line out '^Successfully tagged visualops/app:latest$'
[ "$(cat "$sum")" = "$(md5sum <"$ctx/Dockerfile" | cut -d' ' -f1)" ] || fail "no sum of the Dockerfile"

# Built, Dockerfile unchanged: nothing to do.
dst linux.docker.built "$P"
expect_rc 0
expect_state true false "the image visualops/app is built ($(id_of)), no changes"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/app
EOF

# A changed Dockerfile: the dry run says so and stores nothing, the real
# round rebuilds and stops the container again.
dk_set 'S["containers"]["web"]["running"] = True'
printf 'FROM debian:12\nRUN echo hello\n' >"$ctx/Dockerfile"
dst linux.docker.built "$P" dry
expect_rc 0
expect_state true true "would build visualops/app from $ctx ($ctx/Dockerfile changed)"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/app
EOF
old=$(dk_get 'S["images"]["visualops/app:latest"]["id"]')
dst linux.docker.built "$P"
expect_rc 0
expect_state true true "built visualops/app from $ctx ($ctx/Dockerfile changed): $(id_of); stopped web"
[ "$(dk_get 'S["images"]["visualops/app:latest"]["id"]')" != "$old" ] || fail "not rebuilt"
dst linux.docker.built "$P"
expect_state true false "the image visualops/app is built ($(id_of)), no changes"

# force rebuilds every round; from the cache the image is the same, which
# changes nothing and stops nothing.
dst linux.docker.built '{"tag": "visualops/app", "path": "'"$ctx"'", "containers": ["web"], "force": "y"}'
expect_rc 0
expect_state true false "rebuilt visualops/app from $ctx (force): the image is the same ($(id_of)), no changes"
expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/app
build --rm -t visualops/app $ctx
image inspect --format {{.Id}} visualops/app
EOF

# The first sighting counts (§1.7): with no sum stored, the image is
# rebuilt once.
rm "$sum"
dst linux.docker.built "$P"
expect_rc 0
expect_state true false "rebuilt visualops/app from $ctx (first sighting of $ctx/Dockerfile): the image is the same ($(id_of)), no changes"
[ -f "$sum" ] || fail "sum not stored"

# A failing build fails the state and keeps no sum: the next round builds
# again.
printf 'FROM debian:12\nRUN false\n' >"$ctx/Dockerfile"
for _ in 1 2; do
    dst linux.docker.built "$P"
    expect_rc 1
    expect_state false false "cannot build visualops/app from $ctx: The command '/bin/sh -c false' returned a non-zero code: 1"
    expect_calls <<EOF
info --format {{.ServerVersion}}
image inspect --format {{.Id}} visualops/app
build --rm -t visualops/app $ctx
EOF
done

# The build's output as §1.3 filters it: a line rewritten with \r keeps
# its last version, a progress bar of dots is dropped.
printf 'FROM debian:12\nRUN wget http://example.com/x\n' >"$ctx/Dockerfile"
dst linux.docker.built "$P"
expect_rc 0
expect_line out '^Downloading 100%$'
expect_no_line out 'Downloading 10%'
expect_no_line out '\.\.\.\.\.\.\.\.\.\.'
expect_line out '^Step 2/2 : RUN wget http://example.com/x$'

# The complex fixture's `watch: true` is not a parameter of this module.
dst linux.docker.built '{"tag": "visualops/app", "path": "'"$ctx"'", "watch": true}'
expect_rc 0
expect_line out "^ignoring unknown parameter 'watch'$"

# Bad parameters.
dst linux.docker.built '{"tag": "visualops/app", "path": "'"$T"'/none"}'
expect_rc 1
expect_state false false "$T/none/Dockerfile does not exist"
dst linux.docker.built '{"tag": "visualops/app", "path": "app"}'
expect_state false false "parameter 'path': 'app' is not an absolute path"
dst linux.docker.built '{"tag": "visual ops", "path": "'"$ctx"'"}'
expect_state false false "parameter 'tag': 'visual ops' is not an image name"
dst linux.docker.built '{"path": "'"$ctx"'"}'
expect_state false false "missing required parameter 'tag'"
[ ! -s "$DK/log" ] || fail "docker called: $(cat "$DK/log")"
