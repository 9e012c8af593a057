#!/bin/bash
# linux.service on a SysV host (modules.md §4.1; PID 1 is not systemd here):
# dummy init scripts in the sandbox's private /etc/init.d, driven through
# `service`. A stopped service is started and checked after the pause, a
# running one is left alone (changed false), --dry-run starts nothing,
# every service of a state is attempted and named, unknown and failing
# services fail the state, `name` in all its shapes, invalid names, the
# init script run directly when `service` is missing, and a daemon that
# keeps the output pipe open does not hold the agent. systemd and Upstart
# are covered by test/unit/test_linux_service.c.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-services.sh"
in_sandbox "$@"

# init_script NAME START_BODY: a dummy /etc/init.d/NAME whose state is the
# file $T/NAME.status; every action is logged to $T/NAME.log.
init_script() {
    cat >"/etc/init.d/$1" <<EOF
#!/bin/sh
S=$T/$1
case "\$1" in
start) echo start >>\$S.log; $2 ;;
stop) echo stop >>\$S.log; rm -f \$S.status ;;
restart) echo restart >>\$S.log; touch \$S.status ;;
reload)
    if [ -e \$S.noreload ]; then echo "Usage: \$0 {start|stop|restart|status}"; exit 1; fi
    echo reload >>\$S.log ;;
status)
    if [ -e \$S.status ]; then echo "$1 is running"; exit 0; fi
    echo "$1 is not running"; exit 3 ;;
*) echo "Usage: \$0 {start|stop|restart|status}"; exit 1 ;;
esac
exit 0
EOF
    chmod 755 "/etc/init.d/$1"
}
# food starts a daemon that keeps the state's output open, like many do.
# shellcheck disable=SC2016 # $S is the init script's own variable
init_script food 'touch $S.status; sleep 300 &'
init_script broken 'true'
init_script badstart 'exit 1'

# log_is NAME TEXT: NAME.log, lines joined with spaces, is TEXT.
log_is() {
    [ "$(tr '\n' ' ' <"$T/$1.log" 2>/dev/null)" = "$2" ] || fail "$1.log: '$(tr '\n' ' ' <"$T/$1.log")', expected '$2'"
}

# A stopped service is started, then checked after the 2 s pause.
start=$(date +%s)
xs linux.service s1 '{"name": ["food"]}'
expect_rc 0
expect_result true true "food started"
[ $(($(date +%s) - start)) -ge 2 ] || fail "no pause between start and status check"
[ -e "$T/food.status" ] || fail "food not running"
log_is food "start "
expect_line out '^\+ service food start$'

# Running: nothing to do, nothing run but the status check.
xs linux.service s1 '{"name": ["food"]}'
expect_rc 0
expect_result true false "food already running"
log_is food "start "

# Dry run: says what it would do, starts nothing.
rm "$T/food.status"
xs linux.service s1 '{"name": ["food"]}' true
expect_rc 0
expect_result true true "would start food"
[ ! -e "$T/food.status" ] || fail "dry run started food"
log_is food "start "

# Every service is attempted, in order; the comment names each outcome.
xs linux.service s2 '{"name": ["nosuch", "food", "broken", "badstart"]}'
expect_rc 1
expect_result false true "service nosuch is not available; food started; broken failed to start; badstart failed to start (service exited with status 1)"
log_is food "start start "
log_is broken "start "
log_is badstart "start "

# `name` as the IDE sends it ({"key","value"} list), as an object, as a
# single string; all three mean the default action.
for p in '[{"key": "food", "value": ""}]' '{"food": null}' '"food"'; do
    xs linux.service s3 '{"name": '"$p"'}'
    expect_rc 0
    expect_result true false "food already running"
done

# Invalid names never reach the file system or the tools.
for n in '../food' '-h' 'a b' '.food'; do
    xs linux.service s4 '{"name": ["'"$n"'"]}'
    expect_rc 1
    expect_result false false "parameter 'name': '$n' is not a valid service name"
done
xs linux.service s4 '{}'
expect_rc 1
expect_result false false "missing required parameter 'name'"
xs linux.service s4 '{"name": []}'
expect_rc 1
expect_result false false "missing required parameter 'name'"
xs linux.service s4 '{"name": ["food"], "colour": "blue"}'
expect_rc 0
expect_line out "^ignoring unknown parameter 'colour'$"

# Without the `service` command the init script is run directly.
mount --bind /dev/null /usr/sbin/service
rm "$T/food.status"
xs linux.service s5 '{"name": ["food"]}'
umount /usr/sbin/service
expect_rc 0
expect_result true true "food started"
expect_line out '^\+ /etc/init\.d/food start$'
log_is food "start start start "

# Through `once`: the daemon left holding the output pipe does not make
# the agent wait for it.
rm "$T/food.status"
recipe r '[{"id": "svc", "module": "linux.service", "parameter": {"name": ["food"]}}]'
start=$(date +%s)
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "food started" ] || fail "once: $(json_field 1 state_comment)"
[ $(($(date +%s) - start)) -lt 30 ] || fail "once waited for the daemon"
agent once "$T/r.json"
expect_rc 0
expect_line out '^\[1/1\] svc linux\.service ok [0-9]+ ms: food already running$'
