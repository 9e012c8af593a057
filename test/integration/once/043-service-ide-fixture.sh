#!/bin/bash
# The IDE's service scenario (fixtures ide/linux.service.complex.ide.light.json)
# replayed for four rounds with `opsagent once`, in the sandbox. The recipe
# is derived at run time, the fixture itself is untouched: /tmp/ paths move
# to the test's directory, and the linux.file state that installs the
# /etc/init.d/food script is done by this test (it belongs to another
# module). sshd and crond, which the recipe stops and has linux.service
# start again, are dummy init scripts that talk like RHEL 6's. What the
# fixture's own checks expect: round 1 starts food (first sighting of the
# watched files, service stopped); rounds 2 and 3 change a watched file,
# and food's missing reload makes the default action restart it; round 4
# changes nothing. Round 1's own check ("start 1" in /tmp/food) cannot
# pass: food empties that file whenever it runs in round 1, and the status
# check that §4.1 requires after a start runs it once more.
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"

fixture="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/ide/linux.service.complex.ide.light.json"

for s in sshd crond; do
    cat >"/etc/init.d/$s" <<EOF
#!/bin/sh
case "\$1" in
start) touch $T/$s.running ;;
stop) rm -f $T/$s.running ;;
status)
    if [ -e $T/$s.running ]; then echo "$s (pid 42) is running..."; exit 0; fi
    echo "$s is stopped"; exit 3 ;;
*) exit 1 ;;
esac
EOF
    chmod 755 "/etc/init.d/$s"
done

/usr/bin/python3 - "$fixture" "$T" >"$T/r.json" <<'PY'
import json, os, sys
states, t = json.load(open(sys.argv[1])), sys.argv[2]

def move(v):
    if isinstance(v, str):
        return v.replace("/tmp/", t + "/")
    if isinstance(v, list):
        return [move(x) for x in v]
    if isinstance(v, dict):
        return {k: move(x) for k, x in v.items()}
    return v

out = []
for st in move(states):
    p = st["parameter"]
    if st["module"] == "linux.file":
        with open(p["path"], "w") as f:
            f.write(p["content"])
        os.chmod(p["path"], int(p["mode"], 8))
        continue
    out.append(st)
json.dump(out, sys.stdout)
PY
[ -x /etc/init.d/food ] || fail "food init script not installed"
config c "[global]
state_dir = $T/state
watch = $T/state/watch"

# round N RC OK COMMENT: one `once` of the recipe: its exit status, how
# many states succeeded, the comment of the food state.
round() {
    agent -c "$T/c.conf" once --json "$T/r.json"
    expect_rc "$2"
    [ "$(grep -c '"state_result":true' "$T/out")" -eq "$3" ] || fail "round $1: not $3 states succeeded"
    # The linux.service states are the 5th and the 10th.
    [ "$(json_field 5 state_comment)" = "sshd started; crond started" ] ||
        fail "round $1: sshd/crond: $(json_field 5 state_comment)"
    [ "$(json_field 10 state_comment)" = "$4" ] ||
        fail "round $1: food: '$(json_field 10 state_comment)', expected '$4'"
}

round 1 1 10 "first sighting of $T/foo1, first sighting of $T/foo2: food started"
[ "$(cat "$T/food")" = "status 1" ] || fail "round 1: $(cat "$T/food")"
[ -e "$T/food.status" ] || fail "round 1: food not running"
round 2 0 12 "$T/foo1 changed: food restarted"
grep -qx 'restart 2' "$T/food" || fail "round 2: $(cat "$T/food")"
round 3 0 12 "$T/foo2 changed: food restarted"
grep -qx 'restart 3' "$T/food" || fail "round 3: $(cat "$T/food")"
round 4 0 12 "food already running"
! grep -q 'start 4' "$T/food" || fail "round 4 acted: $(cat "$T/food")"
