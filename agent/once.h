/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `opsagent once RECIPE`: runs a recipe file on this host, in the
 * foreground, with no backend. The StatesWorker runs in once mode (the first
 * failure ends the run); one line per state goes to stdout, or one JSON
 * StateLog per line with --json.
 */
#ifndef OA_ONCE_H
#define OA_ONCE_H

#include <stdbool.h>

#include "cfg.h"

struct oa_once_opts {
    const char *recipe_path;
    bool dry_run;
    bool json;
    const char *self_exe; /* the agent binary, for exec-state */
};

/* Exit statuses of the command line (sysexits.h where one fits). */
enum {
    OA_EXIT_OK = 0,
    OA_EXIT_FAILED = 1,       /* a state failed, or not every state ran */
    OA_EXIT_USAGE = 64,       /* bad command line */
    OA_EXIT_DATAERR = 65,     /* the recipe is invalid */
    OA_EXIT_NOINPUT = 66,     /* the recipe cannot be read */
    OA_EXIT_UNAVAILABLE = 69, /* the command is not available in this build */
    OA_EXIT_SOFTWARE = 70,    /* an internal error */
    OA_EXIT_LOCKED = 75,      /* another agent runs with the same runtime dir */
    OA_EXIT_CONFIG = 78,      /* the config is invalid */
};

/* Runs the recipe; returns the process exit status. */
int oa_once_run(const struct oa_cfg *cfg, const struct oa_once_opts *opts);

#endif
