#!/bin/bash
# common.git as another user (§1.10), with ssh-key-file, and installing git
# when it is missing (§1.6). Root only, in a sandbox: a throwaway user with
# a tmpfs /home; an `ssh` in a tmpfs /usr/local/bin (first on the modules'
# PATH) that logs the arguments GIT_SSH_COMMAND gave it, one per line, then
# runs the remote command locally, so that the key path (with a blank and
# quotes in it) is seen arriving as exactly one argument; git hidden under
# an empty file and an apt-get in a tmpfs /usr/local/sbin that un-hides it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
sandbox_tmpfs /home /usr/local/bin

g() { git -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main "$@"; }
g init -q "$T/work"
(cd "$T/work" && echo one >a && g add a && g commit -qm one)
g clone -q --bare "$T/work" "$T/origin.git"
g clone -q --bare "$T/work" "$T/root.git"
R="file://$T/origin.git"

# As a user: git runs with the user's ids, HOME and a clean environment.
add_user oagit 4741
mkdir -m 0755 /home/oagit && chown oagit:oagit /home/oagit
# Git refuses to read a repository another user owns (safe.directory): the
# reason reaches the comment.
st common.git "{\"repo\": \"$R\", \"path\": \"/home/oagit/src\", \"user\": \"oagit\"}"
expect_rc 1
expect_state false false "cannot clone $R into /home/oagit/src: git clone exited with status 128: fatal: detected dubious ownership in repository at '$T/origin.git'"
chown -R oagit:oagit "$T/origin.git"
st common.git "{\"repo\": \"$R\", \"path\": \"/home/oagit/src\", \"user\": \"oagit\"}"
expect_rc 0
expect_state_like true true "cloned $R into /home/oagit/src at [0-9a-f]{7}"
[ "$(stat -c %U:%G /home/oagit/src/a /home/oagit/src/.git/HEAD | sort -u)" = oagit:oagit ] ||
    fail "the clone is not the user's: $(stat -c '%n %U:%G' /home/oagit/src/a)"
st common.git "{\"repo\": \"$R\", \"path\": \"/home/oagit/src\", \"user\": \"oagit\"}"
expect_state_like true false "/home/oagit/src is at main \([0-9a-f]{7}\), no changes"
# A directory the user cannot write: git's own error.
st common.git "{\"repo\": \"$R\", \"path\": \"/opt/src\", \"user\": \"oagit\"}"
expect_rc 1
expect_state_like false false "cannot clone $R into /opt/src: git clone exited with status 128: fatal: could not create .*Permission denied"
st common.git "{\"repo\": \"$R\", \"path\": \"/opt/src\", \"user\": \"nosuchuser\"}"
expect_state false false "user nosuchuser does not exist"

# ssh-key-file: GIT_SSH_COMMAND="ssh -i '<key>' -o …", split by git's shell.
cat >/usr/local/bin/ssh <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/ssh.log"
printf '%s\n' "USER=\$USER HOME=\$HOME" >>"$T/ssh.log"
for last in "\$@"; do :; done
exec sh -c "\$last"
EOF
chmod 0755 /usr/local/bin/ssh
key="$T/keys/my key's \"id\""
mkdir -p "$T/keys" && echo 'not a real key' >"$key"
S="ssh://git.invalid$T/root.git"
keyjson=$($PY -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$key")
st common.git "{\"repo\": \"$S\", \"path\": \"$T/viassh\", \"ssh-key-file\": $keyjson}"
expect_rc 0
expect_state_like true true "cloned $S into $T/viassh at [0-9a-f]{7}"
grep -qxF -- "-i" "$T/ssh.log" || fail "no -i: $(cat "$T/ssh.log")"
[ "$(grep -A1 -xF -- -i "$T/ssh.log" | tail -n 1)" = "$key" ] ||
    fail "the key is not one argument: $(cat "$T/ssh.log")"
for o in StrictHostKeyChecking=no PasswordAuthentication=no KbdInteractiveAuthentication=no BatchMode=yes; do
    [ "$(grep -B1 -xF -- "$o" "$T/ssh.log" | head -n 1)" = -o ] || fail "no -o $o: $(cat "$T/ssh.log")"
done
grep -qxF git.invalid "$T/ssh.log" || fail "no host: $(cat "$T/ssh.log")"
# The same as the user: ssh runs with the user's environment.
chown -R oagit:oagit "$T/keys"
chmod 0666 "$T/ssh.log"
st common.git "{\"repo\": \"ssh://git.invalid$T/origin.git\", \"path\": \"/home/oagit/viassh\", \"ssh-key-file\": $keyjson, \"user\": \"oagit\"}"
expect_rc 0
grep -qxF "USER=oagit HOME=/home/oagit" "$T/ssh.log" || fail "ssh not as the user: $(cat "$T/ssh.log")"
# Without the parameter, no key is passed.
st common.git "{\"repo\": \"$S\", \"path\": \"$T/viassh2\"}"
expect_rc 0
if grep -qxF -- -i "$T/ssh.log"; then fail "a key without ssh-key-file"; fi

R2="file://$T/root.git"
# git missing: the dry run says it would install it, and installs nothing...
hide_tool /usr/bin/git
fake_apt_get 0 /usr/bin/git
st common.git "{\"repo\": \"$R2\", \"path\": \"$T/fresh\"}" dry
expect_state true true "would install git, then clone $R2 into $T/fresh"
expect_line out "^would install the package git \(for git\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get: $(cat "$T/apt.log")"
# ... a failed install fails the state...
fake_apt_get 100 /usr/bin/git
st common.git "{\"repo\": \"$R2\", \"path\": \"$T/fresh\"}"
expect_rc 1
expect_state false false "git is not installed and cannot be: apt-get install git exited with status 100"
# ... and a real run installs it, then clones.
fake_apt_get 0 /usr/bin/git
st common.git "{\"repo\": \"$R2\", \"path\": \"$T/fresh\"}"
expect_rc 0
expect_state_like true true "cloned $R2 into $T/fresh at [0-9a-f]{7}"
expect_line out "^installing the package git \(for git\)$"
grep -q 'install --no-install-recommends git$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
