#!/bin/bash
# common.virtualenv (modules.md §6.4) with Debian's virtualenv. PyPI is out
# of reach: the requirements come from tiny wheels built here
# (lib-sources.sh), which pip finds through PIP_FIND_LINKS and PIP_NO_INDEX
# (passed on to pip, §6.1). Covers: created, kept (never recreated when
# the options change), dry runs, python-bin, system-site-packages (absent
# → false), extra-search-dir (a stand-in seed wheel that virtualenv picks
# up), requirements-file (installed, nothing to do, upgraded, a dry run
# asking pip), failures (missing parent, missing interpreter, missing
# requirements file, a requirement no source has, bad paths), the unknown
# key `python` (§I), and virtualenv installed when missing (§1.6; an
# apt-get stand-in).
# ctest-timeout: 240
# Root only, in a sandbox: tmpfs over pip's and virtualenv's data.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
venv_sandbox
wheel oa-tiny 1.0
wheel oa-tiny 1.1
wheel oa-req 2.0
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"
V="$T/envs"
mkdir -p "$V"
ve() { printf '{"path": "%s"%s}' "$1" "${2:+, $2}"; }

# Created once; a dry run creates nothing; absent system-site-packages is
# false (module.json says true, Salt said false).
st common.virtualenv "$(ve "$V/a")" dry
expect_state true true "would create virtualenv $V/a"
[ ! -e "$V/a" ] || fail "the dry run created $V/a"
st common.virtualenv "$(ve "$V/a")"
expect_rc 0
expect_state true true "created virtualenv $V/a"
expect_line out "creator CPython3Posix\(dest=$V/a, .*global=False\)$"
[ -x "$V/a/bin/python" ] && [ -x "$V/a/bin/pip" ] || fail "no python or pip in $V/a"
[ "$(venv_cfg "$V/a" include-system-site-packages)" = false ] || fail "system site packages"
st common.virtualenv "$(ve "$V/a")"
expect_state true false "virtualenv $V/a exists, no changes"
expect_lines out 0
# A trailing slash is the same path; changed options do not recreate it.
st common.virtualenv "$(ve "$V/a/" '"system-site-packages": true, "python-bin": "/usr/bin/python3"')"
expect_state true false "virtualenv $V/a exists, no changes"
[ "$(venv_cfg "$V/a" include-system-site-packages)" = false ] || fail "recreated"
# The fixtures' `python` is not a parameter (§I): said, then ignored.
st common.virtualenv "$(ve "$V/a" '"python": "/usr/bin/python2.7"')"
expect_state true false "virtualenv $V/a exists, no changes"
expect_line out "^ignoring unknown parameter 'python'$"

