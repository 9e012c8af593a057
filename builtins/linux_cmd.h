/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.cmd in two halves, so that the agent itself may run the shell
 * (design.md: "where running a module in the parent is equivalent and
 * cheaper, the parent may do so"), which saves a process per state: the
 * plan does everything before the shell (validation, working directory,
 * guards, environment, dry run), the finish turns the shell's end into the
 * state's outcome. The exec-state child runs both around its own spawn.
 */
#ifndef OA_LINUX_CMD_H
#define OA_LINUX_CMD_H

#include <stdbool.h>

#include "builtins.h"
#include "runas.h"

struct oa_cmd_plan {
    char *argv[4]; /* shell, "-c", cmd, NULL: pointers into the parameters */
    const char *cwd;
    char **env;     /* the shell's whole environment; owned */
    char what[128]; /* the command as comments show it */
};

/* Whether the agent may run this state's shell itself: not when it must
 * run as another user or group (those lookups may block on NSS). */
bool oa_cmd_parent_may_run(const struct oa_params *p);

/* The checks before anything else: parameters, the working directory
 * (the default one is created), the guards. Returns false when out holds
 * the final outcome. */
bool oa_cmd_check(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out);

/* After oa_cmd_check, plans the shell run by ra. Returns 1 with plan set
 * (free it with oa_cmd_plan_done), or 0 when out holds the final outcome
 * (a dry run, out of memory). */
int oa_cmd_plan(const struct oa_run_ctx *ctx, const struct oa_params *p, const struct oa_runas *ra,
                struct oa_cmd_plan *plan, struct oa_outcome *out);
void oa_cmd_plan_done(struct oa_cmd_plan *plan);

/* The outcome of a shell that ended with the wait status. */
void oa_cmd_finish(const struct oa_cmd_plan *plan, int wait_status, struct oa_outcome *out);

/* The outcome of a shell that could not be started (err: an errno). */
void oa_cmd_start_failed(const struct oa_cmd_plan *plan, int err, struct oa_outcome *out);

#endif
