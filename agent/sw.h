/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The StatesWorker (design.md): the recipe state machine. It runs a recipe's
 * states in order, one at a time, each through the runner (a child process)
 * or inside the agent (meta.*), hands every result as a StateLog to its
 * owner, and starts over: after the last state following `delay`, after a
 * failure from the first state following `retry_wait`.
 *
 *   IDLE → PREPARE → RUNNING(i) → REPORTING(i) → RUNNING(i+1) …
 *   failure → RETRY_WAIT → PREPARE;  after the last state → DELAY → PREPARE
 *   WAITING(i) for meta.wait;  STOPPING → STOPPED
 *
 * In `once` mode there is no next round: the first failure or the end of
 * the recipe stops the worker.
 *
 * It never calls its owner's code from inside its own transition except
 * through the ops below, and it reaches the child only through the runner.
 */
#ifndef OA_SW_H
#define OA_SW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "msg.h"
#include "staterun.h"

enum oa_stop_mode {
    OA_STOP_NOW,  /* kill the running child's group, report nothing more */
    OA_STOP_WAIT, /* let the running state finish and report, then stop */
    OA_STOP_END,  /* finish the current round, skip the delay, then stop */
};

struct oa_sw_ops {
    /* Takes a finished state's StateLog (ownership passes, whatever the
     * return): 0 when accepted, -EAGAIN when it cannot be sent now; then the
     * worker stays in REPORTING with its own copy until oa_sw_resume(). */
    int (*submit)(void *ud, struct oa_statelog *log);
    /* A state finished (before its StateLog is submitted). Optional. */
    void (*state_done)(void *ud, size_t index, const struct oa_state *st,
                       const struct oa_state_outcome *o);
    /* The worker reached STOPPED. Optional. It must not free the worker. */
    void (*stopped)(void *ud);
    /* The worker changed state (for systemd's STATUS=). Optional. */
    void (*changed)(void *ud);
};

/* How the worker runs a state in a child; oa_staterun in production, a fake
 * in unit tests. start returns 0 and calls cb once later from the loop, or
 * fails with the reason in reterr and no callback. */
struct oa_sw_runner {
    int (*start)(void *rud, const struct oa_state *st, oa_staterun_cb cb, void *cb_ud, char *reterr,
                 size_t errlen);
    void (*kill)(void *rud);
    /* Syncs the module repository at tag (PREPARE), like start. NULL: the
     * worker runs with built-in modules only. */
    int (*prepare)(void *rud, const char *repo, const char *tag, oa_staterun_cb cb, void *cb_ud,
                   char *reterr, size_t errlen);
    void *rud;
};

struct oa_sw_settings {
    bool once;
    uint64_t delay_ms;
    uint64_t retry_wait_ms;
};

struct oa_sw;

/* Returns a new worker in IDLE, or NULL when out of memory. ops and runner
 * are borrowed and must outlive it. */
struct oa_sw *oa_sw_new(uv_loop_t *loop, const struct oa_sw_settings *s,
                        const struct oa_sw_ops *ops, void *ud, const struct oa_sw_runner *runner);

/* Closes the worker's timer and frees it from the close callback. Only in
 * IDLE or STOPPED (no child may be running). Accepts NULL. */
void oa_sw_close(struct oa_sw *sw);

/* Hands a new recipe to the worker, which takes ownership (protocol.md,
 * RecipeMetadata handling). The same version while running is ignored. */
void oa_sw_push_recipe(struct oa_sw *sw, struct oa_recipe *r);

void oa_sw_stop(struct oa_sw *sw, enum oa_stop_mode mode);

/* A StateLog can be handed over again (the connection is READY). */
void oa_sw_resume(struct oa_sw *sw);

/* A waited state is done (State / WaitList): adds id to the done-list when
 * version is the current one and wakes a meta.wait waiting on it. */
void oa_sw_wait_done(struct oa_sw *sw, int64_t version, const char *id);

/* The last outcome of one state of the running recipe. */
struct oa_sw_result {
    bool ran;
    bool ok;
    time_t at;           /* when it finished */
    const char *comment; /* its first 160 bytes, or NULL */
};

/* What `opsagent status` shows. Pointers stay valid until the worker runs
 * again (the next loop turn). */
struct oa_sw_status {
    const char *state;      /* the state machine's state, e.g. "RUNNING" */
    time_t since;           /* when it entered that state */
    int64_t recipe_version; /* 0: no recipe yet */
    size_t n_states;
    bool has_current; /* RUNNING, REPORTING, WAITING or STOPPING */
    size_t index;     /* 0-based */
    const char *id;
    const char *module;
    time_t next_round;                  /* in DELAY or RETRY_WAIT, else 0 */
    const struct oa_state *states;      /* n_states entries, or NULL */
    const struct oa_sw_result *results; /* n_states entries, or NULL */
};

void oa_sw_status(const struct oa_sw *sw, struct oa_sw_status *ret);

bool oa_sw_stopped(const struct oa_sw *sw);
/* The recipe version when a meta.wait is pending, else 0 (for WaitQuery). */
int64_t oa_sw_waiting_version(const struct oa_sw *sw);
const char *oa_sw_state_name(const struct oa_sw *sw);

#endif
