#!/bin/bash
# linux.puppet.apply (modules.md §12) with Debian's real puppet on local
# manifests: the dry run (--noop) reports the change and makes none, the
# apply makes it (exit 2: changed), a second round changes nothing (exit
# 0), arguments become options, manifests run in order and the first
# failure stops the rest; bad parameters fail before puppet runs; puppet
# missing (dry run: would install it) and a pinned version that is not
# installed (the gem, recorded by a shim, fails). Root only, in a sandbox:
# puppet's own directories are tmpfs, /etc is a copy.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-cm.sh"
[ -x /usr/bin/puppet ] || { echo "SKIP: needs Debian's puppet"; exit 77; }
in_sandbox "$@"
sandbox_tmpfs /var/cache/puppet /var/log/puppet /var/lib/puppet /run/puppet
# augeas.version alone takes seconds: not a fact these manifests use.
mkdir -p /etc/facter
printf 'facts : {\n  blocklist : [ "augeas" ]\n}\n' >/etc/facter/facter.conf

M="$T/m.pp"
printf "file { '%s': content => \"hello\\\\n\", mode => '0640' }\n" "$T/out.txt" >"$M"
printf 'fail("boom from the manifest")\n' >"$T/bad.pp"
printf "file { '%s': content => \"3\" }\n" "$T/third.txt" >"$T/third.pp"

st linux.puppet.apply "{\"manifests\": [\"$M\"]}" dry
expect_state true true "$M: would change"
expect_line out "^\+ puppet apply --color=false --detailed-exitcodes --noop $M$"
[ ! -e "$T/out.txt" ] || fail "the dry run applied"
st linux.puppet.apply "{\"manifests\": \"$M\"}"
expect_rc 0
expect_state true true "$M: changes applied"
[ "$(cat "$T/out.txt")" = hello ] && [ "$(stat -c %a "$T/out.txt")" = 640 ] || fail "not applied"
# Again, with arguments: no change.
st linux.puppet.apply "{\"manifests\": [\"$M\"], \"arguments\": [{\"key\": \"tags\", \"value\": \"file\"}, {\"key\": \"--verbose\"}]}"
expect_state true false "$M: no changes"
expect_line out "^\+ puppet apply --color=false --detailed-exitcodes $M --tags=file --verbose$"
# In order; the first failure stops the rest.
st linux.puppet.apply "{\"manifests\": [\"$M\", \"$T/bad.pp\", \"$T/third.pp\"]}"
expect_rc 1
expect_state_like false false "$M: no changes; $T/bad.pp: puppet apply exited with status 1: Error: .*boom from the manifest.*"
[ ! -e "$T/third.txt" ] || fail "ran past the failure"

# Parameters are checked before puppet runs.
st linux.puppet.apply '{"manifests": ["relative.pp"]}'
expect_state false false "manifest relative.pp is not an absolute path"
st linux.puppet.apply "{\"manifests\": [\"$T/none.pp\"]}"
expect_state false false "manifest $T/none.pp does not exist"
st linux.puppet.apply "{\"manifests\": [\"$M\"], \"arguments\": [{\"key\": \"a b\"}]}"
expect_state false false "parameter 'arguments': 'a b' is not an option name"
st linux.puppet.apply '{}'
expect_state false false "missing required parameter 'manifests'"

# A pinned version that is not the installed one: puppet from the gem
# (a shim here; rubygems.org is out of reach).
shim gem
replay gem 1 "ERROR:  Could not find a valid gem 'puppet' (= 3.7.3)"$'\n'
st linux.puppet.apply "{\"manifests\": [\"$M\"], \"version\": \"3.7.3\"}" dry
expect_state true true "would install puppet 3.7.3, then run puppet apply"
expect_line out "^would run: gem install puppet -v 3.7.3 --no-document$"
[ ! -s "$T/calls" ] || fail "the dry run ran gem: $(cat "$T/calls")"
st linux.puppet.apply "{\"manifests\": [\"$M\"], \"version\": \"3.7.3\"}"
expect_state false false "puppet is not installed and cannot be: gem install puppet exited with status 1"
expect_calls "gem install puppet -v 3.7.3 --no-document"
# The installed version pinned: nothing to install.
st linux.puppet.apply "{\"manifests\": [\"$M\"], \"version\": \"$(puppet --version | cut -d. -f1)\"}"
expect_state true false "$M: no changes"
[ ! -s "$T/calls" ] || fail "gem ran for the installed version"

# puppet missing: the dry run says it would install the package.
hide_tool /usr/bin/puppet
fake_apt_get 0 /usr/bin/puppet
st linux.puppet.apply "{\"manifests\": [\"$M\"]}" dry
expect_state true true "would install puppet, then run puppet apply"
expect_line out "^would install the package puppet \(for puppet\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
