/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a system tool from a module, inside the `exec-state` child (which
 * may block: it is not the agent's loop). Always an argv array, never a shell
 * line built from parameters. The tool's stdin is /dev/null; its stdout and
 * stderr are the child's, which the agent captures as the state's output.
 */
#ifndef OA_TOOL_H
#define OA_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "runas.h"

struct oa_tool {
    const char *path;             /* absolute path of the program */
    char *const *argv;            /* NULL-terminated */
    char *const *envp;            /* NULL-terminated; the complete environment */
    const char *cwd;              /* NULL: "/" */
    const struct oa_runas *runas; /* NULL: the agent's own ids */
    struct oa_buf *capture;       /* NULL: stdout is the state's output; else it is kept here
                                   * (bytes over the buffer's cap are read and dropped) */
    const char *input;            /* NULL: stdin is /dev/null; else the tool reads this text
                                   * (a secret such as svn's --password-from-stdin, kept out
                                   * of argv where ps shows it) */
};

/* Runs the tool and waits for it. Returns 0 with its wait status in
 * *ret_status, or a negative errno when it could not be started (fork,
 * switching ids, chdir or exec failed): then reterr says which step. */
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

/* Whether a wait status is a normal exit with status 0. */
bool oa_tool_ok(int status);

/* Describes a wait status for a comment: "exited with status 3",
 * "killed by signal 9 (Killed)". Returns buf. */
const char *oa_tool_status_text(int status, char *buf, size_t len);

#endif
