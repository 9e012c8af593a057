/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Child processes on the loop. A run owns a SIGCHLD watcher, the output pipe,
 * the fd 3 pipe, the stdin pipe and one timer, all embedded; it is freed from
 * the last close callback, after the user's callback.
 *
 * The child is started with posix_spawn, not uv_spawn: libuv forks, which
 * copies the agent's page tables only for exec to throw them away, while
 * glibc's posix_spawn shares the memory until the exec (CLONE_VM |
 * CLONE_VFORK). On a recipe of short commands that is most of the agent's
 * cost per state (test/bench/per_state.py). Its exit is then learnt from
 * SIGCHLD: each run has its own watcher and asks waitpid about its own pid
 * only, so runs on several loops and other children never mix.
 */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "log.h"
#include "mem.h"
#include "outcap.h"

struct oa_exec {
    uv_loop_t *loop;
    uv_signal_t chld;
    uv_pipe_t out;
    uv_pipe_t res;
    uv_pipe_t in;
    uv_timer_t timer;
    uv_write_t write_req;
    unsigned open_handles;
    bool res_open; /* the fd 3 pipe is open and read */
    bool exited, timed_out, grace_over, killed, finishing;
    int pgid;
    uint64_t start_ns;
    uint64_t term_ns; /* when the timeout sent SIGTERM */
    struct oa_outcap cap;
    struct oa_buf result;
    bool result_too_big;
    char *input;
    uint64_t kill_grace_ms;
    struct oa_exec_outcome outcome;
    oa_exec_cb cb;
    void *ud;
    char scratch[65536];
};

void oa_exec_outcome_free(struct oa_exec_outcome *out)
{
    if (!out)
        return;
    oa_free(out->output);
    oa_free(out->result);
    oa_free(out);
}

int oa_exec_pid(const struct oa_exec *x)
{
    return x->pgid;
}

static void on_closed(uv_handle_t *h)
{
    struct oa_exec *x = h->data;
    struct oa_exec_outcome *out;

    /* The stdin pipe may close long before the rest. */
    if (--x->open_handles > 0 || !x->finishing)
        return;
    out = oa_malloc(sizeof(*out));
    if (out) {
        *out = x->outcome;
        out->output = oa_outcap_finish(&x->cap, &out->output_len);
        if (!out->output) {
            out->output = oa_strdup("");
            out->output_len = 0;
        }
        if (x->result.len > 0 || x->result_too_big)
            out->result = oa_buf_steal(&x->result, &out->result_len);
        out->result_too_big = x->result_too_big;
    }
    /* Out of memory here leaves the caller without an outcome; it is told
     * by a NULL, and the state fails. */
    x->cb(out, x->ud);
    oa_outcap_done(&x->cap);
    oa_buf_done(&x->result);
    oa_free(x->input);
    oa_free(x);
}

static void close_handle(struct oa_exec *x, uv_handle_t *h)
{
    if (!uv_is_closing(h)) {
        x->open_handles++;
        uv_close(h, on_closed);
    }
}

static void feed(struct oa_exec *x, uv_stream_t *s, const char *p, size_t n)
{
    if (s == (uv_stream_t *)&x->out) {
        oa_outcap_feed(&x->cap, p, n);
    } else if (!x->result_too_big && oa_buf_append(&x->result, p, n) < 0) {
        x->result_too_big = true;
    }
}

/* Reads what the pipe already holds, without waiting for more: the child
 * has exited, and anything written later comes from processes it left. */
static void drain(struct oa_exec *x, uv_pipe_t *p)
{
    uv_os_fd_t fd;

    if (uv_is_closing((uv_handle_t *)p) || uv_fileno((uv_handle_t *)p, &fd) < 0)
        return;
    uv_read_stop((uv_stream_t *)p);
    for (;;) {
        ssize_t n = read(fd, x->scratch, sizeof(x->scratch));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        feed(x, (uv_stream_t *)p, x->scratch, (size_t)n);
    }
}

static void finish(struct oa_exec *x)
{
    if (x->finishing)
        return;
    x->finishing = true;
    x->outcome.duration_ms = (uv_hrtime() - x->start_ns) / 1000000;
    x->outcome.timed_out = x->timed_out;
    x->outcome.killed = x->killed;
    if (x->outcome.spawn_error == 0) {
        drain(x, &x->out);
        if (x->res_open)
            drain(x, &x->res);
    }
    close_handle(x, (uv_handle_t *)&x->chld);
    close_handle(x, (uv_handle_t *)&x->out);
    close_handle(x, (uv_handle_t *)&x->res);
    close_handle(x, (uv_handle_t *)&x->in);
    close_handle(x, (uv_handle_t *)&x->timer);
}

/* Whether a process of the group is still running. kill(-pgid, 0) would
 * also count zombies, which linger wherever PID 1 reaps slowly (containers),
 * so /proc is read instead: field 3 of /proc/PID/stat is the state, field 5
 * the process group. Only after a timeout, so the scan is rare. */
