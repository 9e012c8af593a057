#!/bin/bash
# Watched files (modules.md §1.7) through the test.watch module, which only
# builds with tests have: a restart on the first sighting and after each
# change, "ensure" otherwise; a failed run stores no sums, so the next run
# restarts again; --dry-run reports "would restart" and stores nothing; a
# file vanishing or reappearing fires once; two states watching one file
# keep separate sums, in the original agent's file names, readable by md5sum.
. "$(dirname "$0")/../lib.sh"

conf="$T/etc/app.conf"
mkdir -p "$T/etc"
echo 'worker_processes 1;' >"$conf"
config c "[global]
state_dir = $T/state
runtime_dir = $T/run
watch = $T/state/watch"

# state ID EXTRA: one test.watch state watching $conf, logging to $T/log.ID.
state() {
    printf '{"id": "%s", "module": "test.watch", "parameter": {"watch": ["%s"], "action_log": "%s"%s}}' \
        "$1" "$conf" "$T/log.$1" "${2:-}"
}

# run RECIPE [ARGS...]: one `opsagent once --json` of recipe $T/RECIPE.json.
run() {
    local r=$1
    shift
    agent -c "$T/c.conf" once --json "$@" "$T/$r.json"
}

# expect STATE_INDEX COMMENT: the comment of the N-th state.
expect() {
    local got
    got=$(json_field "$1" state_comment)
    [ "$got" = "$2" ] || fail "state $1: comment '$got', expected '$2'"
}

# last_action ID ACTION COUNT: the action log of ID has COUNT lines, the last ACTION.
last_action() {
    [ "$(tail -n 1 "$T/log.$1")" = "$2" ] || fail "log.$1 ends with $(tail -n 1 "$T/log.$1"), expected $2"
    [ "$(wc -l <"$T/log.$1")" -eq "$3" ] || fail "log.$1 has $(wc -l <"$T/log.$1") lines, expected $3"
}

recipe web "[$(state web)]"
recipe web-fail "[$(state web ', "fail": true')]"

# 1: first sighting (tfirst by default) restarts; the sum is stored.
run web
expect_rc 0
expect 1 "restarted: first sighting of $conf"
last_action web restart 1
sum="$T/state/watch/web-${conf//\//-}.cksum"
[ -f "$sum" ] || fail "no sum file $sum: $(ls -A "$T/state/watch")"
[ "$(cat "$sum")" = "$(md5sum <"$conf" | cut -d' ' -f1)" ] || fail "the sum is not md5sum's"
[ "$(stat -c %a "$T/state/watch")" = 700 ] || fail "watch dir mode $(stat -c %a "$T/state/watch")"
[ "$(stat -c %a "$sum")" = 600 ] || fail "sum file mode $(stat -c %a "$sum")"

# 2: nothing changed.
run web
expect_rc 0
expect 1 "running, no change"
last_action web ensure 2

# 3, 4: an edit restarts once.
echo 'worker_processes 2;' >"$conf"
run web
expect 1 "restarted: $conf changed"
last_action web restart 3
run web
expect 1 "running, no change"
last_action web ensure 4

# A failed run after a change stores nothing: the next run restarts again.
echo 'worker_processes 3;' >"$conf"
run web-fail
expect_rc 1
expect 1 "restarted: $conf changed; failing as asked (fail: true)"
last_action web restart 5
run web
expect_rc 0
expect 1 "restarted: $conf changed"
last_action web restart 6
run web
expect 1 "running, no change"
last_action web ensure 7

# --dry-run reports and stores nothing (and does not act).
echo 'worker_processes 4;' >"$conf"
before=$(cat "$sum")
run web --dry-run
expect_rc 0
expect 1 "would restart: $conf changed"
last_action web ensure 7
[ "$(cat "$sum")" = "$before" ] || fail "the dry run stored a sum"
run web
expect 1 "restarted: $conf changed"
last_action web restart 8

# Vanishing and reappearing each fire once.
rm "$conf"
run web
expect 1 "restarted: $conf vanished"
run web
expect 1 "running, no change"
echo 'worker_processes 4;' >"$conf"
run web
expect 1 "restarted: $conf appeared"
run web
expect 1 "running, no change"

# Two states on one file: separate sums.
recipe both "[$(state one), $(state two)]"
recipe one "[$(state one)]"
run both
expect 1 "restarted: first sighting of $conf"
expect 2 "restarted: first sighting of $conf"
echo 'worker_processes 5;' >"$conf"
run one
expect 1 "restarted: $conf changed"
run both
expect 1 "running, no change"
expect 2 "restarted: $conf changed"
last_action one ensure 3
last_action two restart 2
for id in one two; do
    [ -f "$T/state/watch/$id-${conf//\//-}.cksum" ] || fail "no sum file for $id: $(ls -A "$T/state/watch")"
done

# `watch: true` restarts every round, with a warning in the output.
recipe always '[{"id": "always", "module": "test.watch", "parameter": {"watch": true, "action_log": "'"$T"'/log.always"}}]'
for n in 1 2; do
    run always
    expect_rc 0
    expect 1 "restarted: watch is true"
    output=$(json_field 1 state_stdout)
    [[ "$output" == "warning: 'watch' is true"* ]] || fail "no warning: $output"
    last_action always restart "$n"
done

# Without tfirst the first sighting is only a baseline.
recipe quiet '[{"id": "quiet", "module": "test.watch", "parameter": {"watch": "'"$conf"'", "tfirst": false, "action_log": "'"$T"'/log.quiet"}}]'
run quiet
expect 1 "running, no change"
echo 'worker_processes 6;' >"$conf"
run quiet
expect 1 "restarted: $conf changed"

# A wrong type or a relative path fails the state before anything happens.
recipe bad '[{"id": "bad", "module": "test.watch", "parameter": {"watch": {"a": 1}}}]'
run bad
expect_rc 1
expect 1 "parameter 'watch': expected an array of strings (or one string) or a boolean, got object"
recipe rel '[{"id": "rel", "module": "test.watch", "parameter": {"watch": ["etc/app.conf"]}}]'
run rel
expect_rc 1
expect 1 "parameter 'watch': 'etc/app.conf' is not an absolute path"

# Nothing but sums in the watch dir: no temp files left behind.
for f in "$T/state/watch"/* "$T/state/watch"/.[!.]*; do
    [ -e "$f" ] || continue
    [[ "$f" == *.cksum && -f "$f" ]] || fail "stray file in the watch dir: $f"
done
