#!/bin/bash
# The bundled example recipe runs: one line per state, exit 0.
. "$(dirname "$0")/../lib.sh"

agent once "$OA_SOURCE_DIR/bootstrap/examples/hello.json"
expect_rc 0
expect_lines out 4
expect_line out '^\[1/4\] note meta\.comment ok [0-9]+ ms$'
expect_line out '^\[2/4\] say-hello linux\.cmd ok [0-9]+ ms: Command "echo .*" run$'
expect_line out '^\[4/4\] guarded linux\.cmd ok [0-9]+ ms: skipped: /nonexistent/opsagent-example does not exist$'
expect_line err 'all 4 states succeeded'
