#!/bin/bash
# linux.puppet.run and linux.puppet.agent (modules.md §12): no puppet
# server can run here, so puppet is a recording shim that answers
# --version and replays an agent run's output and detailed exit code. The
# exact argv is checked: the fixed options (Puppet 4 and later:
# --no-use_cached_catalog; Puppet 3: --ignorecache), --server, --noop in a
# dry run, the arguments; exit 0 (no changes), 2 (changes), 4 and 1
# (failures, with puppet's Error: line in the comment). Root only, in a
# sandbox (the shim lives in a tmpfs /usr/local/bin).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-cm.sh"
in_sandbox "$@"
shim puppet
printf '7.23.0\n' >"$T/shim/puppet.out.1"
FIXED="--onetime --no-daemonize --verbose --no-use_cached_catalog --no-usecacheonfailure --no-splay --show_diff --detailed-exitcodes --color=false"

replay puppet 0 $'Info: Using environment \'production\'\nInfo: Applying configuration version \'1700000000\'\nNotice: Applied catalog in 0.02 seconds\n'
st linux.puppet.run '{}'
expect_rc 0
expect_state true false "puppet agent run: no changes"
expect_calls "puppet --version
puppet agent $FIXED"
expect_line out "^Notice: Applied catalog in 0.02 seconds$"

printf '7.23.0\n' >"$T/shim/puppet.out.1"
replay puppet 2 $'Notice: /Stage[main]/Main/File[/etc/motd]/content: content changed\nNotice: Applied catalog in 0.05 seconds\n'
st linux.puppet.run '{"arguments": [{"key": "tags", "value": "motd"}, {"key": "debug", "value": ""}]}'
expect_state true true "puppet agent run: changes applied"
expect_calls "puppet --version
puppet agent $FIXED --tags=motd --debug"

printf '7.23.0\n' >"$T/shim/puppet.out.1"
st linux.puppet.run '{}' dry
expect_state true true "puppet agent run: would change"
expect_calls "puppet --version
puppet agent $FIXED --noop"

printf '7.23.0\n' >"$T/shim/puppet.out.1"
# Puppet prints its errors on stderr, the rest on stdout.
replay puppet 4 $'Notice: Applied catalog in 0.03 seconds\n' \
    $'Error: /Stage[main]/Main/Service[app]: Could not evaluate: Could not find init script for \'app\'\n'
st linux.puppet.agent '{"server": "puppet.example.org"}'
expect_rc 1
expect_state false false "puppet agent run failed: puppet agent exited with status 4: Error: /Stage[main]/Main/Service[app]: Could not evaluate: Could not find init script for 'app'"
expect_calls "puppet --version
puppet agent $FIXED --server=puppet.example.org"

printf '7.23.0\n' >"$T/shim/puppet.out.1"
replay puppet 1 $'Exiting; failed to retrieve certificate and waitforcert is disabled\n' \
    $'Error: Could not request certificate: Failed to open TCP connection to puppet.example.org:8140\n'
st linux.puppet.agent '{"server": "puppet.example.org"}'
expect_state false false "puppet agent run failed: puppet agent exited with status 1: Error: Could not request certificate: Failed to open TCP connection to puppet.example.org:8140"
: >"$T/calls"

# Puppet 3 had --ignorecache, removed in Puppet 4.
printf '3.7.3\n' >"$T/shim/puppet.out.1"
replay puppet 0 $'Notice: Finished catalog run in 0.04 seconds\n'
st linux.puppet.agent '{"server": "10.0.0.5"}'
expect_state true false "puppet agent run against 10.0.0.5: no changes"
expect_line out "^warning: server 10.0.0.5 is an address"
expect_calls "puppet --version
puppet agent --onetime --no-daemonize --verbose --ignorecache --no-usecacheonfailure --no-splay --show_diff --detailed-exitcodes --color=false --server=10.0.0.5"

st linux.puppet.agent '{}'
expect_state false false "missing required parameter 'server'"
st linux.puppet.agent '{"server": "--evil"}'
expect_state false false "parameter 'server': '--evil' is not a host name"
[ ! -s "$T/calls" ] || fail "puppet ran on bad parameters"
