#!/bin/bash
# linux.supervisord (modules.md §4.2) with Debian's supervisor: a config and
# dummy programs in the test's directory, supervisord started by the module
# inside the sandbox's pid namespace (it dies with it). The daemon start
# (and --dry-run before it), programs and groups starting, all running
# (changed false), a watched file restarting them (and --dry-run of that),
# a stopped program started. 044 covers the config watch and failures.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-services.sh"
sv_require
in_sandbox "$@"
sv_setup

watched="$T/app.conf"
echo one >"$watched"
P='{"config": "'"$conf"'", "name": ["foo", "grp"], "watch": ["'"$watched"'"]}'
c=$(re_quote "$conf")
w=$(re_quote "$watched")

# Dry run with no daemon: nothing is started.
xs linux.supervisord s "$P" true
expect_rc 0
expect_result true true "first sighting of $watched: would start supervisord with $conf, then the programs"
[ ! -e "$sv/sock" ] || fail "dry run started supervisord"

# The daemon is started, its programs with it. The watch's first sighting
# restarts nothing: they started with the file as it is.
xs linux.supervisord s "$P"
expect_rc 0
expect_result_like true true "first sighting of $w: supervisord started with $c; foo start(ing|ed); grp start(ing|ed)"
expect_line out "^\+ supervisord -c $c$"
expect_no_line out "restart"
sv_wait_running foo grp:a grp:b
pid=$(cat "$sv/foo.pid")

# Everything running: no change.
xs linux.supervisord s "$P"
expect_rc 0
expect_result true false "foo already running; grp already running"
[ "$(cat "$sv/foo.pid")" = "$pid" ] || fail "foo was restarted"

# A watched file changes: a dry run restarts nothing, the real run restarts
# the program and the whole group.
echo two >"$watched"
xs linux.supervisord s "$P" true
expect_rc 0
expect_result true true "$watched changed: would restart foo; would restart grp"
[ "$(cat "$sv/foo.pid")" = "$pid" ] || fail "dry run restarted foo"
a_pid=$(cat "$sv/a.pid")
xs linux.supervisord s "$P"
expect_rc 0
expect_result true true "$watched changed: foo restarted; grp restarted"
expect_line out '^\+ supervisorctl restart grp:\*$'
[ "$(cat "$sv/foo.pid")" != "$pid" ] || fail "foo was not restarted"
[ "$(cat "$sv/a.pid")" != "$a_pid" ] || fail "grp:a was not restarted"
xs linux.supervisord s "$P"
expect_result true false "foo already running; grp already running"

# A stopped program is started; `name` as a single string.
sv_ctl stop foo >/dev/null
xs linux.supervisord s '{"config": "'"$conf"'", "name": "foo"}'
expect_rc 0
expect_result true true "foo started"
sv_ctl status foo | grep -q ' RUNNING ' || fail "foo not running"

# The daemon is gone (killed, or the host rebooted): started again.
sv_ctl shutdown >/dev/null
xs linux.supervisord s '{"config": "'"$conf"'", "name": ["foo"]}'
expect_rc 0
expect_result_like true true "supervisord started with $c; foo start(ing|ed)"
