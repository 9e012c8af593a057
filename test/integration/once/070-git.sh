#!/bin/bash
# common.git (modules.md §9.1) against local repositories over file:// (a
# bare "origin" fed from a work repo): clone, no-op rounds that need no
# fetch (tags, commits) or only ls-remote (branches), dry runs, updates by
# fast-forward, branches only at origin, force, a non-fast-forward, origin
# moved to another URL, and every failure: not a clone, a file, a missing
# repository, an unknown revision, bad parameters, a password kept out of
# the comment and the output. Runs as the caller, touches only $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"

g() { git -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main "$@"; }
sha() { git -C "$1" rev-parse "${2:-HEAD}"; }
short() { sha "$@" | cut -c1-7; }
commit() { # commit FILE TEXT [BRANCH]: in $T/work, pushed to origin
    (cd "$T/work" && { ! git rev-parse -q --verify HEAD >/dev/null || git checkout -q "${3:-main}"; } &&
        echo "$2" >"$1" && g add "$1" &&
        g commit -qm "$1: $2" && g push -q origin "${3:-main}")
}

g init -q "$T/work"
g init -q --bare "$T/origin.git"
git -C "$T/work" remote add origin "$T/origin.git"
commit a one
(cd "$T/work" && g tag v1 && g push -q origin v1 && g branch dev && g push -q origin dev)
commit b two
R="file://$T/origin.git"
C="$T/clone"
p() { printf '{"repo": "%s", "path": "%s"%s}' "${3:-$R}" "${2:-$C/}" "${1:-}"; }

# Missing path: cloned, with git's output in the state's output.
st common.git "$(p)"
expect_rc 0
expect_state true true "cloned $R into $C at $(short "$T/work")"
expect_line out "^Cloning into '$C'"
[ "$(cat "$C/b")" = two ] || fail "the clone has no b"

# Again: no change (the branch is compared with ls-remote, nothing fetched).
st common.git "$(p)"
expect_state true false "$C is at main ($(short "$C")), no changes"
expect_no_line out 'From '

# Dry run with a new commit upstream: says so, changes nothing.
old=$(short "$C")
commit c three
st common.git "$(p)" dry
expect_state true true "would update $C from $old to main"
[ "$(short "$C")" = "$old" ] || fail "the dry run moved HEAD"
[ ! -e "$C/c" ] || fail "the dry run fetched"

# The update fast-forwards.
st common.git "$(p)"
expect_state true true "updated $C: $old → $(short "$T/work")"
[ "$(cat "$C/c")" = three ] || fail "not fast-forwarded"
st common.git "$(p)"
expect_state true false "$C is at main ($(short "$C")), no changes"

# A tag: detached; later rounds neither fetch nor ask the remote (the
# origin may even be gone).
st common.git "$(p ', "revision": "v1"')"
expect_state true true "updated $C: $(short "$T/work") → $(short "$T/work" v1) at v1"
mv "$T/origin.git" "$T/gone.git"
st common.git "$(p ', "revision": "v1"')"
expect_state true false "$C is at v1 ($(short "$T/work" v1)), no changes"
# A full or an abbreviated commit too.
st common.git "$(p ", \"revision\": \"$(sha "$T/work" v1)\"")"
expect_state true false "$C is at $(sha "$T/work" v1) ($(short "$T/work" v1)), no changes"
st common.git "$(p ", \"revision\": \"$(short "$T/work" v1)\"")"
expect_state true false "$C is at $(short "$T/work" v1) ($(short "$T/work" v1)), no changes"
# A branch needs the remote: its failure fails the state, with git's reason.
st common.git "$(p ', "revision": "main"')"
expect_rc 1
expect_state_like false false "cannot update $C: git fetch exited with status 128: fatal: .*"
mv "$T/gone.git" "$T/origin.git"

# Detached and no revision: nothing to follow, nothing done.
st common.git "$(p)"
expect_state true false "$C is at a detached HEAD and no revision is given ($(short "$C")), no changes"

# A branch that exists only at origin: fetched, checked out, tracking.
commit d four dev
st common.git "$(p ', "revision": "dev"')"
expect_state true true "updated $C: $(short "$T/work" v1) → $(short "$T/work" dev) at dev"
[ "$(git -C "$C" symbolic-ref --short HEAD)" = dev ] || fail "not on dev"
[ "$(git -C "$C" rev-parse --abbrev-ref '@{upstream}')" = origin/dev ] || fail "dev does not track"
st common.git "$(p ', "revision": "dev"')"
expect_state true false "$C is at dev ($(short "$C")), no changes"

