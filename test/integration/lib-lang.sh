# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of common.npm.package, common.gem.package and
# common.virtualenv (once/100-105), sourced after lib.sh and lib-sources.sh
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
    local dep=""
    [ -z "${3:-}" ] || dep="s.add_runtime_dependency \"$3\""
    mkdir -p "$T/gembuild"
    cat >"$T/gembuild/g.gemspec" <<SPEC
Gem::Specification.new do |s|
  s.name = "$1"
  s.version = "$2"
  s.summary = "opsagent test gem"
  s.authors = ["opsagent"]
  s.license = "Apache-2.0"
  s.files = []
  $dep
end
SPEC
    if ! (cd "$T/gembuild" && gem build g.gemspec -o "$T/gems/gems/$1-$2.gem" >"$T/gembuild/log" 2>&1); then
        cat "$T/gembuild/log" >&2
        fail "gem build $1 $2"
    fi
    gem generate_index -d "$T/gems" >/dev/null 2>&1 || fail "gem generate_index"
}

# gem_versions NAME: the installed versions of NAME as gem lists them
# ("1.1.0, 1.0.0"), or nothing.
gem_versions() {
    gem list --local "^$1\$" | sed -n "s/^$1 (\(.*\))\$/\1/p"
}

# venv_sandbox: skips without Debian's virtualenv; pip_sandbox (tmpfs over
# what a system-wide pip install writes) and a tmpfs over virtualenv's app
# data (~/.local/share/virtualenv, where it unpacks its seed wheels).
venv_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "venv_sandbox outside the sandbox"
    [ -x /usr/bin/virtualenv ] || { echo "SKIP: needs virtualenv"; exit 77; }
    pip_sandbox
    sandbox_tmpfs /root/.local/share/virtualenv
}

# venv_cfg DIR KEY: a value of DIR/pyvenv.cfg ("include-system-site-packages").
venv_cfg() {
    sed -n "s/^$2 = //p" "$1/pyvenv.cfg"
}

# replay FILE [HERE]: runs every state of a fixture through exec-state, in
# order, whatever the one before returned (as the original harness did),
# with /tmp/test and /tmp/p.py moved under $T, and prints one line per
# state: "ok|BAD|skip N MODULE RESULT CHANGED (note N): COMMENT". A result
# must match its `_` note (True, False; True|False and no note: either).
# HERE is a JSON object {"N": [RESULT, "why"]} of states whose result on
# this host differs from the note, for the reason given; {"N": [null,
# "why"]} skips a state (one that would reach the internet). Exits 1 when
# a result contradicts its note or HERE.
replay() {
    /usr/bin/python3 - "$1" "$T" "$OPSAGENT" "${2:-{\}}" <<'PY'
import json, re, subprocess, sys
path, tmp, opsagent, here = sys.argv[1:]
here = json.loads(here)
states = json.load(open(path))["component"]["init"]["state"]
bad = 0
for i, s in enumerate(states, 1):
    m = re.search(r"- *(True\|False|True/False|True|False)\s*$", s.get("_", ""))
    note = m.group(1) if m else "any"
    want = note if note in ("True", "False") else None
    why = ""
    if str(i) in here:
        want, why = here[str(i)]
        if want is None:
            print("skip %2d %-18s (note %s): %s" % (i, s["module"], note, why))
            continue
        want, why = str(want), ", here %s: %s" % (want, why)
    text = json.dumps(s["parameter"]).replace("/tmp/test", tmp + "/test")
    text = text.replace("/tmp/p.py", tmp + "/p.py")
    req = {"id": s["id"], "module": s["module"], "parameter": json.loads(text),
           "dry_run": False, "watch_dir": None, "state_dir": tmp + "/state"}
    # Without fd 3 the result is the last line of stdout; the rest (and
    # stderr) goes to our stderr, where sanitizer reports are looked for.
    r = subprocess.run([opsagent, "exec-state"], input=json.dumps(req).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = r.stdout.decode(errors="replace").splitlines()
    sys.stderr.write("\n".join(lines[:-1] + [r.stderr.decode(errors="replace")]))
    res = json.loads(lines[-1])
    ok = want is None or want == str(res["result"])
    bad += not ok
    print("%s %2d %-18s %-5s %-5s (note %s%s): %s" % ("ok  " if ok else "BAD ", i, s["module"],
          res["result"], res["changed"], note, why, res["comment"]))
sys.exit(1 if bad else 0)
PY
}
