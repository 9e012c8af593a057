/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs one state as a child process: `opsagent exec-state` with the request
 * on stdin and a clean environment, the state's own timeout, and the
 * judgement of what came back (the fd 3 result, else the exit status). A
 * linux.cmd state's shell is spawned by the agent itself when that is
 * equivalent (agent/staterun_cmd.c), saving a process per state.
 * The StatesWorker drives it through its runner interface.
 */
#ifndef OA_STATERUN_H
#define OA_STATERUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "msg.h"
#include "runas.h"

/* What running a state produced; owned by whoever the callback hands it to. */
struct oa_state_outcome {
    bool result;
    bool changed;
    char *comment; /* NULL: none (meta.comment) */
    char *output;  /* may be NULL (no output) */
    size_t output_len;
    uint64_t duration_ms;
};

/* comment may be NULL. Returns NULL when out of memory. */
struct oa_state_outcome *oa_state_outcome_new(bool result, const char *comment);
void oa_state_outcome_free(struct oa_state_outcome *o);

typedef void (*oa_staterun_cb)(struct oa_state_outcome *o, void *ud);

struct oa_staterun_cfg {
    const char *self_exe; /* the agent's own binary */
    bool dry_run;
    const char *watch_dir; /* may be NULL */
    uint64_t state_timeout_ms;
    uint64_t kill_grace_ms;
    size_t output_limit;
    /* The module repository ([module] keys) and its agent version check. */
    const char *mod_root;
    const char *mod_name;
    const char *mod_bootstrap;
    const char *agent_version;
    /* Extra external modules, searched after the repository's modules/. */
    const char *modules_dir; /* may be NULL */
    /* Passed on to every module (downloads, data kept between rounds). */
    const char *state_dir;
    const char *ca_file;
    const char *proxy;
    const char *no_proxy;
};

struct oa_exec;
struct oa_cfg;

/* The runner's settings from the agent's config. Strings are borrowed from
 * cfg and self_exe. */
struct oa_staterun_cfg oa_staterun_cfg_from(const struct oa_cfg *cfg, const char *self_exe,
                                            bool dry_run);

struct cmd_in_agent;

struct oa_staterun {
    uv_loop_t *loop;
    struct oa_staterun_cfg cfg; /* strings borrowed; they outlive the runner */
    struct oa_exec *current;    /* the run in progress, or NULL */
    uint64_t timeout_ms;        /* the timeout that applies to it */
    char *context;              /* put before the agent's own comments on it, or NULL */
    char **env;                 /* every child's environment (see child_env) */
    struct oa_runas self;       /* the agent's own user, for shells it runs itself */
    bool self_ok;               /* self was looked up */
    struct cmd_in_agent *cmd;   /* the linux.cmd state run without exec-state, or NULL */
    oa_staterun_cb cb;
    void *cb_ud;
};

/* Returns 0 or -ENOMEM. The runner must be ended with oa_staterun_done. */
int oa_staterun_init(struct oa_staterun *r, uv_loop_t *loop, const struct oa_staterun_cfg *cfg);
void oa_staterun_done(struct oa_staterun *r);

/* Starts st in a child. One state at a time. Returns 0 (cb follows from the
 * loop, once) or a negative code with the reason in reterr (no callback). */
int oa_staterun_start(struct oa_staterun *r, const struct oa_state *st, oa_staterun_cb cb, void *ud,
                      char *reterr, size_t errlen);

/* Kills the running child's process group now; cb still follows. */
void oa_staterun_kill(struct oa_staterun *r);

/* Runs `opsagent exec-prepare`: syncs the module repository at tag and
 * runs its bootstrap and compat checks (design.md, PREPARE). Like
 * oa_staterun_start. */
int oa_staterun_prepare(struct oa_staterun *r, const char *repo, const char *tag, oa_staterun_cb cb,
                        void *ud, char *reterr, size_t errlen);

struct oa_sw_runner;

/* Fills *ret so that the StatesWorker runs its states through r. */
void oa_staterun_runner(struct oa_staterun *r, struct oa_sw_runner *ret);

#endif
