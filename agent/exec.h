/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One child process on the loop (design.md, the child-process protocol):
 * spawned with posix_spawn in a new session and process group, its input written
 * to stdin, stdout and stderr captured together (in order) through one pipe
 * with the head+tail cap, an optional result channel on fd 3, and a timeout
 * that sends SIGTERM to the whole group and SIGKILL after a grace period.
 *
 * Completion is the child's exit, not the end of its output: a daemon it
 * left behind may hold the pipe open forever. At exit whatever is already in
 * the pipes is read, then they are closed. After a timeout the agent waits
 * for the whole group (at most the grace period) before reporting.
 */
#ifndef OA_EXEC_H
#define OA_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct oa_exec_spec {
    const char *file;  /* program to run */
    char **argv;       /* NULL-terminated */
    char **env;        /* NULL-terminated, the complete environment */
    const char *cwd;   /* NULL: the agent's */
    const char *input; /* written to stdin, which is then closed; copied; none: /dev/null */
    size_t input_len;
    uint64_t timeout_ms;    /* 0: none */
    uint64_t kill_grace_ms; /* SIGTERM → SIGKILL */
    size_t output_limit;
    bool result_fd; /* open file descriptor 3 as the result channel */
};

struct oa_exec_outcome {
    int spawn_error; /* < 0: the child could not be started (-errno) */
    int64_t exit_status;
    int term_signal;
    bool timed_out;
    bool killed;  /* by oa_exec_kill */
    char *output; /* capped, NUL-terminated; owned by the outcome */
    size_t output_len;
    char *result; /* bytes read from fd 3 (NULL: none), NUL-terminated */
    size_t result_len;
    bool result_too_big;
    uint64_t duration_ms;
};

struct oa_exec;

/* Called once, from the loop, after every handle of the run is closed. The
 * callback owns out (oa_exec_outcome_free); the run frees itself after the
 * callback returns. */
typedef void (*oa_exec_cb)(struct oa_exec_outcome *out, void *ud);

/* Starts a run. Returns 0 (even when the spawn fails: that is reported
 * through cb, never synchronously) or -ENOMEM. *ret, if given, identifies
 * the run until cb is called. */
int oa_exec_start(uv_loop_t *loop, const struct oa_exec_spec *spec, oa_exec_cb cb, void *ud,
                  struct oa_exec **ret);

/* Kills the run's whole process group with SIGKILL now; cb still follows. */
void oa_exec_kill(struct oa_exec *x);

int oa_exec_pid(const struct oa_exec *x);

void oa_exec_outcome_free(struct oa_exec_outcome *out);

#endif
