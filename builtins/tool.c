/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fork + exec + wait for module tools. A failure between fork and exec is
 * sent back through a close-on-exec pipe as (step, errno), so that the module
 * can say exactly why the tool did not start. A tool's input is put in an
 * in-memory file before the fork; its stdout, when the module wants it, is
 * read from a pipe until the tool closes it.
 */
#include "tool.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum step { STEP_IDS, STEP_CWD, STEP_STDIN, STEP_STDERR, STEP_EXEC };

static const char *const step_names[] = {[STEP_IDS] = "switch user",
                                         [STEP_CWD] = "enter directory",
                                         [STEP_STDIN] = "set up stdin",
                                         [STEP_STDERR] = "redirect stderr",
                                         [STEP_EXEC] = "execute"};

/* The descriptors between the module and one tool; -1 where there is none. */
struct fds {
    int report[2]; /* close-on-exec: carries a failure before exec */
    int out[2];    /* the tool's stdout, read by the module */
    int in;        /* the tool's stdin: an in-memory file holding its input */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_fds(struct fds *f)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&f->report[i]);
        close_fd(&f->out[i]);
    }
    close_fd(&f->in);
}

/* Never returns: it execs the tool or _exits with the failure reported. */
static _Noreturn void child(const struct oa_tool *t, const struct fds *f)
{
    int failure[2] = {STEP_IDS, 0};
    int fd, r;

    /* The sub-commands ignore SIGPIPE (main.c), and an ignored signal stays
     * ignored across exec: give the tool the default back, so that the
     * writer of a pipeline such as `yes | head -1` ends rather than
     * complaining about, or spinning on, EPIPE. */
    signal(SIGPIPE, SIG_DFL);
    if (f->out[1] >= 0 && dup2(f->out[1], STDOUT_FILENO) < 0)
        goto fail_errno;

    if (t->runas && (r = oa_runas_apply(t->runas)) < 0) {
        failure[1] = -r;
        goto fail;
    }
    failure[0] = STEP_CWD;
    if (chdir(t->cwd ? t->cwd : "/") < 0)
        goto fail_errno;
    failure[0] = STEP_STDIN;
    fd = f->in >= 0 ? f->in : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
        goto fail_errno;
    failure[0] = STEP_STDERR;
    if (t->merge_stderr && dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
        goto fail_errno;
    failure[0] = STEP_EXEC;
    execve(t->path, t->argv, t->envp);
fail_errno:
    failure[1] = errno;
fail:
    (void)!write(f->report[1], failure, sizeof(failure));
    _exit(127);
}

/* The tool's input in a private in-memory file (no pipe to keep fed, so a
 * tool that never reads it cannot block us, and no size limit), at offset
 * 0. Returns the fd or a negative errno. */
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

/* Reads the tool's stdout until the tool closes it: into the capture, or
 * to on_output as it arrives. */
static void drain(int fd, const struct oa_tool *t)
{
    char chunk[8192];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (t->capture)
            (void)oa_buf_append(t->capture, chunk, (size_t)n); /* over the cap: dropped */
        else if (t->on_output)
            t->on_output(t->output_arg, chunk, (size_t)n);
    }
}

int oa_tool_run(const struct oa_tool *t, int *ret_status, char *reterr, size_t errlen)
{
    struct fds f = {{-1, -1}, {-1, -1}, -1};
    int failure[2], status, r;
    ssize_t n;
    pid_t pid;

    if (t->input && (f.in = input_file(t->input)) < 0) {
        snprintf(reterr, errlen, "cannot prepare the input of %s: %s", t->path, strerror(-f.in));
        return f.in;
    }
    if (pipe2(f.report, O_CLOEXEC) < 0 ||
        ((t->capture || t->on_output) && pipe2(f.out, O_CLOEXEC) < 0)) {
        r = -errno;
        close_fds(&f);
        snprintf(reterr, errlen, "cannot start %s: %s", t->path, strerror(-r));
        return r;
    }
    /* Output written by the module so far must come before the tool's. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        r = -errno;
        close_fds(&f);
        snprintf(reterr, errlen, "cannot start %s: %s", t->path, strerror(-r));
        return r;
    }
    if (pid == 0)
        child(t, &f);
    close_fd(&f.report[1]);
    close_fd(&f.out[1]);
    close_fd(&f.in);
    /* The report pipe closes at exec (close-on-exec), or carries a failure. */
    do
        n = read(f.report[0], failure, sizeof(failure));
    while (n < 0 && errno == EINTR);
    if (f.out[0] >= 0)
        drain(f.out[0], t);
    close_fds(&f);
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
    struct oa_tool t = {.argv = argv, .capture = capture};

    return oa_tool_exec_opts(&t, extra_env, ret_status, why, len);
}

int oa_tool_exec_opts(const struct oa_tool *opts, const char *const *extra_env, int *ret_status,
                      char *why, size_t len)
{
    char *const *argv = opts->argv;
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
    struct oa_tool t = *opts;
    t.path = path;
    t.envp = envp;
    t.cwd = NULL;
    t.runas = NULL;
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
