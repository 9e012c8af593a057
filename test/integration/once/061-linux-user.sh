#!/bin/bash
# linux.user (modules.md §7.2) without the password rules (062): created
# with required and with all parameters, `$username` in home, an existing
# home made the user's (only the top directory), a no-op when nothing
# differs, absent home/groups/no-login leave the user alone, `groups: []`
# empties the supplementary groups, changes through usermod with a dry run
# first, and every refusal before anything is created. Root only, in a
# sandbox (private /etc, tmpfs /home).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-accounts.sh"
in_sandbox "$@"
sandbox_tmpfs /home

pw() { getent passwd "$1" || true; }
groups_of() { id -Gn "$1" | tr ' ' '\n' | sort | tr '\n' ' '; }

# The basic fixture: username and password only.
agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.user.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "User InstantForge1 created" ] || fail "comment: $(json_field 1 state_comment)"
uid=$(id -u InstantForge1)
[ "$(pw InstantForge1)" = "InstantForge1:x:$uid:$uid::/home/InstantForge1:/bin/sh" ] || fail "passwd: $(pw InstantForge1)"
[ "$(stat -c %U /home/InstantForge1)" = InstantForge1 ] || fail "home not created for the user"
[ "$(json_field 1 state_stdout)" = "running: useradd -m -d /home/InstantForge1 -p *** -- InstantForge1" ] ||
    fail "output: $(json_field 1 state_stdout)"

# Again: nothing to do, nothing run.
run_state linux.user '{"username": "InstantForge1", "password": "instant"}'
expect_state true false "User InstantForge1 is up to date"
[ ! -s "$T/out" ] || fail "output of a no-op: $(cat "$T/out")"

# Dry run of a creation: nothing happens.
cp /etc/passwd "$T/passwd.before"
run_state linux.user '{"username": "dryuser", "password": "x"}' dry
expect_state true true "would create user dryuser"
cmp -s /etc/passwd "$T/passwd.before" || fail "the dry run changed /etc/passwd"
[ ! -e /home/dryuser ] || fail "the dry run made /home/dryuser"

# All parameters (the complex fixture's step 8, under $T): uid, gid by
# name, groups, `$username` in home, fullname, no-login ("y"), system.
echo "Dev:x:600:" >>/etc/group
echo "Ops:x:601:" >>/etc/group
run_state linux.user '{"username": "InstantForge2", "password": "instant", "fullname": "visualops username",
  "uid": "600", "gid": "Dev", "groups": ["Dev", "Ops", "adm"], "home": "'"$T"'/users/$username/",
  "no-login": "y", "system-account": true}'
expect_state true true "User InstantForge2 created"
[ "$(pw InstantForge2)" = "InstantForge2:x:600:600:visualops username:$T/users/InstantForge2:/usr/sbin/nologin" ] ||
    fail "passwd: $(pw InstantForge2)"
[ "$(groups_of InstantForge2)" = "Dev Ops adm " ] || fail "groups: $(groups_of InstantForge2)"
[ "$(stat -c %U:%G "$T/users/InstantForge2")" = InstantForge2:Dev ] || fail "home: $(stat -c %U:%G "$T/users/InstantForge2")"
expect_line out "^running: useradd -m -u 600 -g 600 -G Dev,Ops,adm -d $T/users/InstantForge2 -s /usr/sbin/nologin -c 'visualops username' -r -p \\*\\*\\* -- InstantForge2\$"
run_state linux.user '{"username": "InstantForge2", "password": "instant", "fullname": "visualops username",
  "uid": 600, "gid": "600", "groups": ["adm", "Ops", "Dev"], "home": "'"$T"'/users/${username}",
  "no-login": true, "system-account": false}'
expect_state true false "User InstantForge2 is up to date"

# An existing home becomes the new user's; what is inside does not.
mkdir -p "$T/existing/sub"
touch "$T/existing/file"
run_state linux.user '{"username": "InstantForge4", "password": "instant", "groups": ["Dev"], "home": "'"$T"'/existing"}'
expect_state true true "User InstantForge4 created"
[ "$(stat -c %U "$T/existing")" = InstantForge4 ] || fail "the existing home was not given to the user"
[ "$(stat -c %U "$T/existing/file")" = root ] || fail "the home was chowned recursively"
[ "$(stat -c %U "$T/existing/sub")" = root ] || fail "the home was chowned recursively"
expect_line out "^$T/existing existed: owner set to InstantForge4\$"
expect_line err "the home directory $T/existing already exists"

