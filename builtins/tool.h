/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a system tool from a module, inside the `exec-state` child (which
 * may block: it is not the agent's loop). Always an argv array, never a shell
 * line built from parameters. The tool's stdin is /dev/null; its stdout and
 * stderr are the child's, which the agent captures as the state's output.
 */
#ifndef OA_TOOL_H
#define OA_TOOL_H

#include "runas.h"

struct oa_tool {
    const char *path;             /* absolute path of the program */
    char *const *argv;            /* NULL-terminated */
    char *const *envp;            /* NULL-terminated; the complete environment */
    const char *cwd;              /* NULL: "/" */
    const struct oa_runas *runas; /* NULL: the agent's own ids */
};

/* Runs the tool and waits for it. Returns 0 with its wait status in
 * *ret_status, or a negative errno when it could not be started (fork,
 * switching ids, chdir or exec failed): then reterr says which step. */
int oa_tool_run(const struct oa_tool *t, int *ret_status, char *reterr, size_t errlen);

/* Describes a wait status for a comment: "exited with status 3",
 * "killed by signal 9 (Killed)". Returns buf. */
const char *oa_tool_status_text(int status, char *buf, size_t len);

#endif
