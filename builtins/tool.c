/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fork + exec + wait for module tools. A failure between fork and exec is
 * sent back through a close-on-exec pipe as (step, errno), so that the module
 * can say exactly why the tool did not start.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum step { STEP_IDS, STEP_CWD, STEP_STDIN, STEP_EXEC };

static const char *const step_names[] = {[STEP_IDS] = "switch user",
                                         [STEP_CWD] = "enter directory",
                                         [STEP_STDIN] = "open /dev/null",
                                         [STEP_EXEC] = "execute"};

static void child(const struct oa_tool *t, int report_fd)
{
    int failure[2] = {STEP_IDS, 0};
    int fd, r;

    if (t->runas && (r = oa_runas_apply(t->runas)) < 0) {
        failure[1] = -r;
        goto fail;
    }
    failure[0] = STEP_CWD;
    if (chdir(t->cwd ? t->cwd : "/") < 0)
        goto fail_errno;
    failure[0] = STEP_STDIN;
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
        goto fail_errno;
    failure[0] = STEP_EXEC;
    execve(t->path, t->argv, t->envp);
fail_errno:
    failure[1] = errno;
fail:
    (void)!write(report_fd, failure, sizeof(failure));
    _exit(127);
}

int oa_tool_run(const struct oa_tool *t, int *ret_status, char *reterr, size_t errlen)
{
    int report[2], failure[2], status;
    ssize_t n;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) < 0)
        return -errno;
    /* Output written by the module so far must come before the tool's. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        int err = errno;
        close(report[0]);
        close(report[1]);
        snprintf(reterr, errlen, "cannot start %s: %s", t->path, strerror(err));
        return -err;
    }
    if (pid == 0)
        child(t, report[1]);
    close(report[1]);
    do
        n = read(report[0], failure, sizeof(failure));
    while (n < 0 && errno == EINTR);
    close(report[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (n == (ssize_t)sizeof(failure)) {
        snprintf(reterr, errlen, "cannot %s for %s: %s", step_names[failure[0]],
                 failure[0] == STEP_CWD ? (t->cwd ? t->cwd : "/") : t->path, strerror(failure[1]));
        return -failure[1];
    }
    *ret_status = status;
    return 0;
}

const char *oa_tool_status_text(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "ended with wait status %d", status);
    return buf;
}
