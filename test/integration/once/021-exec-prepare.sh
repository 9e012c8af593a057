#!/bin/bash
# The internal exec-prepare sub-command syncs the module repository (design.md,
# PREPARE): the request on stdin, the result on fd 3, git's commands and output
# on stdout/stderr. Local repositories made here are served as file:// URLs.
. "$(dirname "$0")/../lib.sh"

command -v git >/dev/null || {
    echo "SKIP: git is not installed"
    exit 77
}

# The test's own git calls: a fixed identity, no user or system config.
export GIT_AUTHOR_NAME=opsagent-test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=opsagent-test GIT_COMMITTER_EMAIL=test@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

ROOT=$T/modules
UP=$T/up
REPO=$ROOT/repo

# commit DIR FILE TEXT [MODE]: writes FILE in the upstream DIR and commits it.
commit() {
    printf '%s\n' "$3" >"$1/$2"
    chmod "${4:-644}" "$1/$2"
    git -C "$1" add "$2"
    git -C "$1" commit -q -m "$2: $3"
}

# prepare URL TAG [NAME [BOOTSTRAP]]: runs exec-prepare with the result on fd 3
# in $T/result, the output in $T/out and $T/err, the exit status in $RC.
prepare() {
    printf '{"repo":"%s","tag":"%s","root":"%s","name":"%s","bootstrap":"%s","agent_version":"0.1.0"}\n' \
        "$1" "$2" "$ROOT" "${3:-repo}" "${4:-bootstrap.sh}" >"$T/request"
    set +e
    "${OA[@]}" exec-prepare <"$T/request" 3>"$T/result" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    no_sanitizer_report
}

field() {
    python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(v if isinstance(v, str) else json.dumps(v))' "$T/result" "$1"
}

