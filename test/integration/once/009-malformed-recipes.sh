#!/bin/bash
# Every malformed recipe gives one clear line on stderr (what, where,
# expected) and a non-zero exit, and runs nothing.
. "$(dirname "$0")/../lib.sh"

# check NAME CONTENT EXIT REGEX
check() {
    printf '%s' "$2" >"$T/$1.json"
    agent once "$T/$1.json"
    expect_rc "$3"
    expect_lines out 0
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: expected one line on stderr"
    expect_line err "ERROR +$T/$1\.json: $4"
}

check empty '' 65 'invalid JSON: empty input'
check syntax '{"state": [' 65 'invalid JSON at byte [0-9]+: '
check trailing '[] []' 65 'invalid JSON at byte [0-9]+'
check scalar '42' 65 'expected a recipe \(an array of states or an object\), got number'
check no-shape '{"states": []}' 65 "expected an array of states, or an object with 'state', 'component'"
check state-not-array '{"state": {}}' 65 "'state' must be an array, got object"
check state-not-object '[1]' 65 'state 1: must be an object, got number'
check no-module '[{"parameter": {}}]' 65 "state 1: 'module' must be a non-empty string, got nothing"
check module-number '[{"module": 3, "parameter": {}}]' 65 "state 1: 'module' must be a non-empty string, got number"
check no-parameter '[{"id": "x", "module": "linux.cmd"}]' 65 "state 1 \(id \"x\"\): 'parameter' must be an object, got nothing"
check parameter-array '[{"module": "linux.cmd", "parameter": []}]' 65 "state 1: 'parameter' must be an object, got array"
check id-number '[{"id": 5, "module": "linux.cmd", "parameter": {}}]' 65 "state 1: 'id' must be a non-empty string, got number"
check id-empty '[{"id": "", "module": "m", "parameter": {}}]' 65 "state 1: 'id' must be a non-empty string, got string"
check second-bad '[{"module": "meta.comment", "parameter": {}}, {"id": "b", "module": null, "parameter": {}}]' 65 "state 2 \(id \"b\"\): 'module' must be"
check bad-version '{"code": "RecipeMetadata", "recipe_version": 0, "state": []}' 65 "'recipe_version' must be a positive integer"
check float-version '{"code": "RecipeMetadata", "recipe_version": 1.5, "state": []}' 65 "'recipe_version' must be a positive integer"
check bad-code '{"code": "State", "recipe_version": 1}' 65 "'code' must be \"RecipeMetadata\""
check no-states-msg '{"code": "RecipeMetadata", "recipe_version": 2}' 65 "the RecipeMetadata message has no 'state' to run"
check bad-module-obj '{"code": "RecipeMetadata", "recipe_version": 2, "module": {"repo": ""}, "state": []}' 65 "'module': 'repo' and 'tag' must be non-empty strings"
check component-bad '{"component": {"init": {"state": 3}}}' 65 "component 'init': 'state' must be an array, got number"
check deep "$(python3 -c 'print("["*100000 + "]"*100000)')" 65 'JSON nested deeper than 64 levels'
check bad-utf8 "$(printf '[{"module": "\xff", "parameter": {}}]')" 65 'invalid JSON at byte'

agent once "$T/does-not-exist.json"
expect_rc 66
expect_line err "cannot read the recipe: No such file or directory"
agent once "$T"
expect_rc 66
expect_line err "cannot read the recipe: Is a directory"
