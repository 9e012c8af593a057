#!/bin/bash
# linux.user passwords (modules.md §7.2, §D): plain text is hashed with
# SHA-512 crypt and a random salt, and compared (not rehashed) on later
# rounds, also against an MD5-crypt hash left by the original agent; a value
# in crypt format is set as it is; "" leaves the password alone; a locked
# account gets the password; a dry run changes nothing; the password and the
# hash never appear in a comment or in the output. Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-accounts.sh"
in_sandbox "$@"
sandbox_tmpfs /home

hash_of() { getent shadow "$1" | cut -d: -f2; }
# no_secret SECRET...: none of them in the result, the output or stderr.
no_secret() {
    for s in "$@"; do
        if grep -qF -- "$s" "$T/result" "$T/out" "$T/err"; then fail "'$s' leaked"; fi
    done
}
# hash_is_of HASH PLAIN: HASH is PLAIN hashed with HASH's own salt.
hash_is_of() {
    local salt
    salt=$(echo "$1" | cut -d'$' -f3)
    [ "$(openssl passwd -6 -salt "$salt" "$2")" = "$1" ] || fail "$1 is not the hash of $2"
}

# Plain text: a SHA-512 hash with a 16-character salt.
run_state linux.user '{"username": "alice", "password": "S3cret pass"}'
expect_state true true "User alice created"
no_secret "S3cret" "$(hash_of alice)"
h1=$(hash_of alice)
[[ "$h1" =~ ^\$6\$[./0-9A-Za-z]{16}\$ ]] || fail "hash $h1"
hash_is_of "$h1" "S3cret pass"

# The same plain text: compared, not rehashed.
run_state linux.user '{"username": "alice", "password": "S3cret pass"}'
expect_state true false "User alice is up to date"
[ "$(hash_of alice)" = "$h1" ] || fail "the hash was rewritten"

# Another plain text: dry run first, then a new hash.
run_state linux.user '{"username": "alice", "password": "other"}' dry
expect_state true true "would update user alice: password"
[ "$(hash_of alice)" = "$h1" ] || fail "the dry run changed the hash"
run_state linux.user '{"username": "alice", "password": "other"}'
expect_state true true "Updated user alice: password"
expect_line out '^running: usermod -p \*\*\* -- alice$'
no_secret "other" "$(hash_of alice)"
h2=$(hash_of alice)
[ "$h2" != "$h1" ] || fail "the hash did not change"
hash_is_of "$h2" other

# A hash made by the original agent (MD5-crypt of the same plain text) is
# accepted as it is: plain text is compared with crypt(3), whatever the
# method.
md5='$1$saltsalt$zF0nWjVpC2O1eKmLAxuep/'
usermod -p "$md5" alice
run_state linux.user '{"username": "alice", "password": "instant"}'
expect_state true false "User alice is up to date"
[ "$(hash_of alice)" = "$md5" ] || fail "the MD5 hash was replaced"

# A value in crypt format is set as it is, and then matches.
sha=$(openssl passwd -6 -salt abcdefgh12345678 hashed-pass)
run_state linux.user "{\"username\": \"alice\", \"password\": \"$sha\"}"
expect_state true true "Updated user alice: password"
[ "$(hash_of alice)" = "$sha" ] || fail "hash $(hash_of alice), expected $sha"
no_secret "$sha"
run_state linux.user "{\"username\": \"alice\", \"password\": \"$sha\"}"
expect_state true false "User alice is up to date"
# The plain text of that hash also matches it.
run_state linux.user '{"username": "alice", "password": "hashed-pass"}'
expect_state true false "User alice is up to date"

# At creation, a hash is set as it is too.
run_state linux.user "{\"username\": \"bob\", \"password\": \"$md5\"}"
expect_state true true "User bob created"
[ "$(hash_of bob)" = "$md5" ] || fail "bob's hash: $(hash_of bob)"
no_secret "$md5"

# "" does not manage the password: a new user is locked, an existing one
# keeps its password.
run_state linux.user '{"username": "carol", "password": ""}'
expect_state true true "User carol created"
[ "$(hash_of carol)" = "!" ] || fail "carol's hash: $(hash_of carol)"
run_state linux.user '{"username": "bob", "password": ""}'
expect_state true false "User bob is up to date"
[ "$(hash_of bob)" = "$md5" ] || fail "bob's hash changed"

# A locked account gets the password.
run_state linux.user '{"username": "carol", "password": "instant"}'
expect_state true true "Updated user carol: password"
hash_is_of "$(hash_of carol)" instant

# The password together with other changes.
run_state linux.user '{"username": "carol", "password": "new one", "fullname": "Carol"}'
expect_state true true "Updated user carol: fullname, password"
expect_line out "^running: usermod -c Carol -p \\*\\*\\* -- carol\$"
no_secret "new one" "$(hash_of carol)"
