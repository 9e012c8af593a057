#!/bin/bash
# common.gem.package (modules.md §6.3). rubygems.org is out of reach, so the
# test builds tiny gems itself (gem build) into a file: source that
# /etc/gemrc names (gem's own configuration, as an offline host would set
# it). Covers: installed at a version and under a requirement (checked
# with gem list -i, no network), dry runs, ⚠ `latest` upgrading only when
# `gem outdated` lists the gem, removal of every version (refused, so
# failed, while another gem depends on it), a gem no source has, a recipe
# through `once`, and ruby installed when gem is missing (§1.6; an apt-get
# stand-in). The fixtures are replayed in 106.
# ctest-timeout: 240
# Root only, in a sandbox: gem writes into tmpfs mounts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
gem_sandbox
mkgem oa-tiny 1.0.0
mkgem oa-dep 1.0 oa-tiny
n() { printf '{"name": %s}' "$1"; }

st common.gem.package "$(n '{"oa-tiny": "1.0.0"}')" dry
expect_state true true "would install oa-tiny 1.0.0"
[ -z "$(gem_versions oa-tiny)" ] || fail "the dry run installed"
st common.gem.package "$(n '{"oa-tiny": "1.0.0"}')"
expect_rc 0
expect_state true true "installed oa-tiny 1.0.0"
expect_line out "^Successfully installed oa-tiny-1.0.0$"
[ "$(gem_versions oa-tiny)" = 1.0.0 ] || fail "gem list: $(gem_versions oa-tiny)"
[ -z "$(find /var/lib/gems -path '*/doc/oa-tiny-1.0.0')" ] || fail "documentation was generated"

# Satisfied: the same version written shorter, a requirement, any version.
st common.gem.package "$(n '[{"key": "oa-tiny", "value": "1.0"}]')"
expect_state true false "oa-tiny 1.0.0 is installed, no changes"
expect_lines out 0
st common.gem.package "$(n '{"oa-tiny": "~> 1.0"}')"
expect_state true false "oa-tiny 1.0.0 is installed, no changes"
st common.gem.package "$(n '[{"key": "oa-tiny"}]')"
expect_state true false "oa-tiny 1.0.0 is installed, no changes"

# latest: nothing newer, then 1.1.0 appears in the source.
st common.gem.package "$(n '{"oa-tiny": "latest"}')"
expect_state true false "oa-tiny 1.0.0 is the latest version, no changes"
mkgem oa-tiny 1.1.0
st common.gem.package "$(n '{"oa-tiny": "latest"}')" dry
expect_state true true "would upgrade oa-tiny 1.0.0 → 1.1.0"
st common.gem.package "$(n '{"oa-tiny": "latest"}')"
expect_state true true "upgraded oa-tiny 1.0.0 → 1.1.0"
[ "$(gem_versions oa-tiny)" = "1.1.0, 1.0.0" ] || fail "gem list: $(gem_versions oa-tiny)"
st common.gem.package "$(n '{"oa-tiny": "latest"}')"
expect_state true false "oa-tiny 1.1.0 is the latest version, no changes"

# A requirement no installed version meets: gem installs the best match.
st common.gem.package "$(n '{"oa-dep": ">= 1.0, < 2"}')"
expect_state true true "installed oa-dep 1.0"

# removed: every version; gem refuses the last one while oa-dep needs it.
st common.gem.package "$(n '{"oa-tiny": "removed"}')" dry
expect_state true true "would remove oa-tiny (now 1.1.0, 1.0.0)"
st common.gem.package "$(n '{"oa-tiny": "removed"}')"
expect_rc 1
expect_state false true "gem uninstall oa-tiny exited with status 1: ERROR:  While executing gem ... (Gem::DependencyRemovalException)"
expect_line out "Uninstallation aborted due to dependent gem"
[ "$(gem_versions oa-tiny)" = 1.1.0 ] || fail "gem list: $(gem_versions oa-tiny)"
st common.gem.package "$(n '[{"key": "oa-dep", "value": "removed"}, {"key": "oa-tiny", "value": "removed"}]')"
expect_state true true "removed oa-dep 1.0; removed oa-tiny 1.1.0"
[ -z "$(gem_versions oa-tiny)$(gem_versions oa-dep)" ] || fail "still installed"
st common.gem.package "$(n '{"oa-tiny": "removed"}')"
expect_state true false "oa-tiny is not installed, no changes"

# Unknown gems and invalid entries.
st common.gem.package "$(n '{"oa-nope": ""}')"
expect_state false false "gem install oa-nope exited with status 2: ERROR:  Could not find a valid gem 'oa-nope' (>= 0) in any repository"
st common.gem.package "$(n '{"oa nope": ""}')"
expect_state false false "parameter 'name': 'oa nope' is not a package name"
st common.gem.package "$(n '{"oa-tiny": "--source=http://x"}')"
expect_state false false "parameter 'name': '--source=http://x' is not a version of oa-tiny"

# Through `once`, whose children get a clean environment: gem's own
# /etc/gemrc still points it at the source.
recipe r '[{"id": "gem", "module": "common.gem.package", "parameter": {"name": [{"key": "oa-tiny", "value": "1.1.0"}]}}]'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "installed oa-tiny 1.1.0" ] || fail "once: $(json_field 1 state_comment)"
agent once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "oa-tiny 1.1.0 is installed, no changes" ] || fail "once again: $(json_field 1 state_comment)"

# gem missing: ruby is installed (a stand-in apt-get un-hides gem).
hide_tool "$(readlink -f "$(command -v gem)")"
fake_apt_get 0 "$(readlink -f "$(command -v gem)")"
st common.gem.package "$(n '{"oa-dep": ""}')" dry
expect_state true true "would install ruby, then gem install oa-dep"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
st common.gem.package "$(n '{"oa-dep": ""}')"
expect_state true true "installed oa-dep 1.0"
expect_line out "^installing the package ruby \(for gem\)$"
grep -q 'install --no-install-recommends ruby$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
echo ok
