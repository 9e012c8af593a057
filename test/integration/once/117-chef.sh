#!/bin/bash
# linux.chef.solo and linux.chef.client (modules.md §12): chef is not
# packaged in Debian 12, so chef-solo and chef-client are recording shims
# that answer --version and replay a run's output. The exact argv is
# checked (-c, -r, -o or the reference's override_runlist, --server,
# --client_key, --config, arguments, --why-run in a dry run); `changed`
# comes from chef's summary line; a failure's comment quotes chef's FATAL
# line. Chef missing, or at another version: Chef's installer is fetched
# over https, which cannot be reached here: the state fails and says so.
# Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-cm.sh"
in_sandbox "$@"
shim chef-solo chef-client
V=$'Chef Infra Client: 18.2.7\n'

printf '%s' "$V" >"$T/shim/chef-solo.out.1"
replay chef-solo 0 $'Starting Chef Infra Client, version 18.2.7\nRecipe: app::default\n  * file[/etc/app.conf] action create (up to date)\nChef Infra Client finished, 0/4 resources updated in 02 seconds\n'
st linux.chef.solo '{"config": "/etc/chef/solo.rb", "recipe_url": "http://example.org/r.tgz", "override-runlist": "recipe[app]"}'
expect_rc 0
expect_state true false "chef-solo: 0/4 resources updated"
expect_calls "chef-solo --version
chef-solo --no-color -c /etc/chef/solo.rb -r http://example.org/r.tgz -o recipe[app]"
expect_line out "^Chef Infra Client finished, 0/4 resources updated"

printf '%s' "$V" >"$T/shim/chef-solo.out.1"
replay chef-solo 0 $'Chef Infra Client finished, 3/4 resources updated in 05 seconds\n'
st linux.chef.solo '{"override_runlist": "recipe[app]", "arguments": [{"key": "log_level", "value": "warn"}, {"key": "no-fork"}], "version": "18"}'
expect_state true true "chef-solo: 3/4 resources updated"
expect_calls "chef-solo --version
chef-solo --no-color -o recipe[app] --log_level=warn --no-fork"

printf '%s' "$V" >"$T/shim/chef-solo.out.1"
replay chef-solo 0 $'Chef Infra Client finished, 2/4 resources would have been updated\n'
st linux.chef.solo '{"config": "/etc/chef/solo.rb"}' dry
expect_state true true "chef-solo: 2/4 resources would be updated (why-run)"
expect_calls "chef-solo --version
chef-solo --no-color -c /etc/chef/solo.rb --why-run"

printf '%s' "$V" >"$T/shim/chef-solo.out.1"
replay chef-solo 1 $'[2024-01-01T00:00:00+00:00] FATAL: Stacktrace dumped to /var/chef/cache/chef-stacktrace.out\n[2024-01-01T00:00:00+00:00] FATAL: Please provide the contents of the stacktrace.out file if you file a bug report\n[2024-01-01T00:00:00+00:00] FATAL: Chef::Exceptions::CookbookNotFound: Cookbook app not found.\n'
st linux.chef.solo '{}'
expect_rc 1
expect_state false false "chef-solo exited with status 1: Chef::Exceptions::CookbookNotFound: Cookbook app not found."
: >"$T/calls"

printf '%s' "$V" >"$T/shim/chef-client.out.1"
replay chef-client 0 $'Chef Infra Client finished, 1/9 resources updated in 04 seconds\n'
st linux.chef.client '{"server": "https://chef.example.org/organizations/o", "client_key": "/etc/chef/client.pem", "config": "/etc/chef/client.rb", "arguments": {"environment": "prod"}}'
expect_state true true "chef-client: 1/9 resources updated"
expect_calls "chef-client --version
chef-client --no-color --server https://chef.example.org/organizations/o --client_key /etc/chef/client.pem --config /etc/chef/client.rb --environment=prod"

# Another version wanted: the installer is needed, and cannot be fetched here.
printf '%s' "$V" >"$T/shim/chef-client.out.1"
st linux.chef.client '{"server": "https://chef.example.org", "version": "12.0.1"}' dry
expect_state true true "would install chef 12.0.1, then run chef-client"
expect_line out "^would download https://omnitruck.chef.io/install.sh and run it with -v 12.0.1$"
expect_calls "chef-client --version"
printf '%s' "$V" >"$T/shim/chef-client.out.1"
st linux.chef.client '{"server": "https://chef.example.org", "version": "12.0.1"}'
expect_rc 1
expect_state_like false true "chef 12.0.1 cannot be installed: .*"
expect_calls "chef-client --version"
# Not installed at all.
rm /usr/local/bin/chef-solo
st linux.chef.solo '{}' dry
expect_state true true "would install chef, then run chef-solo"
st linux.chef.solo '{}'
expect_state_like false true "chef cannot be installed: .*"

# Bad parameters fail before chef runs.
st linux.chef.client '{}'
expect_state false false "missing required parameter 'server'"
st linux.chef.client '{"server": "https://x", "client_key": "client.pem"}'
expect_state false false "parameter 'client_key': 'client.pem' is not an absolute path"
st linux.chef.solo '{"config": "solo.rb"}'
expect_state false false "parameter 'config': 'solo.rb' is not an absolute path"
st linux.chef.solo '{"override-runlist": "-x"}'
expect_state false false "parameter 'override-runlist': '-x' is not a valid value"
[ ! -s "$T/calls" ] || fail "chef ran on bad parameters: $(cat "$T/calls")"