# Absent home, groups and no-login leave an existing user alone (§D).
useradd -m -d /home/keep -s /bin/bash -G Ops keeper
run_state linux.user '{"username": "keeper", "password": ""}'
expect_state true false "User keeper is up to date"
run_state linux.user '{"username": "keeper", "password": "", "no-login": false}'
expect_state true false "User keeper is up to date"
[ "$(pw keeper)" = "keeper:x:$(id -u keeper):$(id -g keeper)::/home/keep:/bin/bash" ] || fail "passwd: $(pw keeper)"
[ "$(groups_of keeper)" = "Ops keeper " ] || fail "groups: $(groups_of keeper)"
# The primary group in `groups` is not a supplementary group of its own.
run_state linux.user '{"username": "keeper", "password": "", "groups": ["keeper", "Ops"]}'
expect_state true false "User keeper is up to date"

# A dry run of changes, then the changes.
cp /etc/passwd "$T/passwd.before"
cp /etc/group "$T/group.before"
change='{"username": "keeper", "password": "", "uid": "1500", "gid": "Ops", "home": "/home/$username",
  "fullname": "Keeper", "no-login": "yes", "groups": ["Dev"]}'
run_state linux.user "$change" dry
expect_state true true "would update user keeper: uid, gid, home, shell, fullname, groups"
cmp -s /etc/passwd "$T/passwd.before" || fail "the dry run changed /etc/passwd"
cmp -s /etc/group "$T/group.before" || fail "the dry run changed /etc/group"
run_state linux.user "$change"
expect_state true true "Updated user keeper: uid, gid, home, shell, fullname, groups"
expect_line out "^running: usermod -u 1500 -g 601 -G Dev -d /home/keeper -s /usr/sbin/nologin -c Keeper -- keeper\$"
[ "$(pw keeper)" = "keeper:x:1500:601:Keeper:/home/keeper:/usr/sbin/nologin" ] || fail "passwd: $(pw keeper)"
[ "$(groups_of keeper)" = "Dev Ops " ] || fail "groups: $(groups_of keeper)"
[ -d /home/keep ] && [ ! -e /home/keeper ] || fail "usermod -d moved the files"
run_state linux.user "$change"
expect_state true false "User keeper is up to date"

# `groups: []` removes every supplementary group; the primary stays.
run_state linux.user '{"username": "keeper", "password": "", "groups": []}'
expect_state true true "Updated user keeper: groups"
expect_line out "^running: usermod -G '' -- keeper\$"
[ "$(groups_of keeper)" = "Ops " ] || fail "groups: $(groups_of keeper)"
run_state linux.user '{"username": "keeper", "password": "", "groups": []}'
expect_state true false "User keeper is up to date"

# Refusals before anything is created.
cp /etc/passwd "$T/passwd.before"
run_state linux.user '{"username": "nobody2"}'
expect_state false false "missing required parameter 'password'"
run_state linux.user '{"password": "x"}'
expect_state false false "missing required parameter 'username'"
run_state linux.user '{"username": "nobody2", "password": "x", "groups": ["Dev", "nosuchgroup"]}'
expect_state false false "group nosuchgroup does not exist"
run_state linux.user '{"username": "nobody2", "password": "x", "gid": "4242"}'
expect_state false false "group 4242 does not exist"
run_state linux.user '{"username": "nobody2", "password": "x", "home": "home/$username"}'
expect_state false false "parameter 'home': 'home/\$username' is not an absolute path"
run_state linux.user '{"username": "nobody2", "password": "x", "fullname": "a:b"}'
expect_state false false "parameter 'fullname': must not contain ':' or control characters"
run_state linux.user '{"username": "nobody2", "password": "x", "uid": "-1"}'
expect_state false false "parameter 'uid': expected a whole number from 0 to 4294967294, got '-1'"
run_state linux.user '{"username": "--help", "password": "x"}'
expect_state false false "parameter 'username': '--help' is not a valid name"
run_state linux.user '{"username": "nobody2", "password": "x", "no-login": "perhaps"}'
expect_state_re false false "parameter 'no-login': expected a boolean.*"
cmp -s /etc/passwd "$T/passwd.before" || fail "a refused state changed /etc/passwd"

# The tools' own refusals: their messages in the output, the status in
# the comment.
run_state linux.user '{"username": "nobody2", "password": "x", "uid": "0"}'
expect_state false false "cannot create user nobody2: useradd exited with status 4"
expect_line err "useradd: UID 0 is not unique"
run_state linux.user '{"username": "keeper", "password": "", "uid": "0"}'
expect_state false false "cannot update user keeper (uid): usermod exited with status 4"
expect_line err "usermod: UID '0' already exists"

# Unknown parameters are warned about.
run_state linux.user '{"username": "keeper", "password": "", "shell": "/bin/zsh"}'
expect_state true false "User keeper is up to date"
expect_line out "^ignoring unknown parameter 'shell'$"