static bool group_alive(int pgid)
{
    char path[300], buf[512];
    struct dirent *e;
    bool alive = false;
    DIR *d = opendir("/proc");

    if (!d)
        return kill(-pgid, 0) == 0;
    while (!alive && (e = readdir(d))) {
        char state;
        int ppid, pgrp;
        ssize_t n;
        int fd;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        /* The command name may hold anything; the fields follow its last ')'. */
        char *p = strrchr(buf, ')');
        /* The kernel's own numbers: a short or odd line fails the "== 3".
         * NOLINTNEXTLINE(cert-err34-c) */
        if (p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
            state != 'Z' && state != 'X')
            alive = true;
    }
    closedir(d);
    return alive;
}

/* A SIGCHLD: from this run's child or another one. */
static void on_sigchld(uv_signal_t *h, int signum)
{
    struct oa_exec *x = h->data;
    int status;
    pid_t r;

    (void)signum;
    do
        r = waitpid(x->pgid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r != x->pgid)
        return;
    uv_signal_stop(&x->chld);
    x->exited = true;
    x->outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    x->outcome.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    oa_debug("exec: pid %d exited (status %lld, signal %d)", x->pgid,
             (long long)x->outcome.exit_status, x->outcome.term_signal);
    /* After a timeout, wait for the rest of the group (on_timer polls it
     * and kills what ignores SIGTERM when the grace period ends). */
    if (x->timed_out && !x->grace_over && group_alive(x->pgid))
        return;
    finish(x);
}

/* After a timeout the timer ticks every GROUP_POLL_MS until the group is
 * gone, sending SIGKILL once the grace period is over. */
#define GROUP_POLL_MS 20

static void on_timer(uv_timer_t *t)
{
    struct oa_exec *x = t->data;

    if (!x->timed_out) {
        x->timed_out = true;
        x->term_ns = uv_hrtime();
        oa_debug("exec: pid %d timed out, SIGTERM to its group", x->pgid);
        (void)kill(-x->pgid, SIGTERM);
        uv_timer_start(&x->timer, on_timer, GROUP_POLL_MS, GROUP_POLL_MS);
        return;
    }
    if (!x->grace_over && uv_hrtime() - x->term_ns >= x->kill_grace_ms * 1000000) {
        x->grace_over = true;
        oa_debug("exec: group %d still alive after the grace period, SIGKILL", x->pgid);
        (void)kill(-x->pgid, SIGKILL);
    }
    if (x->exited && (x->grace_over || !group_alive(x->pgid)))
        finish(x);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct oa_exec *x = h->data;
    *buf = uv_buf_init(x->scratch, sizeof(x->scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct oa_exec *x = s->data;

    if (n > 0)
        feed(x, s, buf->base, (size_t)n);
    else if (n < 0)
        uv_read_stop(s);
}

static void on_written(uv_write_t *req, int status)
{
    struct oa_exec *x = req->data;

    /* A child that exits without reading its input gets EPIPE here; its exit
     * status tells what happened. */
    if (status < 0 && status != UV_ECANCELED)
        oa_debug("exec: writing the input of pid %d: %s", x->pgid, uv_strerror(status));
    close_handle(x, (uv_handle_t *)&x->in);
}

/* Makes a pipe (both ends close-on-exec) and opens the parent's end,
 * fds[parent_end], on p. The child's end is kept above the standard
 * descriptors, so that dup2 onto 0 to 3 always copies (a dup2 of a
 * descriptor onto itself would keep its close-on-exec flag). */
static int open_pipe(uv_pipe_t *p, uv_file fds[2], int parent_end)
{
    int child_end = 1 - parent_end;
    int r = uv_pipe(fds, 0, 0);

    if (r < 0)
        return r;
    if (fds[child_end] <= 3) {
        int moved = fcntl(fds[child_end], F_DUPFD_CLOEXEC, 4);
        r = moved < 0 ? -errno : 0;
        close(fds[child_end]);
        fds[child_end] = moved;
    }
    if (r == 0)
        r = uv_pipe_open(p, fds[parent_end]);
    if (r < 0) {
        close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
        fds[0] = fds[1] = -1;
    }
    return r;
}

/* What the child gets before its exec: stdin from the input pipe or
 * /dev/null, stdout and stderr on the output pipe, the result pipe on fd 3,
 * and the working directory. Every other descriptor of the agent is
 * close-on-exec. */
static int child_fds(posix_spawn_file_actions_t *fa, int in_fd, int out_fd, int res_fd,
                     const char *cwd)
{
    int r = in_fd >= 0 ? posix_spawn_file_actions_adddup2(fa, in_fd, 0)
                       : posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);

    if (r == 0)
        r = posix_spawn_file_actions_adddup2(fa, out_fd, 1);
    if (r == 0)
        r = posix_spawn_file_actions_adddup2(fa, out_fd, 2);
    if (r == 0 && res_fd >= 0)
        r = posix_spawn_file_actions_adddup2(fa, res_fd, 3);
    if (r == 0 && cwd)
        r = posix_spawn_file_actions_addchdir_np(fa, cwd);
    return -r;
}

/* A new session and process group (setsid), every signal at its default
 * disposition (the agent ignores SIGPIPE) and none blocked. */
static int child_attr(posix_spawnattr_t *a)
{
    sigset_t all, none;
    int r;

    sigfillset(&all);
    sigemptyset(&none);
    r = posix_spawnattr_setflags(a, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);
    if (r == 0)
        r = posix_spawnattr_setsigdefault(a, &all);
    if (r == 0)
        r = posix_spawnattr_setsigmask(a, &none);
    return -r;
}

static int spawn(struct oa_exec *x, const struct oa_exec_spec *spec)
{
    uv_file in_fds[2] = {-1, -1}, out_fds[2] = {-1, -1}, res_fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid;
    int r;

    if ((r = open_pipe(&x->out, out_fds, 0)) < 0)
        return r;
    if (spec->result_fd) {
        if ((r = open_pipe(&x->res, res_fds, 0)) < 0)
            goto close_child_ends;
        x->res_open = true;
    }
    if (x->input && (r = open_pipe(&x->in, in_fds, 1)) < 0)
        goto close_child_ends;
    if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
        r = -r;
        goto close_child_ends;
    }
    if ((r = posix_spawnattr_init(&attr)) != 0) {
        r = -r;
        goto destroy_fa;
    }
    r = child_fds(&fa, in_fds[0], out_fds[1], res_fds[1], spec->cwd);
    if (r == 0)
        r = child_attr(&attr);
    /* Watching before the spawn, so that no SIGCHLD of this child is missed. */
    if (r == 0)
        r = uv_signal_start(&x->chld, on_sigchld, SIGCHLD);
    if (r == 0) {
        r = strchr(spec->file, '/')
                ? posix_spawn(&pid, spec->file, &fa, &attr, spec->argv, spec->env)
                : posix_spawnp(&pid, spec->file, &fa, &attr, spec->argv, spec->env);
        r = -r;
        if (r == 0)
            x->pgid = pid;
    }
    posix_spawnattr_destroy(&attr);
destroy_fa:
    posix_spawn_file_actions_destroy(&fa);
close_child_ends:
    /* The child has its copies; keeping ours would hide the end of its
     * output (and of its input). */
    if (in_fds[0] >= 0)
        close(in_fds[0]);
    if (out_fds[1] >= 0)
        close(out_fds[1]);
    if (res_fds[1] >= 0)
        close(res_fds[1]);
    return r;
}

