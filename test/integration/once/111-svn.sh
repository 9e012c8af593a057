#!/bin/bash
# common.svn (modules.md §9.3) against local Subversion repositories: a
# checkout (file:// URL) into a missing path, no-op rounds, dry runs (svn
# info -r asks where an update goes), updates to a number, to PREV and
# module.json's misspelt COMMITED, back to HEAD, a switch to a branch when
# repo changes, and failures (no parent, a file, an unknown revision, a
# repository of no common ancestry). Then svnserve on 127.0.0.1 with a
# password: username and password reach svn (the password on stdin, never
# in argv, the comment or the output). Runs as the caller, touches only $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
command -v svnadmin >/dev/null || { echo "SKIP: needs subversion"; exit 77; }

svnadmin create "$T/repo"
U="file://$T/repo"
svn -q mkdir -m layout "$U/trunk" "$U/branches"
svn -q checkout "$U/trunk" "$T/w"
commit() { echo "$2" >"$T/w/$1" && svn -q add --force "$T/w/$1" && svn -q commit -m "$1" "$T/w"; }
commit a one # r2
commit b two # r3
R="$U/trunk"
C="$T/wc"
p() { printf '{"repo": "%s", "path": "%s"%s}' "${3:-$R}" "${2:-$C/}" "${1:-}"; }

st common.svn "$(p)" dry
expect_state true true "would check out $R into $C"
[ ! -e "$C" ] || fail "the dry run made $C"
st common.svn "$(p)"
expect_rc 0
expect_state true true "checked out $R into $C at r3"
expect_line out '^Checked out revision 3\.'
[ "$(cat "$C/b")" = two ] || fail "no b"
st common.svn "$(p)"
expect_state true false "$C is at r3, no changes"
st common.svn "$(p)" dry
expect_state true false "$C is at r3, no changes"

# A new commit: the dry run says where the update goes; the run goes there.
commit c three # r4
st common.svn "$(p)" dry
expect_state true true "would update $C from r3 to r4"
[ ! -e "$C/c" ] || fail "the dry run updated"
st common.svn "$(p)"
expect_state true true "updated $C: r3 → r4"
[ "$(cat "$C/c")" = three ] || fail "not updated"

# Revisions: a number, PREV, COMMITED (module.json's spelling), HEAD.
st common.svn "$(p ', "revision": "2"')" dry
expect_state true true "would update $C from r4 to r2"
st common.svn "$(p ', "revision": "2"')"
expect_state true true "updated $C: r4 → r2"
[ ! -e "$C/b" ] || fail "b is still there at r2"
st common.svn "$(p ', "revision": "2"')"
expect_state true false "$C is at r2, no changes"
st common.svn "$(p ', "revision": "COMMITED"')"
expect_state true false "$C is at r2, no changes"
st common.svn "$(p ', "revision": "PREV"')"
expect_state true true "updated $C: r2 → r1"
st common.svn "$(p ', "revision": "head", "force": true')"
expect_state true true "updated $C: r1 → r4"

# repo moved to a branch of the same repository: switched.
svn -q copy -m branch "$R" "$U/branches/b1" # r5
st common.svn "$(p '' "$C" "$U/branches/b1")" dry
expect_state true true "would switch $C from $R to $U/branches/b1"
st common.svn "$(p '' "$C" "$U/branches/b1")"
expect_state true true "switched $C from $R to $U/branches/b1: r4 → r5"
st common.svn "$(p '' "$C" "$U/branches/b1/")"
expect_state true false "$C is at r5, no changes"

# An unknown revision, and a repository the working copy has no ancestry with.
st common.svn "$(p ', "revision": "99"' "$C" "$U/branches/b1")"
expect_rc 1
expect_state false false "cannot update $C: svn update exited with status 1: svn: E160006: No such revision 99"
svnadmin create "$T/repo2"
st common.svn "$(p '' "$C" "file://$T/repo2")"
expect_state_like false false "cannot switch $C: svn switch exited with status 1: svn: E[0-9]+: .*"
# A plain directory is checked out into.
mkdir "$T/plain"
st common.svn "$(p '' "$T/plain")"
expect_state true true "checked out $R into $T/plain at r5"

# Failures before svn runs.
st common.svn "$(p '' "$T/none/wc")"
expect_state false false "the parent directory $T/none does not exist"
echo x >"$T/file"
st common.svn "$(p '' "$T/file")"
expect_state false false "$T/file exists and is not a directory"
st common.svn "$(p '' "$T/x" "file://$T/nothere")"
expect_state_like false false "cannot check out file://$T/nothere into $T/x: svn checkout exited with status 1: svn: E[0-9]+: .*"
st common.svn "$(p ', "revision": "-r1"')"
expect_state false false "parameter 'revision': '-r1' is not a revision"
st common.svn "$(p ', "password": "a\nb"')"
expect_state false false "parameter 'password': not a single line of at most 510 bytes"

# svnserve with a password database: credentials from the parameters.
mkdir -p "$T/serve"
svnadmin create "$T/serve/sec"
cat >"$T/serve/sec/conf/svnserve.conf" <<CONF
[general]
anon-access = none
auth-access = write
password-db = passwd
CONF
printf '[users]\ndeploy = s3cret-pw\n' >"$T/serve/sec/conf/passwd"
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
svnserve -d --foreground -r "$T/serve" --listen-host 127.0.0.1 --listen-port "$port" &
SRC_PIDS+=($!)
S="svn://127.0.0.1:$port/sec"
for _ in $(seq 50); do svn info --non-interactive --no-auth-cache --username deploy --password s3cret-pw "$S" >/dev/null 2>&1 && break; sleep 0.1; done
st common.svn "$(p '' "$T/sec" "$S")"
expect_state_like false false "cannot check out $S into $T/sec: svn checkout exited with status 1: svn: E[0-9]+: .*"
st common.svn "$(p ', "username": "deploy", "password": "wrong"' "$T/sec" "$S")"
expect_rc 1
st common.svn "$(p ', "username": "deploy", "password": "s3cret-pw"' "$T/sec" "$S")"
expect_state true true "checked out $S into $T/sec at r0"
st common.svn "$(p ', "username": "deploy", "password": "s3cret-pw"' "$T/sec" "$S")"
expect_state true false "$T/sec is at r0, no changes"
if grep -rq s3cret-pw "$T/out" "$T/err" "$T/result"; then fail "the password leaked"; fi
# Never cached on disk (--no-auth-cache).
if grep -rqs s3cret-pw "$HOME/.subversion/auth"; then fail "the password was cached"; fi
