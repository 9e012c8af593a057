#!/bin/bash
# common.hg (modules.md §9.2) against local Mercurial repositories: a clone
# into a missing and into an empty directory, no-op rounds (pulled every
# round, nothing moves), dry runs (hg incoming, nothing pulled), updates to
# a tag and back to tip, repo given with a trailing '/', force wiping a
# non-empty directory (and its refusal without force), and the failures: a
# file, a missing repository, an unknown revision, bad parameters. Runs as
# the caller, touches only $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
command -v hg >/dev/null || { echo "SKIP: needs mercurial"; exit 77; }

export HGPLAIN=1 HGUSER=t
hgc() { hg --cwd "$T/src" "$@"; }
hg init "$T/src"
(cd "$T/src" && echo one >a && hg add -q a && hg commit -qm one && hg tag -q v1 &&
    echo two >b && hg add -q b && hg commit -qm two)
id() { hg --cwd "$1" identify --id ${2:+--rev "$2"}; }
R="$T/src"
C="$T/clone"
p() { printf '{"repo": "%s", "path": "%s"%s}' "${3:-$R}" "${2:-$C/}" "${1:-}"; }

# Dry run on a missing path: nothing is made.
st common.hg "$(p)" dry
expect_state true true "would clone $R into $C at tip"
[ ! -e "$C" ] || fail "the dry run made $C"
# Missing path: cloned at tip.
st common.hg "$(p)"
expect_rc 0
expect_state true true "cloned $R into $C at tip ($(id "$R" tip))"
[ "$(cat "$C/b")" = two ] || fail "the clone has no b"
# Again: pulled, nothing changes.
st common.hg "$(p)"
expect_state true false "$C is at tip ($(id "$R" tip)), no changes"
expect_line out '^no changes found'
st common.hg "$(p)" dry
expect_state true false "$C is at tip ($(id "$R" tip)), no changes"

# A new changeset upstream: the dry run counts it and pulls nothing...
old=$(id "$C")
(cd "$T/src" && echo three >c && hg add -q c && hg commit -qm three)
st common.hg "$(p)" dry
expect_state true true "would pull 1 changeset from $R into $C, then update to tip"
[ "$(hg --cwd "$C" log -r tip -T '{node|short}')" = "$old" ] || fail "the dry run pulled"
# ... the real run pulls and updates.
st common.hg "$(p)"
expect_state true true "updated $C: $old → $(id "$R" tip) at tip"
expect_line out '^added 1 changesets'
[ "$(cat "$C/c")" = three ] || fail "not updated"

# A tag: the dry run names it, then the update goes there and stays.
st common.hg "$(p ', "revision": "v1"')" dry
expect_state true true "would update $C from $(id "$R" tip) to v1 ($(id "$R" v1))"
st common.hg "$(p ', "revision": "v1"')"
expect_state true true "updated $C: $(id "$R" tip) → $(id "$R" v1) at v1"
[ ! -e "$C/b" ] || fail "b is still there at v1"
st common.hg "$(p ', "revision": "v1"')"
expect_state true false "$C is at v1 ($(id "$R" v1)), no changes"
# module.json's default, "default", is the branch's head.
st common.hg "$(p ', "revision": "default"')"
expect_state true true "updated $C: $(id "$R" v1) → $(id "$R" tip) at default"

# An unknown revision fails the update, and the dry run knows it.
st common.hg "$(p ', "revision": "nosuch"')" dry
expect_state false false "cannot update $C: unknown revision nosuch"
st common.hg "$(p ', "revision": "nosuch"')"
expect_rc 1
expect_state false false "cannot update $C to nosuch: hg update exited with status 255: abort: unknown revision 'nosuch'"
# A clone into a fresh path with an unknown revision keeps the clone: a change.
st common.hg "$(p ', "revision": "nosuch"' "$T/new")"
expect_state false true "cannot clone $R into $T/new: hg update exited with status 255: abort: unknown revision 'nosuch'"

# An empty directory is cloned into; its mode stays.
mkdir -m 0750 "$T/empty"
st common.hg "$(p ', "revision": "v1"' "$T/empty")"
expect_state true true "cloned $R into $T/empty at v1 ($(id "$R" v1))"
[ "$(stat -c %a "$T/empty")" = 750 ] || fail "the empty directory was replaced"

# A non-empty directory that is not a repository: refused without force...
mkdir -p "$T/other/sub" && echo x >"$T/other/f" && echo y >"$T/other/sub/g"
ln -s /etc/passwd "$T/other/link"
st common.hg "$(p '' "$T/other")"
expect_state false false "$T/other exists, is not empty and is not a Mercurial repository (force wipes it)"
st common.hg "$(p ', "force": true' "$T/other")" dry
expect_state true true "would wipe $T/other, then clone $R into $T/other at tip"
[ -e "$T/other/f" ] || fail "the dry run wiped"
# ... wiped with force (links removed, never followed), then cloned.
st common.hg "$(p ', "force": "y"' "$T/other")"
expect_state true true "wiped the directory, cloned $R into $T/other at tip ($(id "$R" tip))"
[ ! -e "$T/other/f" ] && [ ! -e "$T/other/sub" ] && [ ! -L "$T/other/link" ] || fail "not wiped"
[ -s /etc/passwd ] || fail "the wipe followed a link"
st common.hg "$(p ', "force": true' "$T/other")"
expect_state true false "$T/other is at tip ($(id "$R" tip)), no changes"

# Failures.
echo x >"$T/file"
st common.hg "$(p '' "$T/file")"
expect_state false false "$T/file exists and is not a directory"
st common.hg "$(p '' "$T/new2" "$T/nothere")"
expect_state false false "cannot clone $T/nothere into $T/new2: hg clone exited with status 255: abort: repository $T/nothere not found"
[ ! -e "$T/new2" ] || fail "a failed clone left $T/new2"
st common.hg "$(p '' "$C" "$T/nothere")"
expect_state false false "cannot pull $T/nothere into $C: hg pull exited with status 255: abort: repository $T/nothere not found"
st common.hg '{"repo": "x"}'
expect_state false false "missing required parameter 'path'"
st common.hg "$(p '' relative/dir)"
expect_state false false "parameter 'path': 'relative/dir' is not an absolute path"
st common.hg "$(p ', "revision": "--config=x"')"
expect_state false false "parameter 'revision': '--config=x' is not a revision"
st common.hg "$(p '' "$T/x" "--config=evil")"
expect_state false false "parameter 'repo': '--config=evil' is not a repository"
st common.hg "$(p ', "user": "no-such-user-oa"')"
expect_state false false "user no-such-user-oa does not exist"
# A password in the URL stays out of the comment and the output.
st common.hg "$(p '' "$T/new3" "http://deploy:s3cret@127.0.0.1:1/x")"
expect_rc 1
expect_state_like false false "cannot clone http://deploy:\*\*\*@127.0.0.1:1/x into $T/new3: hg clone exited with status 255: abort: .*"
if grep -q s3cret "$T/out" "$T/err" "$T/result"; then fail "the password leaked"; fi

# Through `once`, as a recipe.
recipe r "[{\"id\": \"hg\", \"module\": \"common.hg\", \"parameter\": $(p)}]"
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "$C is at tip ($(id "$R" tip)), no changes" ] ||
    fail "once: $(json_field 1 state_comment)"