int oa_exec_start(uv_loop_t *loop, const struct oa_exec_spec *spec, oa_exec_cb cb, void *ud,
                  struct oa_exec **ret)
{
    struct oa_exec *x = oa_calloc(1, sizeof(*x));
    int r;

    if (!x)
        return -ENOMEM;
    if (spec->input_len && !(x->input = oa_strndup(spec->input, spec->input_len))) {
        oa_free(x);
        return -ENOMEM;
    }
    x->loop = loop;
    x->cb = cb;
    x->ud = ud;
    x->kill_grace_ms = spec->kill_grace_ms;
    x->start_ns = uv_hrtime();
    oa_outcap_init(&x->cap, spec->output_limit);
    oa_buf_init(&x->result, OA_CHILD_RESULT_MAX);
    /* Every handle but the process is initialised here, so that any failure
     * can take the one close path. */
    uv_pipe_init(loop, &x->out, 0);
    uv_pipe_init(loop, &x->res, 0);
    uv_pipe_init(loop, &x->in, 0);
    uv_timer_init(loop, &x->timer);
    uv_signal_init(loop, &x->chld);
    x->chld.data = x->out.data = x->res.data = x->in.data = x->timer.data = x;
    x->write_req.data = x;

    r = spawn(x, spec);
    if (r < 0) {
        /* Reported from the loop through the common close path. */
        oa_debug("exec: cannot spawn %s: %s", spec->file, strerror(-r));
        x->outcome.spawn_error = r;
        finish(x);
        if (ret)
            *ret = x;
        return 0;
    }
    oa_debug("exec: spawned %s as pid %d", spec->file, x->pgid);
    uv_read_start((uv_stream_t *)&x->out, on_alloc, on_read);
    if (x->res_open)
        uv_read_start((uv_stream_t *)&x->res, on_alloc, on_read);
    if (x->input) {
        uv_buf_t b = uv_buf_init(x->input, (unsigned)spec->input_len);
        if (uv_write(&x->write_req, (uv_stream_t *)&x->in, &b, 1, on_written) < 0)
            close_handle(x, (uv_handle_t *)&x->in);
    } else {
        close_handle(x, (uv_handle_t *)&x->in);
    }
    if (spec->timeout_ms)
        uv_timer_start(&x->timer, on_timer, spec->timeout_ms, 0);
    if (ret)
        *ret = x;
    return 0;
}

void oa_exec_kill(struct oa_exec *x)
{
    if (x->exited || x->outcome.spawn_error)
        return;
    x->killed = true;
    (void)kill(-x->pgid, SIGKILL);
}
