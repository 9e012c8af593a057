/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `once` driver: the loop, the StatesWorker in once mode, the state
 * runner, SIGINT/SIGTERM (first: let the running state finish; second: kill
 * it), and the per-state lines on stdout.
 */
#include "once.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "mem.h"
#include "recipe.h"
#include "staterun.h"
#include "sw.h"

struct once {
    const struct oa_cfg *cfg;
    const struct oa_once_opts *opts;
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct oa_staterun runner;
    struct oa_sw *sw;
    const struct oa_recipe *recipe; /* owned by the worker */
    size_t n_states;
    size_t n_done; /* states that finished */
    size_t n_ok;
    size_t failed_at;    /* index of the first failed state, or SIZE_MAX */
    char *first_failure; /* its comment */
    unsigned signals;
};

static void put_one_line(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
}

static void print_json(struct once *o, struct oa_statelog *l)
{
    struct oa_buf b;

    oa_buf_init(&b, SIZE_MAX);
    l->instance_id = o->cfg->instance_id ? oa_strdup(o->cfg->instance_id) : NULL;
    l->app_id = o->cfg->app_id ? oa_strdup(o->cfg->app_id) : NULL;
    if (oa_msg_encode_statelog(l, OA_MSG_LOCAL_FIELDS, &b) == 0) {
        fwrite(b.data, 1, b.len, stdout);
        fputc('\n', stdout);
    } else {
        oa_log(OA_LOG_ERR, "cannot encode the StateLog of %s", l->id);
    }
    fflush(stdout);
    oa_buf_done(&b);
}

