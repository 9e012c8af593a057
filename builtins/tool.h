/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a system tool from a module, inside the `exec-state` child (which
 * may block: it is not the agent's loop). Always an argv array, never a shell
 * line built from parameters. By default the tool's stdin is /dev/null and
 * its stdout and stderr are the child's, which the agent captures as the
 * state's output; struct oa_tool can instead give it a text on stdin, keep
 * its stdout, hand it to the module as it arrives, or merge its stderr in.
 */
#ifndef OA_TOOL_H
#define OA_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "runas.h"

/* One run of a tool. Initialise it with designated initializers: every
 * field left out is zero, which means the default. */
struct oa_tool {
    const char *path;             /* absolute path of the program */
    char *const *argv;            /* NULL-terminated */
    char *const *envp;            /* NULL-terminated; the complete environment */
    const char *cwd;              /* NULL: "/" */
    const struct oa_runas *runas; /* NULL: the agent's own ids */
    struct oa_buf *capture;       /* NULL: stdout is the state's output (or goes to on_output);
                                   * else it is kept here (bytes over the cap are read and
                                   * dropped) */
    const char *input;            /* NULL: stdin is /dev/null; else the tool reads this text,
                                   * then end of file (a secret such as svn's
                                   * --password-from-stdin or docker login's --password-stdin,
                                   * kept out of argv where ps shows it) */
    bool merge_stderr;            /* the tool's stderr goes where its stdout goes */
    /* With no capture: the tool's stdout is read by the module and handed
     * here chunk by chunk as it arrives, with output_arg (NULL: it goes
     * straight to the state's output). Called synchronously from
     * oa_tool_run. */
    void (*on_output)(void *arg, const char *data, size_t len);
    void *output_arg;
};

/* Runs the tool and waits for it. Returns 0 with its wait status in
 * *ret_status, or a negative errno when it could not be started (its input
 * could not be prepared; fork, switching ids, chdir or exec failed): then
 * reterr says which step. */
int oa_tool_run(const struct oa_tool *t, int *ret_status, char *reterr, size_t errlen);

/* Finds an executable called name on OA_RUNAS_PATH (a name with '/' is
 * taken as it is). Returns buf, or NULL when there is none. */
const char *oa_tool_which(const char *name, char *buf, size_t len);

/* Runs a system tool the simple way: argv[0] looked up with oa_tool_which,
 * as the agent's own user, in "/", with the modules' clean environment
 * (PATH, LANG=C.UTF-8, HOME=/root or the user's) plus extra_env
 * ("NAME=value" strings, NULL-terminated, or NULL). capture as in struct
 * oa_tool. Returns 0 with the wait status, -ENOENT with "X is not
 * installed" in why, or what oa_tool_run returns. */
int oa_tool_exec(char *const argv[], const char *const *extra_env, struct oa_buf *capture,
                 int *ret_status, char *why, size_t len);

/* oa_tool_exec for the run described by opts: its argv, capture, input,
 * merge_stderr and on_output are used; its path, envp, cwd and runas are
 * ignored and set as oa_tool_exec sets them. Returns as oa_tool_exec. */
int oa_tool_exec_opts(const struct oa_tool *opts, const char *const *extra_env, int *ret_status,
                      char *why, size_t len);

/* Whether a wait status is a normal exit with status 0. */
bool oa_tool_ok(int status);

/* Describes a wait status for a comment: "exited with status 3",
 * "killed by signal 9 (Killed)". Returns buf. */
const char *oa_tool_status_text(int status, char *buf, size_t len);

#endif
