/* SPDX-License-Identifier: Apache-2.0 */
/* One state in one child process, and the judgement of its outcome. */
#include "staterun.h"

#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "child.h"
#include "err.h"
#include "exec.h"
#include "log.h"
#include "mem.h"
#include "parse.h"
#include "runas.h"

struct oa_state_outcome *oa_state_outcome_new(bool result, const char *comment)
{
    struct oa_state_outcome *o = oa_calloc(1, sizeof(*o));

    if (!o)
        return NULL;
    o->result = result;
    if (comment && !(o->comment = oa_strdup(comment))) {
        oa_free(o);
        return NULL;
    }
    return o;
}

void oa_state_outcome_free(struct oa_state_outcome *o)
{
    if (!o)
        return;
    oa_free(o->comment);
    oa_free(o->output);
    oa_free(o);
}

static char **child_env(void);

int oa_staterun_init(struct oa_staterun *r, uv_loop_t *loop, const struct oa_staterun_cfg *cfg)
{
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->cfg = *cfg;
    /* Built once: looking up HOME reads /etc/passwd. */
    r->env = child_env();
    return r->env ? 0 : -ENOMEM;
}

void oa_staterun_done(struct oa_staterun *r)
{
    oa_runas_env_free(r->env);
    r->env = NULL;
}

/* The environment of every state child: PATH, LANG=C.UTF-8 and the agent
 * user's HOME, never the agent's own environment (design.md). Sanitizer
 * options are passed on so that test builds keep their settings. */
static char **child_env(void)
{
    static const char *const passed[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    struct passwd *pw = getpwuid(geteuid());
    char **env = oa_calloc(3 + 3 + 1, sizeof(*env));
    char *entries[6];
    size_t n = 0, k = 0;

    if (!env)
        return NULL;
    entries[k++] = oa_runas_env_entry("PATH", OA_RUNAS_PATH);
    entries[k++] = oa_runas_env_entry("LANG", "C.UTF-8");
    entries[k++] = oa_runas_env_entry("HOME", pw && pw->pw_dir[0] ? pw->pw_dir : "/");
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(passed[i]);
        if (v)
            entries[k++] = oa_runas_env_entry(passed[i], v);
    }
    for (size_t i = 0; i < k; i++)
        if (entries[i])
            env[n++] = entries[i];
    if (n < k) {
        oa_runas_env_free(env);
        return NULL;
    }
    return env;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return oa_strdup(text);
}

/* The comment and result of a finished child, per design.md: the fd 3
 * result when it wrote one, else its exit status. */
static void judge(const struct oa_staterun *r, const struct oa_exec_outcome *x,
                  struct oa_state_outcome *o)
{
    struct oa_child_result res;
    char why[512], dur[32];

    o->result = false;
    if (x->spawn_error < 0) {
        o->comment =
            format("cannot start the state's child process: %s", uv_strerror(x->spawn_error));
    } else if (x->timed_out) {
        o->comment =
            format("timed out after %s", oa_format_duration(r->timeout_ms, dur, sizeof(dur)));
    } else if (x->killed) {
        o->comment = format("killed: the agent was told to stop now");
    } else if (x->result_too_big) {
        o->comment =
            format("the module's result on fd 3 is larger than %d bytes", OA_CHILD_RESULT_MAX);
    } else if (x->result) {
        if (oa_child_decode_result(x->result, x->result_len, &res, why, sizeof(why)) < 0) {
            o->comment = format("the module wrote an invalid result on fd 3: %s", why);
        } else {
            o->result = res.result;
            o->changed = res.changed;
            o->comment = res.comment ? res.comment : oa_strdup("");
            res.comment = NULL;
        }
    } else if (x->term_signal) {
        o->comment = format("killed by signal %d (%s)", x->term_signal, strsignal(x->term_signal));
    } else {
        o->result = x->exit_status == 0;
        o->comment = format("exited with status %lld", (long long)x->exit_status);
    }
}

static void on_exec_done(struct oa_exec_outcome *x, void *ud)
{
    struct oa_staterun *r = ud;
    struct oa_state_outcome *o = oa_calloc(1, sizeof(*o));

    r->current = NULL;
    if (o && x) {
        judge(r, x, o);
        o->output = x->output;
        o->output_len = x->output_len;
        o->duration_ms = x->duration_ms;
        x->output = NULL;
    }
    if (o && !o->comment) {
        oa_state_outcome_free(o);
        o = NULL;
    }
    oa_exec_outcome_free(x);
    if (!o)
        o = oa_state_outcome_new(false, "out of memory");
    /* Even that may fail; the worker treats NULL as a failed state. */
    r->cb(o, r->cb_ud);
}

int oa_staterun_start(struct oa_staterun *r, const struct oa_state *st, oa_staterun_cb cb, void *ud,
                      char *reterr, size_t errlen)
{
    const struct oa_module *m = oa_builtins_find(st->module);
    struct oa_exec_spec spec = {0};
    char *argv[] = {(char *)r->cfg.self_exe, (char *)"exec-state", NULL};
    struct oa_buf req;
    int ret;

    if (!m) {
        snprintf(reterr, errlen, "unknown module '%s'", st->module);
        return -ENOENT;
    }
    oa_buf_init(&req, SIZE_MAX);
    ret = oa_child_encode_request(st, r->cfg.dry_run, r->cfg.watch_dir, &req);
    if (ret < 0) {
        snprintf(reterr, errlen, "cannot prepare the state's request: %s", oa_strerror(ret));
        oa_buf_done(&req);
        return ret;
    }
    spec.file = r->cfg.self_exe;
    spec.argv = argv;
    spec.env = r->env;
    spec.input = req.data;
    spec.input_len = req.len;
    spec.timeout_ms = oa_builtins_timeout_ms(m, st->parameter, r->cfg.state_timeout_ms);
    spec.kill_grace_ms = r->cfg.kill_grace_ms;
    spec.output_limit = r->cfg.output_limit;
    spec.result_fd = true;
    r->cb = cb;
    r->cb_ud = ud;
    r->timeout_ms = spec.timeout_ms;
    ret = oa_exec_start(r->loop, &spec, on_exec_done, r, &r->current);
    oa_buf_done(&req);
    if (ret < 0)
        snprintf(reterr, errlen, "cannot start the state's child process: %s", oa_strerror(ret));
    return ret;
}

void oa_staterun_kill(struct oa_staterun *r)
{
    if (r->current)
        oa_exec_kill(r->current);
}
