#!/bin/bash
# linux.service watch actions (modules.md §4.1 step 4, §1.7) on a dummy
# SysV service in the sandbox: the first sighting counts as a change (a
# stopped service is started, a running one reloaded); an empty value
# reloads and restarts when the reload fails; "reload" and "restart" are
# keywords (⚠ §D); any other value is a shell command that runs even when
# the service is stopped and must exit 0; a failed action stores no sums,
# so the next round acts again; --dry-run acts on nothing and stores
# nothing; a vanished file fires once; `watch: true` fires every round.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-services.sh"
in_sandbox "$@"

cat >/etc/init.d/food <<EOF
#!/bin/sh
S=$T/food
case "\$1" in
start) echo start >>\$S.log; touch \$S.status ;;
stop) echo stop >>\$S.log; rm -f \$S.status ;;
restart) echo restart >>\$S.log; touch \$S.status ;;
reload)
    if [ -e \$S.noreload ]; then echo "Usage: \$0 {start|stop|restart|status}"; exit 1; fi
    echo reload >>\$S.log ;;
status) [ -e \$S.status ] ;;
*) exit 1 ;;
esac
EOF
chmod 755 /etc/init.d/food

# last_log ACTION COUNT: food.log has COUNT lines, the last one ACTION.
last_log() {
    local n
    n=$(wc -l <"$T/food.log")
    [ "$n" -eq "$2" ] && [ "$(tail -n 1 "$T/food.log")" = "$1" ] ||
        fail "food.log: $(tr '\n' ' ' <"$T/food.log"), expected $2 lines ending in $1"
}

conf="$T/food.conf"
other="$T/other.conf"
echo one >"$conf"
echo a >"$other"
P='{"name": ["food"], "watch": ["'"$conf"'", "'"$other"'"]}'

# First round, service stopped: the first sighting starts it (no reload).
xs linux.service w "$P"
expect_rc 0
expect_result true true "first sighting of $conf, first sighting of $other: food started"
last_log start 1
sum="$T/watch/w-${conf//\//-}.cksum"
[ "$(cat "$sum")" = "$(md5sum <"$conf" | cut -d' ' -f1)" ] || fail "sum of $conf not stored"

# Nothing changed.
xs linux.service w "$P"
expect_rc 0
expect_result true false "food already running"
last_log start 1

# A change reloads a running service.
echo two >"$conf"
xs linux.service w "$P"
expect_rc 0
expect_result true true "$conf changed: food reloaded"
last_log reload 2
xs linux.service w "$P"
expect_result true false "food already running"

# Dry run: says it, does nothing, stores nothing; the real round then acts.
echo three >"$conf"
xs linux.service w "$P" true
expect_rc 0
expect_result true true "$conf changed: would reload food"
last_log reload 2
xs linux.service w "$P"
expect_result true true "$conf changed: food reloaded"
last_log reload 3

# The reload fails: restart instead.
touch "$T/food.noreload"
echo four >"$conf"
xs linux.service w "$P"
expect_rc 0
expect_result true true "$conf changed: food restarted"
last_log restart 4
expect_line out '^reload of food exited with status 1; restarting it$'

# "reload" as the value: no restart; the state fails and keeps no sums, so
# the next round reloads again.
RP='{"name": [{"key": "food", "value": "reload"}], "watch": ["'"$conf"'", "'"$other"'"]}'
echo five >"$conf"
xs linux.service w "$RP"
expect_rc 1
expect_result false true "$conf changed: food: reload exited with status 1"
last_log restart 4
rm "$T/food.noreload"
xs linux.service w "$RP"
expect_rc 0
expect_result true true "$conf changed: food reloaded"
last_log reload 5

# "restart" as the value: straight to a restart.
echo six >"$other"
xs linux.service w '{"name": [{"key": "food", "value": "restart"}], "watch": ["'"$conf"'", "'"$other"'"]}'
expect_rc 0
expect_result true true "$other changed: food restarted"
last_log restart 6

# A custom command, run by /bin/sh.
CP='{"name": [{"key": "food", "value": "echo custom >>'"$T"'/food.log"}], "watch": ["'"$conf"'"]}'
echo seven >"$conf"
xs linux.service w "$CP"
expect_rc 0
expect_result true true "$conf changed: food: ran action command"
last_log custom 7

# It runs even when the service is stopped, and may start it.
rm "$T/food.status"
echo eight >"$conf"
xs linux.service w '{"name": {"food": "touch '"$T"'/food.status; echo custom-start >>'"$T"'/food.log"}, "watch": ["'"$conf"'"]}'
expect_rc 0
expect_result true true "$conf changed: food: ran action command"
last_log custom-start 8

# A failing command fails the state; one that leaves the service stopped too.
echo nine >"$conf"
xs linux.service w '{"name": {"food": "exit 3"}, "watch": ["'"$conf"'"]}'
expect_rc 1
expect_result false true "$conf changed: food: action command exited with status 3"
xs linux.service w '{"name": {"food": "rm '"$T"'/food.status"}, "watch": ["'"$conf"'"]}'
expect_rc 1
expect_result false true "$conf changed: food is not running after its action command"
touch "$T/food.status"

# A watched file that vanishes fires once.
rm "$other"
xs linux.service w "$P"
expect_rc 0
expect_result true true "$conf changed, $other vanished: food reloaded"
xs linux.service w "$P"
expect_result true false "food already running"

# watch: true (the complex fixture's form) fires on every round, with a warning.
for i in 1 2; do
    xs linux.service t '{"name": ["food"], "watch": true}'
    expect_rc 0
    expect_result true true "watch is true: food reloaded"
    expect_line out "^warning: 'watch' is true"
done

# Unusable watch parameters.
xs linux.service w '{"name": ["food"], "watch": ["food.conf"]}'
expect_rc 1
expect_result false false "parameter 'watch': 'food.conf' is not an absolute path"
xs linux.service w '{"name": ["food"], "watch": ["'"$T"'"]}'
expect_rc 1
grep -q 'not a regular file' "$T/result" || fail "directory watched: $(cat "$T/result")"
