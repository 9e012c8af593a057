/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fork + exec + wait for module tools. A failure between fork and exec is
 * sent back through a close-on-exec pipe as (step, errno), so that the module
 * can say exactly why the tool did not start.
 */
#include "tool.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum step { STEP_IDS, STEP_CWD, STEP_STDIN, STEP_EXEC };

static const char *const step_names[] = {[STEP_IDS] = "switch user",
                                         [STEP_CWD] = "enter directory",
                                         [STEP_STDIN] = "open /dev/null",
                                         [STEP_EXEC] = "execute"};

static void child(const struct oa_tool *t, int report_fd, int out_fd, int in_fd)
{
    int failure[2] = {STEP_IDS, 0};
    int fd, r;

    /* The sub-commands ignore SIGPIPE (main.c), and an ignored signal stays
     * ignored across exec: give the tool the default back, so that the
     * writer of a pipeline such as `yes | head -1` ends rather than
     * complaining about, or spinning on, EPIPE. */
    signal(SIGPIPE, SIG_DFL);
    if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
        goto fail_errno;

    if (t->runas && (r = oa_runas_apply(t->runas)) < 0) {
        failure[1] = -r;
        goto fail;
    }
    failure[0] = STEP_CWD;
    if (chdir(t->cwd ? t->cwd : "/") < 0)
        goto fail_errno;
    failure[0] = STEP_STDIN;
    fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
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

/* The tool's input in a private in-memory file (no pipe to keep fed, so a
 * tool that never reads it cannot block us), at offset 0. Returns the fd or
 * a negative errno. */
static int input_file(const char *text)
{
    size_t len = strlen(text), done = 0;
    int fd = memfd_create("tool-input", MFD_CLOEXEC), err;

    if (fd < 0)
        return -errno;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        done += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) == 0)
        return fd;
fail:
    err = errno;
    close(fd);
    return -err;
}

/* Reads the captured stdout until the tool closes it. */
static void drain(int fd, struct oa_buf *capture)
{
    char chunk[8192];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        (void)oa_buf_append(capture, chunk, (size_t)n); /* over the cap: dropped */
    }
}

int oa_tool_run(const struct oa_tool *t, int *ret_status, char *reterr, size_t errlen)
{
    int report[2], out[2] = {-1, -1}, failure[2], status, in_fd = -1;
    ssize_t n;
    pid_t pid;

    if (t->input && (in_fd = input_file(t->input)) < 0) {
        snprintf(reterr, errlen, "cannot prepare the input of %s: %s", t->path, strerror(-in_fd));
        return in_fd;
    }
    if (pipe2(report, O_CLOEXEC) < 0) {
        int err = errno;
        if (in_fd >= 0)
            close(in_fd);
        return -err;
    }
    if (t->capture && pipe2(out, O_CLOEXEC) < 0) {
        int err = errno;
        close(report[0]);
        close(report[1]);
        if (in_fd >= 0)
            close(in_fd);
        return -err;
    }
    /* Output written by the module so far must come before the tool's. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        int err = errno;
        if (in_fd >= 0)
            close(in_fd);
        close(report[0]);
        close(report[1]);
        if (out[0] >= 0) {
            close(out[0]);
            close(out[1]);
        }
        snprintf(reterr, errlen, "cannot start %s: %s", t->path, strerror(err));
        return -err;
    }
    if (pid == 0)
        child(t, report[1], out[1], in_fd);
    if (in_fd >= 0)
        close(in_fd);
    close(report[1]);
    if (out[1] >= 0)
        close(out[1]);
    /* The report pipe closes at exec (close-on-exec), or carries a failure. */
    do
        n = read(report[0], failure, sizeof(failure));
    while (n < 0 && errno == EINTR);
    close(report[0]);
    if (out[0] >= 0) {
        drain(out[0], t->capture);
        close(out[0]);
    }
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

const char *oa_tool_which(const char *name, char *buf, size_t len)
{
    const char *p = OA_RUNAS_PATH;

    if (strchr(name, '/'))
        return access(name, X_OK) == 0 && (size_t)snprintf(buf, len, "%s", name) < len ? buf : NULL;
    while (*p) {
        size_t dlen = strcspn(p, ":");
        if ((size_t)snprintf(buf, len, "%.*s/%s", (int)dlen, p, name) < len &&
            access(buf, X_OK) == 0)
            return buf;
        p += dlen;
        if (*p == ':')
            p++;
    }
    return NULL;
}

int oa_tool_exec(char *const argv[], const char *const *extra_env, struct oa_buf *capture,
                 int *ret_status, char *why, size_t len)
{
    struct oa_kv extra[16];
    struct oa_runas ra;
    size_t n = 0;
    char path[4096], **envp;
    int r;

    if (!oa_tool_which(argv[0], path, sizeof(path))) {
        snprintf(why, len, "%s is not installed", argv[0]);
        return -ENOENT;
    }
    for (; extra_env && extra_env[n] && n < 16; n++) {
        const char *eq = strchr(extra_env[n], '=');
        extra[n].key = eq ? oa_strndup(extra_env[n], (size_t)(eq - extra_env[n])) : NULL;
        extra[n].value = (char *)(eq ? eq + 1 : "");
    }
    r = oa_runas_lookup(NULL, NULL, &ra, why, len);
    envp = r == 0 ? oa_runas_env(&ra, extra, n) : NULL;
    for (size_t i = 0; i < n; i++)
        oa_free(extra[i].key);
    if (!envp) {
        if (r == 0)
            oa_runas_done(&ra);
        snprintf(why, len, "out of memory");
        return -ENOMEM;
    }
    struct oa_tool t = {path, argv, envp, NULL, NULL, capture, NULL};
    r = oa_tool_run(&t, ret_status, why, len);
    oa_runas_env_free(envp);
    oa_runas_done(&ra);
    return r;
}

bool oa_tool_ok(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
