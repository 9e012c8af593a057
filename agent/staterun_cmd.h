/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A linux.cmd state whose shell the agent spawns itself (design.md: "where
 * running a module in the parent is equivalent and cheaper, the parent may
 * do so, as long as every guarantee above still holds"). The module's own
 * code (builtins/linux_cmd.h) makes the checks, the environment and the
 * comment, so the outcome is the one exec-state would give; the agent's
 * exec gives the process group, the output cap and the timeout as for any
 * child. Whatever the agent cannot do without blocking or printing (another
 * user or group, a dry run) or that ends before a shell runs (invalid
 * parameters, a guard that skips) is left to exec-state.
 */
#ifndef OA_STATERUN_CMD_H
#define OA_STATERUN_CMD_H

#include <stdbool.h>

#include "exec.h"
#include "staterun.h"

/* Plans st, whose parameter object is param, in the agent. Returns true
 * with r->cmd set and spec's file, argv, env and cwd filled (valid until
 * oa_staterun_cmd_free), false when exec-state must run it. */
bool oa_staterun_cmd_plan(struct oa_staterun *r, const struct oa_state *st,
                          const struct oa_json *param, struct oa_exec_spec *spec);

/* Sets o's result, changed and comment from the shell's end, and puts the
 * parameter warnings before its output. Returns false (o untouched) where
 * the agent's own judgement applies: a timeout, a kill. */
bool oa_staterun_cmd_outcome(const struct cmd_in_agent *c, struct oa_exec_outcome *x,
                             struct oa_state_outcome *o);

void oa_staterun_cmd_free(struct cmd_in_agent *c);

#endif