# Local changes in the way of a checkout: refused without force...
echo mine >"$C/d"
st common.git "$(p ', "revision": "main"')"
expect_rc 1
expect_state_like false false "cannot update $C: git checkout exited with status 1: error: Your local changes .*"
[ "$(cat "$C/d")" = mine ] || fail "local change lost without force"
# ... discarded with force (checkout -f), which does not wipe other files.
echo untracked >"$C/extra"
st common.git "$(p ', "revision": "main", "force": "y"')"
expect_state true true "updated $C: $(short "$T/work" dev) → $(short "$T/work" main) at main"
[ ! -e "$C/d" ] || fail "d is still there on main"
[ "$(cat "$C/extra")" = untracked ] || fail "force wiped an untracked file"
rm "$C/extra"

# A local commit and a new upstream one: no fast-forward, the state fails.
(cd "$C" && echo local >l && g add l && g commit -qm local)
commit e five
st common.git "$(p ', "revision": "main"')"
expect_rc 1
expect_state_like false false "cannot update $C: git merge exited with status 128: fatal: Not possible to fast-forward, aborting."
(cd "$C" && git reset -q --hard origin/main)

# repo changed: origin is pointed at the new URL before the fetch.
git clone -q --bare "$T/origin.git" "$T/mirror.git"
commit f six
git -C "$T/work" push -q "$T/mirror.git" main
st common.git "$(p ', "revision": "main"' "$C" "file://$T/mirror.git")"
expect_state true true "updated $C: $(short "$T/work" main~1) → $(short "$T/work") at main"
[ "$(git -C "$C" remote get-url origin)" = "file://$T/mirror.git" ] || fail "origin not moved"

# An empty directory is cloned into; a revision at clone time.
mkdir "$T/empty"
st common.git "$(p ', "revision": "v1"' "$T/empty")"
expect_state true true "cloned $R into $T/empty at v1 ($(short "$T/work" v1))"
# A clone with no origin remote gets one.
git -C "$T/empty" remote remove origin
st common.git "$(p ', "revision": "main"' "$T/empty")"
expect_state true true "updated $T/empty: $(short "$T/work" v1) → $(short "$T/work") at main"
[ "$(git -C "$T/empty" remote get-url origin)" = "$R" ] || fail "origin not added"

# Failures.
mkdir "$T/other" && echo x >"$T/other/f"
st common.git "$(p '' "$T/other")"
expect_state false false "$T/other exists, is not empty and is not a git clone"
st common.git "$(p '' "$T/other/f")"
expect_state false false "$T/other/f exists and is not a directory"
st common.git "$(p '' "$T/new" "file://$T/nothere.git")"
expect_state false false "cannot clone file://$T/nothere.git into $T/new: git clone exited with status 128: fatal: '$T/nothere.git' does not appear to be a git repository"
[ ! -e "$T/new" ] || fail "a failed clone left $T/new"
st common.git "$(p ', "revision": "nosuch"' "$T/new2")"
expect_state false true "cannot clone $R into $T/new2: git checkout exited with status 128: fatal: invalid reference: nosuch"
st common.git "$(p ', "revision": "nosuch"' "$T/new2")"
expect_state false false "cannot update $T/new2: revision nosuch not found in $R"
# A password in the URL stays out of the comment and the output.
st common.git "$(p '' "$T/new3" "http://deploy:s3cret@127.0.0.1:1/x.git")"
expect_rc 1
expect_state_like false false "cannot clone http://deploy:\*\*\*@127.0.0.1:1/x.git into $T/new3: git clone exited with status 128: .*"
if grep -q s3cret "$T/out" "$T/err" "$T/result"; then fail "the password leaked"; fi

# Bad parameters fail before anything runs.
st common.git '{"repo": "x"}'
expect_state false false "missing required parameter 'path'"
st common.git "$(p '' relative/dir)"
expect_state false false "parameter 'path': 'relative/dir' is not an absolute path"
st common.git "$(p ', "revision": "--upload-pack=touch /tmp/x"')"
expect_state false false "parameter 'revision': '--upload-pack=touch /tmp/x' is not a revision"
st common.git "$(p '' "$T/x" "--upload-pack=evil")"
expect_state false false "parameter 'repo': '--upload-pack=evil' is not a repository"
st common.git "$(p ', "ssh-key-file": "id_rsa"')"
expect_state false false "parameter 'ssh-key-file': 'id_rsa' is not an absolute path"
st common.git "$(p ", \"ssh-key-file\": \"$T/nokey\"")"
expect_state false false "ssh-key-file $T/nokey does not exist"
st common.git "$(p ', "user": "no-such-user-oa"')"
expect_state false false "user no-such-user-oa does not exist"

# Through `once`, as a recipe: the same comment.
recipe r "[{\"id\": \"git\", \"module\": \"common.git\", \"parameter\": $(p)}]"
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "$C is at main ($(short "$C")), no changes" ] ||
    fail "once: $(json_field 1 state_comment)"