# expect_result RC RESULT CHANGED COMMENT: the exit status and the result on fd 3
# (the comment exactly).
expect_result() {
    local got
    [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1; result: $(cat "$T/result")"
    got=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(json.dumps(r["result"]), json.dumps(r["changed"]), r["comment"])' "$T/result")
    [ "$got" = "$2 $3 $4" ] || fail "result: $(cat "$T/result"), expected result $2, changed $3, comment '$4'"
}

no_leftovers() {
    local left
    left=$(find "$ROOT" -mindepth 1 -maxdepth 1 -name '.*')
    [ -z "$left" ] || fail "left behind in $ROOT: $left"
}

head_of() {
    git -C "$1" rev-parse HEAD
}

git init -q -b main "$UP"
commit "$UP" file one
git -C "$UP" tag v1
URL=file://$UP

# 1. First run: cloned into <root>/<name>, root made 0700, no temporary folder.
prepare "$URL" main
expect_result 0 true true "module repository $URL at main ready (cloned)"
[ "$(cat "$REPO/file")" = one ] || fail "file after the clone"
[ "$(stat -c %a "$ROOT")" = 700 ] || fail "root mode $(stat -c %a "$ROOT")"
[ "$(git -C "$REPO" config --get remote.origin.url)" = "$URL" ] || fail "origin"
expect_line out "^\\$ git clone --no-checkout -- $URL "
expect_line out "no bootstrap script bootstrap.sh"
no_leftovers

# 2. Nothing new: unchanged.
prepare "$URL" main
expect_result 0 true false "module repository $URL at main ready (unchanged)"
expect_line out '^\$ git fetch --tags --prune --force origin$'

# 3. A new commit on the branch is pulled on the next run.
commit "$UP" file two
prepare "$URL" main
expect_result 0 true true "module repository $URL at main ready (updated)"
[ "$(cat "$REPO/file")" = two ] || fail "file after the new commit"
[ "$(head_of "$REPO")" = "$(head_of "$UP")" ] || fail "HEAD is not upstream's main"
# A local change to a tracked file is overwritten (checkout --force).
echo local >"$REPO/file"
prepare "$URL" main
expect_result 0 true false "module repository $URL at main ready (unchanged)"
[ "$(cat "$REPO/file")" = two ] || fail "local change kept"

# 4. A tag is checked out (detached); asking again changes nothing.
prepare "$URL" v1
expect_result 0 true true "module repository $URL at v1 ready (updated)"
[ "$(cat "$REPO/file")" = one ] || fail "file at v1"
[ "$(head_of "$REPO")" = "$(git -C "$UP" rev-parse 'v1^{commit}')" ] || fail "HEAD is not v1"
prepare "$URL" v1
expect_result 0 true false "module repository $URL at v1 ready (unchanged)"
# A tag made upstream after the clone is fetched.
git -C "$UP" tag v2
prepare "$URL" v2
expect_result 0 true true "module repository $URL at v2 ready (updated)"
[ "$(cat "$REPO/file")" = two ] || fail "file at v2"
# A tag moved upstream is followed.
git -C "$UP" tag -f v2 v1 >/dev/null
prepare "$URL" v2
expect_result 0 true true "module repository $URL at v2 ready (updated)"
[ "$(cat "$REPO/file")" = one ] || fail "file at the moved v2"
git -C "$UP" tag -f v2 main >/dev/null
prepare "$URL" v2
expect_result 0 true true "module repository $URL at v2 ready (updated)"
[ "$(cat "$REPO/file")" = two ] || fail "file at v2 moved back"

# 5. A missing tag fails clearly and leaves the checkout as it was.
before=$(head_of "$REPO")
prepare "$URL" v9
expect_result 1 false false \
    "Can't check out v9 in the module repository: the repository has no branch, tag or commit called v9"
[ "$(head_of "$REPO")" = "$before" ] || fail "HEAD moved on a missing tag"
[ "$(cat "$REPO/file")" = two ] || fail "file changed on a missing tag"
no_leftovers
# The same on a first clone: nothing is left.
prepare "$URL" v9 fresh
expect_result 1 false false \
    "Can't check out v9 in the module repository: the repository has no branch, tag or commit called v9"
[ ! -e "$ROOT/fresh" ] || fail "a failed checkout left $ROOT/fresh"
no_leftovers

# 6. Another origin URL: cloned anew, the old folder replaced.
git init -q -b main "$T/other"
commit "$T/other" other-file other
OTHER=file://$T/other
prepare "$OTHER" main
expect_result 0 true true "module repository $OTHER at main ready (cloned)"
[ "$(cat "$REPO/other-file")" = other ] || fail "not the other repository"
[ ! -e "$REPO/file" ] || fail "the old checkout is still there"
[ "$(git -C "$REPO" config --get remote.origin.url)" = "$OTHER" ] || fail "origin not updated"
no_leftovers

# 7. An unreachable repository fails ("Can't clone") and leaves no folder; an
# existing checkout stays as it was.
prepare "file://$T/nothere" main fresh
expect_result 1 false false \
    "Can't clone the module repository file://$T/nothere: '$T/nothere' does not appear to be a git repository"
[ ! -e "$ROOT/fresh" ] || fail "a failed clone left $ROOT/fresh"
no_leftovers
prepare "file://$T/nothere" main
[ "$RC" -eq 1 ] || fail "exit status $RC"
field comment | grep -q "^Can't clone the module repository file://$T/nothere: " || fail "comment: $(field comment)"
[ "$(cat "$REPO/other-file")" = other ] || fail "the existing checkout changed"
no_leftovers
# A password in the URL is not shown.
prepare "http://user:secret@127.0.0.1:1/x.git" main fresh
[ "$RC" -eq 1 ] || fail "exit status $RC"
field comment | grep -q "^Can't clone the module repository http://user:\*\*\*@127.0.0.1:1/x.git: " ||
    fail "comment: $(field comment)"
if grep -q secret "$T/result" "$T/out"; then fail "the password was shown"; fi

# 8. The bootstrap script runs in the repository: directly when executable,
# with /bin/sh when not; a failure names the script and its status.
commit "$UP" bootstrap.sh "#!/bin/sh
pwd >'$T/bootstrap-cwd'
echo bootstrapped" 755
prepare "$URL" main
expect_result 0 true true "module repository $URL at main ready (cloned)"
[ "$(cat "$T/bootstrap-cwd")" = "$REPO" ] || fail "bootstrap cwd: $(cat "$T/bootstrap-cwd")"
expect_line out '^\$ bootstrap.sh$'
expect_line out '^bootstrapped$'
commit "$UP" bootstrap.sh "echo failing; exit 3" 644
prepare "$URL" main
expect_result 1 false true "The module repository's bootstrap script bootstrap.sh exited with status 3"
expect_line out '^\$ /bin/sh bootstrap.sh$'
expect_line out '^failing$'
# A script path leading out of the repository is refused.
prepare "$URL" main repo ../escape.sh
expect_result 1 false false \
    "bootstrap script '../escape.sh' must be a relative path inside the module repository"
ln -s /bin/true "$UP/out.sh"
git -C "$UP" add out.sh
git -C "$UP" commit -q -m "a link out"
prepare "$URL" main repo out.sh
expect_result 1 false true \
    "Can't run the module repository's bootstrap script out.sh: not a file inside the repository"
commit "$UP" bootstrap.sh "exit 0"

# 9. compat.txt: every constraint must hold for the agent's version.
commit "$UP" compat.txt "# needs the new protocol

>= 2.0"
prepare "$URL" main
expect_result 1 false true "the module repository needs agent version >= 2.0 (this agent is 0.1.0)"
commit "$UP" compat.txt "agent 2.0"
prepare "$URL" main
expect_result 1 false true \
    "compat.txt line 1 is malformed: 'agent 2.0' (expected OP VERSION, OP one of > >= < <= == !=)"
commit "$UP" compat.txt ">= 0.1
< 1.0"
prepare "$URL" main
expect_result 0 true true "module repository $URL at main ready (updated)"
expect_line out "agent version 0.1.0 meets the module repository's compat.txt"

# 10. A URL or tag starting with '-' is refused before git sees it.
prepare "--upload-pack=touch $T/pwned" main
expect_result 1 false false \
    "Refusing the module repository URL '--upload-pack=touch $T/pwned': it starts with '-'"
prepare "-u" main fresh
expect_result 1 false false "Refusing the module repository URL '-u': it starts with '-'"
prepare "$URL" "--orphan=x"
expect_result 1 false false "Refusing the module repository tag '--orphan=x': it starts with '-'"
[ ! -e "$T/pwned" ] || fail "an option was injected"
[ ! -e "$ROOT/fresh" ] || fail "$ROOT/fresh made for a refused URL"
expect_lines out 0

# 11. A folder that is not a git work tree, and a temporary folder left by
# an interrupted sync, are replaced and removed.
mkdir -p "$ROOT/plain" "$ROOT/.plain.tmp-AbC123/objects"
echo stale >"$ROOT/plain/stale"
prepare "$URL" main plain
expect_result 0 true true "module repository $URL at main ready (cloned)"
[ ! -e "$ROOT/plain/stale" ] || fail "the old folder's file is still there"
[ "$(cat "$ROOT/plain/file")" = two ] || fail "not cloned into plain"
no_leftovers

# 12. An unusable request: exit status 2 and the reason.
printf 'not json' >"$T/request"
set +e
"${OA[@]}" exec-prepare <"$T/request" 3>"$T/result" >"$T/out" 2>"$T/err"
RC=$?
set -e
[ "$RC" -eq 2 ] || fail "exit status $RC for a bad request"
field comment | grep -q '^invalid request on stdin: invalid JSON' || fail "comment: $(field comment)"
printf '{"repo":"%s","tag":"main","root":"%s","name":"repo"}' "$URL" "$ROOT" >"$T/request"
set +e
"${OA[@]}" exec-prepare <"$T/request" 3>"$T/result" >"$T/out" 2>"$T/err"
RC=$?
set -e
[ "$RC" -eq 2 ] || fail "exit status $RC for a request without agent_version"
[ "$(field comment)" = "invalid request on stdin: 'agent_version' must be a non-empty string, got nothing" ] ||
    fail "comment: $(field comment)"