static void on_state_done(void *ud, size_t index, const struct oa_state *st,
                          const struct oa_state_outcome *out)
{
    struct once *o = ud;

    o->n_done = index + 1;
    if (out->result) {
        o->n_ok++;
    } else if (o->failed_at == SIZE_MAX) {
        o->failed_at = index;
        o->first_failure = oa_strdup(out->comment ? out->comment : "");
    }
    if (o->opts->json)
        return; /* the StateLog itself is printed by submit */
    printf("[%zu/%zu] %s %s %s %llu ms", index + 1, o->n_states, st->id, st->module,
           out->result ? "ok" : "FAILED", (unsigned long long)out->duration_ms);
    if (out->comment && out->comment[0]) {
        fputs(": ", stdout);
        put_one_line(stdout, out->comment);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

static int on_submit(void *ud, struct oa_statelog *l)
{
    struct once *o = ud;

    if (o->opts->json)
        print_json(o, l);
    oa_msg_statelog_free(l);
    return 0;
}

static void print_not_run(struct once *o, const char *why)
{
    for (size_t i = o->n_done; i < o->n_states; i++) {
        const struct oa_state *st = &o->recipe->states[i];
        if (o->opts->json) {
            struct oa_statelog l = {0};
            l.recipe_version = o->recipe->version;
            l.id = st->id;
            l.not_run = true;
            l.comment = (char *)why;
            print_json(o, &l);
            oa_free(l.instance_id);
            oa_free(l.app_id);
        } else {
            printf("[%zu/%zu] %s %s not run: %s\n", i + 1, o->n_states, st->id, st->module, why);
        }
    }
    fflush(stdout);
}

static void on_closed(uv_handle_t *h) {}

static void on_stopped(void *ud)
{
    struct once *o = ud;

    print_not_run(o, o->failed_at != SIZE_MAX ? "an earlier state failed" : "stopped by a signal");
    uv_close((uv_handle_t *)&o->sigint, on_closed);
    uv_close((uv_handle_t *)&o->sigterm, on_closed);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct once *o = s->data;

    o->signals++;
    oa_log(OA_LOG_NOTICE, "%s received: %s", strsignal(signum),
           o->signals == 1 ? "stopping after the running state (again to kill it)"
                           : "killing the running state");
    oa_sw_stop(o->sw, o->signals == 1 ? OA_STOP_WAIT : OA_STOP_NOW);
}

static const struct oa_sw_ops sw_ops = {on_submit, on_state_done, on_stopped, NULL};

static void summarize(const struct once *o)
{
    if (o->failed_at != SIZE_MAX)
        oa_log(OA_LOG_ERR, "%zu of %zu states succeeded; state %zu (%s) failed: %s", o->n_ok,
               o->n_states, o->failed_at + 1, o->recipe->states[o->failed_at].id,
               o->first_failure ? o->first_failure : "");
    else if (o->n_ok < o->n_states)
        oa_log(OA_LOG_WARNING, "%zu of %zu states ran; stopped before the end", o->n_ok,
               o->n_states);
    else
        oa_log(OA_LOG_NOTICE, "all %zu states succeeded%s", o->n_states,
               o->opts->dry_run ? " (dry run: nothing was changed)" : "");
}

static int drive(struct once *o, struct oa_recipe *recipe)
{
    const struct oa_cfg *cfg = o->cfg;
    struct oa_staterun_cfg rc = oa_staterun_cfg_from(cfg, o->opts->self_exe, o->opts->dry_run);
    struct oa_sw_settings ss = {true, cfg->delay_ms, cfg->retry_wait_ms};
    struct oa_sw_runner runner;
    int r;

    if ((r = uv_loop_init(&o->loop)) < 0) {
        oa_log(OA_LOG_CRIT, "cannot start the event loop: %s", uv_strerror(r));
        oa_msg_recipe_free(recipe);
        return OA_EXIT_SOFTWARE;
    }
    oa_staterun_runner(&o->runner, &runner);
    if (oa_staterun_init(&o->runner, &o->loop, &rc) < 0 ||
        !(o->sw = oa_sw_new(&o->loop, &ss, &sw_ops, o, &runner))) {
        oa_log(OA_LOG_CRIT, "out of memory");
        oa_staterun_done(&o->runner);
        oa_msg_recipe_free(recipe);
        uv_loop_close(&o->loop);
        return OA_EXIT_SOFTWARE;
    }
    uv_signal_init(&o->loop, &o->sigint);
    uv_signal_init(&o->loop, &o->sigterm);
    o->sigint.data = o->sigterm.data = o;
    uv_signal_start(&o->sigint, on_signal, SIGINT);
    uv_signal_start(&o->sigterm, on_signal, SIGTERM);

    o->recipe = recipe;
    o->n_states = recipe->n_states;
    oa_sw_push_recipe(o->sw, recipe);
    uv_run(&o->loop, UV_RUN_DEFAULT);

    summarize(o);
    r = o->n_ok == o->n_states ? OA_EXIT_OK : OA_EXIT_FAILED;
    oa_sw_close(o->sw);
    uv_run(&o->loop, UV_RUN_DEFAULT);
    oa_staterun_done(&o->runner);
    if (uv_loop_close(&o->loop) < 0)
        oa_debug("once: handles left open at exit");
    return r;
}

int oa_once_run(const struct oa_cfg *cfg, const struct oa_once_opts *opts)
{
    struct once o = {.cfg = cfg, .opts = opts, .failed_at = SIZE_MAX};
    struct oa_recipe *recipe = oa_calloc(1, sizeof(*recipe));
    char why[1024];
    int r;

    if (!recipe) {
        oa_log(OA_LOG_CRIT, "out of memory");
        return OA_EXIT_SOFTWARE;
    }
    r = oa_recipe_load(opts->recipe_path, recipe, why, sizeof(why));
    if (r < 0) {
        oa_log(OA_LOG_ERR, "%s", why);
        oa_free(recipe);
        return r == OA_ESYNTAX || r == OA_ESCHEMA || r == OA_EDEPTH ? OA_EXIT_DATAERR
                                                                    : OA_EXIT_NOINPUT;
    }
    /* A recipe file without a module repository uses the config's. */
    if (!recipe->mod_repo && cfg->mod_repo && cfg->mod_repo[0] && cfg->mod_tag && cfg->mod_tag[0]) {
        recipe->mod_repo = oa_strdup(cfg->mod_repo);
        recipe->mod_tag = oa_strdup(cfg->mod_tag);
    }
    oa_log(OA_LOG_INFO, "running %zu states from %s%s", recipe->n_states, opts->recipe_path,
           opts->dry_run ? " (dry run)" : "");
    r = drive(&o, recipe);
    oa_free(o.first_failure);
    return r;
}
