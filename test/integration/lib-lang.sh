# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of common.npm.package, common.gem.package and
# common.virtualenv (once/100-104), sourced after lib.sh and lib-sources.sh
# (wheel, hide_tool, fake_apt_get). Everything a test installs goes into
# tmpfs mounts or private copies inside its sandbox.

# npm_sandbox: skips without npm or without the npm registry; a private
# copy of npm's global folder (/usr/lib/node_modules, where `npm -g`
# installs) and a tmpfs over its cache and logs (/root/.npm).
npm_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "npm_sandbox outside the sandbox"
    command -v npm >/dev/null || { echo "SKIP: needs npm"; exit 77; }
    local root
    root=$(npm root -g)
    sandbox_copy "$root"
    sandbox_tmpfs /root/.npm
    # The registry is the network: a host that cannot reach it skips.
    if ! timeout 60 npm view is-number@7.0.0 version >/dev/null 2>&1; then
        echo "SKIP: the npm registry cannot be reached"
        exit 77
    fi
}

# npm_version DIR NAME: the version of NAME installed in DIR/node_modules
# (read from its package.json, not through npm), or nothing.
npm_version() {
    $PY -c 'import json, sys
try:
    print(json.load(open(sys.argv[1] + "/node_modules/" + sys.argv[2] + "/package.json"))["version"])
except OSError:
    pass' "$1" "$2"
}

# gem_sandbox: skips without gem; tmpfs over where a system-wide gem
# install writes (Debian: /var/lib/gems, /usr/local/bin, ~/.gem,
# ~/.local/share/gem, ~/.cache), and /etc/gemrc pointing gem at $T/gems,
# a file: source (rubygems.org is out of reach) filled by mkgem.
gem_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "gem_sandbox outside the sandbox"
    command -v gem >/dev/null || { echo "SKIP: needs ruby (gem)"; exit 77; }
    sandbox_tmpfs /var/lib/gems /usr/local/bin /root/.gem /root/.local/share/gem /root/.cache
    mkdir -p "$T/gems/gems"
    printf -- '---\n:sources:\n- file://%s/gems/\n' "$T" >/etc/gemrc
}

# mkgem NAME VERSION [DEPENDENCY]: builds a gem with no files into the
# source and indexes it again.
mkgem() {
    mkdir -p "$T/gembuild"
    cat >"$T/gembuild/g.gemspec" <<SPEC
Gem::Specification.new do |s|
  s.name = "$1"
  s.version = "$2"
  s.summary = "opsagent test gem"
  s.authors = ["opsagent"]
  s.license = "Apache-2.0"
  s.files = []
  ${3:+s.add_runtime_dependency "$3"}
end
SPEC
    (cd "$T/gembuild" && gem build g.gemspec -o "$T/gems/gems/$1-$2.gem" >/dev/null 2>&1) ||
        fail "gem build $1 $2"
    gem generate_index -d "$T/gems" >/dev/null 2>&1 || fail "gem generate_index"
}

# gem_versions NAME: the installed versions of NAME as gem lists them
# ("1.1.0, 1.0.0"), or nothing.
gem_versions() {
    gem list --local "^$1\$" | sed -n "s/^$1 (\(.*\))\$/\1/p"
}
