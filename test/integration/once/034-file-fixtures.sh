#!/bin/bash
# The example recipes the fixtures README marks safe, unchanged:
# basic/linux.file.json, basic/linux.dir.json and basic/linux.symlink.json
# (no `_` annotations: every state should succeed), run with
# `opsagent once --json` on a tmpfs at /tmp/test, where they write. Each
# succeeds and leaves what it asks for; a second round changes nothing.
# Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-files.sh"
in_sandbox "$@"
sandbox_tmpfs /tmp/test
umask 022
B="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic"

# fixture NAME COMMENT: one round of basic/NAME.json; its one state succeeds
# with COMMENT.
fixture() {
    agent once --json "$B/$1.json"
    expect_rc 0
    expect_lines out 1
    [ "$(json_field 1 state_result)" = true ] || fail "$1: $(cat "$T/out")"
    [ "$(json_field 1 state_comment)" = "$2" ] || fail "$1: comment '$(json_field 1 state_comment)'"
}

# linux.file with only a path: an empty file, its parent created (⚠ the
# original failed on the missing parent).
fixture linux.file "File /tmp/test/file/test.sh created, with 1 parent directory"
[ -f /tmp/test/file/test.sh ] && [ ! -s /tmp/test/file/test.sh ] || fail "no empty file"
expect_attrs /tmp/test/file/test.sh 644 root:root
expect_attrs /tmp/test/file 755 root:root
fixture linux.file "File /tmp/test/file/test.sh is in the correct state"

fixture linux.dir "Created /tmp/test/testdir"
expect_attrs /tmp/test/testdir 755 root:root
fixture linux.dir "Directory /tmp/test/testdir is in the correct state"

# linux.symlink: /tmp/test/mnt -> /mnt (its parent is the tmpfs).
fixture linux.symlink "Created symlink /tmp/test/mnt -> /mnt"
[ "$(readlink /tmp/test/mnt)" = /mnt ] || fail "link: $(readlink /tmp/test/mnt)"
fixture linux.symlink "Symlink /tmp/test/mnt -> /mnt is in the correct state"

# All three in one recipe, as one round of the agent runs them, on an empty
# tmpfs: a dry run first.
/usr/bin/python3 - "$B" "$T/all.json" <<'PY'
import json, sys
states = []
for name in ("linux.dir", "linux.file", "linux.symlink"):
    states += json.load(open("%s/%s.json" % (sys.argv[1], name)))["component"]["init"]["state"]
json.dump({"component": {"init": {"state": states}}}, open(sys.argv[2], "w"))
PY
umount /tmp/test
sandbox_tmpfs /tmp/test
agent once --json --dry-run "$T/all.json"
expect_rc 0
expect_lines out 3
[ "$(json_field 1 state_comment)" = "would create /tmp/test/testdir" ] || fail "dry: $(cat "$T/out")"
[ "$(json_field 2 state_comment)" = "would create /tmp/test/file/test.sh, with 1 parent directory" ] ||
    fail "dry: $(cat "$T/out")"
[ "$(json_field 3 state_comment)" = "would create symlink /tmp/test/mnt -> /mnt" ] || fail "dry: $(cat "$T/out")"
[ -z "$(ls -A /tmp/test)" ] || fail "the dry run wrote: $(ls -A /tmp/test)"
agent once --json "$T/all.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Created /tmp/test/testdir" ] || fail "all: $(cat "$T/out")"
[ "$(json_field 2 state_comment)" = "File /tmp/test/file/test.sh created, with 1 parent directory" ] ||
    fail "all: $(cat "$T/out")"
[ "$(json_field 3 state_comment)" = "Created symlink /tmp/test/mnt -> /mnt" ] || fail "all: $(cat "$T/out")"