# python-bin, system-site-packages ("yes", §1.1) and extra-search-dir: a
# newer stand-in of the seed wheel `wheel` in the first directory.
mkdir -p "$T/seed" "$T/empty"
(cd "$T" && mv wheels wheels.keep && wheel wheel 99.0 && mv wheels/* seed/ && rmdir wheels &&
    mv wheels.keep wheels)
st common.virtualenv "$(ve "$V/b" "\"python-bin\": \"/usr/bin/python3\", \"system-site-packages\": \"yes\", \"extra-search-dir\": [\"$T/seed\", \"$T/empty\"]")"
expect_state true true "created virtualenv $V/b"
expect_line out "creator CPython3Posix\(dest=$V/b, .*global=True\)$"
expect_line out "seeder FromAppData\(extra_search_dir=$T/seed, $T/empty,"
expect_line out "added seed packages: .*wheel==99\.0"
[ "$(venv_cfg "$V/b" include-system-site-packages)" = true ] || fail "no system site packages"
[ "$(venv_cfg "$V/b" base-executable)" = /usr/bin/python3 ] || fail "interpreter: $(cat "$V/b/pyvenv.cfg")"
ls "$V"/b/lib/python3*/site-packages/wheel-99.0.dist-info >/dev/null || fail "the seed wheel was not used"

# requirements-file: installed with the environment's pip, every round;
# changed only when pip freeze differs.
printf 'oa-tiny==1.0\noa-req\n' >"$T/req.txt"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")" dry
expect_state true true "would create virtualenv $V/c, then pip install -r $T/req.txt"
[ ! -e "$V/c" ] || fail "the dry run created $V/c"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")"
expect_state true true "created virtualenv $V/c; requirements from $T/req.txt: installed oa-req 2.0, installed oa-tiny 1.0"
expect_line out "^Successfully installed oa-req-2.0 oa-tiny-1.0$"
[ "$("$V/c/bin/python" -c 'import oa_tiny; print(oa_tiny.VERSION)')" = 1.0 ] || fail "oa_tiny in $V/c"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")"
expect_state true false "virtualenv $V/c exists; requirements from $T/req.txt: nothing changed, no changes"
printf 'oa-tiny==1.1\noa-req\n' >"$T/req.txt"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")" dry
expect_state true true "virtualenv $V/c exists; requirements from $T/req.txt: would install oa-tiny-1.1"
[ "$("$V/c/bin/python" -c 'import oa_tiny; print(oa_tiny.VERSION)')" = 1.0 ] || fail "the dry run upgraded"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")"
expect_state true true "virtualenv $V/c exists; requirements from $T/req.txt: oa-tiny 1.0 → 1.1"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/req.txt\"")" dry
expect_state true false "virtualenv $V/c exists; requirements from $T/req.txt: nothing to install, no changes"

# Failures: one line each, nothing left behind.
printf 'oa-nope\n' >"$T/nope.txt"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/nope.txt\"")"
expect_rc 1
expect_state false false "pip install exited with status 1: ERROR: Could not find a version that satisfies the requirement oa-nope (from versions: none)"
st common.virtualenv "$(ve "$V/c" "\"requirements-file\": \"$T/none.txt\"")"
expect_state false false "the requirements file $T/none.txt does not exist"
st common.virtualenv "$(ve "$V/missing/d")"
expect_state false false "the parent directory $V/missing of $V/missing/d does not exist"
st common.virtualenv "$(ve "$V/e" '"python-bin": "/usr/bin/python2.6"')"
expect_state false false "virtualenv exited with status 1: FileNotFoundError: [Errno 2] No such file or directory: '/usr/bin/python2.6'"
[ ! -e "$V/e" ] || fail "a failed virtualenv left $V/e"
st common.virtualenv "$(ve "envs/f")"
expect_state false false "parameter 'path': 'envs/f' is not an absolute path"
st common.virtualenv "$(ve "$V/f" '"requirements-file": "req.txt"')"
expect_state false false "parameter 'requirements-file': 'req.txt' is not an absolute path"
st common.virtualenv "$(ve "$V/f" '"python-bin": "--clear"')"
expect_state false false "parameter 'python-bin': '--clear' is not a program"
[ ! -e "$V/f" ] || fail "an invalid state created $V/f"

# virtualenv missing: its package is installed (a stand-in un-hides it).
hide_tool /usr/bin/virtualenv
fake_apt_get 0 /usr/bin/virtualenv
st common.virtualenv "$(ve "$V/h")" dry
expect_state true true "would create virtualenv $V/h"
expect_line out "^would install the package virtualenv \(for virtualenv\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
st common.virtualenv "$(ve "$V/h")"
expect_state true true "created virtualenv $V/h"
expect_line out "^installing the package virtualenv \(for virtualenv\)$"
grep -q 'install --no-install-recommends virtualenv$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
[ -x "$V/h/bin/python" ] || fail "$V/h not created"
# And when the package cannot be installed, the state fails saying so.
hide_tool /usr/bin/virtualenv
fake_apt_get 100
st common.virtualenv "$(ve "$V/i")"
expect_state false false "virtualenv is not installed and cannot be: apt-get install virtualenv exited with status 100"
[ ! -e "$V/i" ] || fail "$V/i created without virtualenv"
echo ok
