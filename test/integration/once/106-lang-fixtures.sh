#!/bin/bash
# The original authors' recipes that use common.gem.package and
# common.virtualenv (basic/, complex/, combo/combo.11-12), replayed state by
# state (lib-lang.sh's replay) and each result checked against its `_`
# note; then replayed again: nothing changes. Paths move under the test's
# directory. rubygems.org and PyPI are out of reach, so the gems and the
# Python package they name (a2ws, abcd, pysa) are stand-ins built here,
# under the same names, in a file: gem source and a wheel directory. The
# linux.apt.package states run the real apt-get on a private dpkg database
# with no sources (lib-pkg.sh). Where this host cannot give the note's
# result, the reason is stated below and that result is asserted: Debian 12
# has no Python 2, which ten of the virtualenv recipe's states assume; two
# states build Python from python.org's sources and are not run. The
# linux.apt.ppa and common.npm.package fixtures are in 105 and 102.
# ctest-timeout: 300
# Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-pkg.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
pkg_sandbox
gem_sandbox
venv_sandbox
mkgem a2ws 1.0
mkgem abcd 0.1
wheel pysa 1.0
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"
F="$OA_SOURCE_DIR/test/fixtures/visualops-recipes"

# run NAME FILE [HERE]: replays FILE into $T/NAME.out, shown in the log.
run() {
    replay "$2" "${3:-}" >"$T/out" 2>"$T/err" || fail "$2: a result contradicts its note"
    no_sanitizer_report
    cp "$T/out" "$T/$1.out"
    cat "$T/out"
}
# line NAME N: the replay line of state N.
line() { sed -n "$2p" "$T/$1.out"; }
expect_replay() { [[ "$(line "$1" "$2")" =~ ^$3$ ]] || fail "$1 state $2: '$(line "$1" "$2")', expected '$3'"; }

# common.gem.package: yum is refused on Debian, the apt package rubygems
# (a name ruby provides) is not installed under that name (either is fine:
# True|False), the gem is installed; again: nothing changes.
run gem "$F/complex/common.gem.package.complex.json"
expect_replay gem 1 "ok    1 linux.yum.package +False False \(note True\|False\): module linux.yum.package is not available on Debian.*"
expect_replay gem 3 "ok    3 common.gem.package +True +True +\(note True\): installed a2ws 1.0"
[ "$(gem_versions a2ws)" = 1.0 ] || fail "a2ws: $(gem_versions a2ws)"
run gem2 "$F/complex/common.gem.package.complex.json"
expect_replay gem2 3 "ok    3 common.gem.package +True +False +\(note True\): a2ws 1.0 is installed, no changes"
for f in combo/combo.11.json combo/combo.12.json; do
    run combo "$F/$f"
    expect_replay combo 2 "ok    2 common.gem.package +True +False +\(note any\): a2ws 1.0 is installed, no changes"
done
run abcd "$F/basic/common.gem.package.json"
expect_replay abcd 1 "ok    1 common.gem.package +True +True +\(note any\): installed abcd 0.1"

# common.virtualenv.
no_py2='[false, "Debian 12 has no Python 2"]'
no_env='[false, "the environment above could not be made: Debian 12 has no Python 2"]'
HERE="{\"6\": [null, \"builds Python 2.7 from python.org's sources (yum hosts)\"],
  \"7\": $no_py2,
  \"8\": [null, \"builds Python 3.4 from python.org's sources (yum hosts)\"],
  \"16\": [true, \"the recipe's command runs virtualenv4 (system site packages), where virtualenv5 was meant; checked below\"],
  \"19\": $no_py2, \"20\": $no_env, \"21\": $no_py2, \"23\": $no_py2, \"24\": $no_env,
  \"25\": $no_py2, \"27\": $no_py2, \"28\": $no_env}"
run venv "$F/complex/common.virtualenv.complex.json" "$HERE"
expect_replay venv 2 "ok    2 common.pip.package +True +False +\(note True\): virtualenv .* is installed, no changes"
expect_replay venv 3 "ok    3 common.virtualenv +False False \(note False\): the parent directory $T/test of $T/test/virtualenvtest does not exist"
expect_replay venv 5 "ok    5 common.virtualenv +True +True +\(note True\): created virtualenv $T/test/virtualenv1"
expect_replay venv 7 "ok    7 common.virtualenv +False False \(note True, here False: .*\): virtualenv exited with status 1: FileNotFoundError: .*'/usr/bin/python2.6'"
expect_replay venv 10 "ok   10 common.virtualenv +True +True +\(note True\): created virtualenv $T/test/virtualenv3"
expect_replay venv 11 "ok   11 common.pip.package +True +True +\(note True\|False\): installed pysa 1.0"
expect_replay venv 14 "ok   14 linux.cmd .*"
[ "$(venv_cfg "$T/test/virtualenv4" include-system-site-packages)" = true ] || fail "virtualenv4"
[ "$(venv_cfg "$T/test/virtualenv5" include-system-site-packages)" = false ] || fail "virtualenv5"
# What state 16 meant: pysa (system-wide) is not seen from virtualenv5.
if "$T/test/virtualenv5/bin/python" "$T/p.py" 2>/dev/null; then fail "virtualenv5 sees pysa"; fi
expect_replay venv 17 "ok   17 common.virtualenv +True +True +\(note True\): created virtualenv $T/test/virtualenv6"
grep -q "^ignoring unknown parameter 'python'$" "$T/err" || fail "the unknown key python was not reported"
grep -c '^skip' "$T/venv.out" | grep -qx 2 || fail "expected two skipped states"
# The basic recipe makes the environment state 3 could not make.
run basic "$F/basic/common.virtualenv.json"
expect_replay basic 1 "ok    1 common.virtualenv +True +True +\(note any\): created virtualenv $T/test/virtualenvtest"
# Again: every environment is there, nothing changes.
HERE="${HERE%\}}, \"3\": [true, \"the basic recipe made it since\"]}"
run venv2 "$F/complex/common.virtualenv.complex.json" "$HERE"
for n in 3 5 10 13 15 17; do
    expect_replay venv2 $n "ok +$n common.virtualenv +True +False +\(note [A-Za-z]+(, here True: .*)?\): virtualenv $T/test/virtualenv[a-z0-9]+ exists, no changes"
done
expect_replay venv2 11 "ok   11 common.pip.package +True +False +\(note True\|False\): pysa 1.0 is installed, no changes"
echo ok
