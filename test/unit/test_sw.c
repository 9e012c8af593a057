/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The StatesWorker state machine, without child processes: a fake runner
 * finishes each state with a scripted result from a 0 ms timer (or never,
 * until killed), and the ops record every StateLog handed over. The loop is
 * real; every pause is a millisecond.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "mem.h"
#include "recipe.h"
#include "sw.h"

#define MAX_LOGS 64

struct fake {
    uv_loop_t loop;
    uv_timer_t timer;
    oa_staterun_cb cb;
    void *cb_ud;
    bool running;
    bool hang; /* never finish on its own */
    unsigned starts;
    unsigned kills;
    char started[MAX_LOGS][32]; /* ids, in order */
    /* What the ops saw. */
    struct oa_statelog *logs[MAX_LOGS];
    size_t n_logs;   /* all handed over; the first MAX_LOGS are kept */
    unsigned refuse; /* submit answers -EAGAIN this many times */
    unsigned stopped;
    struct oa_sw *sw;
    int stop_after_logs; /* > 0: oa_sw_stop(NOW) once this many logs arrived */
};

static void finish(struct fake *f, bool result, const char *comment)
{
    struct oa_state_outcome *o = oa_state_outcome_new(result, comment);
    f->running = false;
    o->output = oa_strdup("out");
    o->output_len = 3;
    f->cb(o, f->cb_ud);
}

static void on_fake_timer(uv_timer_t *t)
{
    struct fake *f = t->data;
    /* A state whose id starts with "bad" fails. */
    bool ok = strncmp(f->started[f->starts - 1], "bad", 3) != 0;
    finish(f, ok, ok ? "fine" : "broken");
}

static int fake_start(void *rud, const struct oa_state *st, oa_staterun_cb cb, void *cb_ud,
                      char *reterr, size_t errlen)
{
    struct fake *f = rud;

    assert_false(f->running);
    if (strcmp(st->module, "unstartable") == 0) {
        snprintf(reterr, errlen, "cannot start it");
        return -EINVAL;
    }
    snprintf(f->started[f->starts++ % MAX_LOGS], 32, "%s", st->id);
    f->running = true;
    f->cb = cb;
    f->cb_ud = cb_ud;
    if (!f->hang)
        uv_timer_start(&f->timer, on_fake_timer, 0, 0);
    return 0;
}

static void fake_kill(void *rud)
{
    struct fake *f = rud;
    f->kills++;
    if (f->running) {
        uv_timer_stop(&f->timer);
        finish(f, false, "killed");
    }
}

static int on_submit(void *ud, struct oa_statelog *l)
{
    struct fake *f = ud;

    if (f->refuse > 0) {
        f->refuse--;
        oa_msg_statelog_free(l);
        return -EAGAIN;
    }
    if (f->n_logs < MAX_LOGS)
        f->logs[f->n_logs] = l;
    else
        oa_msg_statelog_free(l);
    f->n_logs++;
    if (f->stop_after_logs > 0 && f->n_logs == (size_t)f->stop_after_logs)
        oa_sw_stop(f->sw, OA_STOP_NOW);
    return 0;
}

static void on_stopped(void *ud)
{
    struct fake *f = ud;
    f->stopped++;
}

static const struct oa_sw_ops ops = {on_submit, NULL, on_stopped, NULL};

static struct oa_sw_runner runner;

static struct fake *fake_new(bool once)
{
    struct fake *f = oa_calloc(1, sizeof(*f));
    struct oa_sw_settings s = {once, 1, 1};

    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->timer);
    f->timer.data = f;
    runner = (struct oa_sw_runner){fake_start, fake_kill, NULL, f};
    f->sw = oa_sw_new(&f->loop, &s, &ops, f, &runner);
    assert_non_null(f->sw);
    return f;
}

static void fake_free(struct fake *f)
{
    oa_sw_close(f->sw);
    uv_close((uv_handle_t *)&f->timer, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    for (size_t i = 0; i < f->n_logs && i < MAX_LOGS; i++)
        oa_msg_statelog_free(f->logs[i]);
    oa_free(f);
}

/* A recipe from JSON text; version 0 unless it is a RecipeMetadata. */
static struct oa_recipe *recipe(const char *json)
{
    struct oa_recipe *r = oa_calloc(1, sizeof(*r));
    char why[256];

    if (oa_recipe_parse(json, strlen(json), r, why, sizeof(why)) < 0)
        fail_msg("bad test recipe: %s", why);
    return r;
}

static const char three_states[] = "[{\"id\":\"a\",\"module\":\"m\",\"parameter\":{}},"
                                   "{\"id\":\"b\",\"module\":\"m\",\"parameter\":{}},"
                                   "{\"id\":\"c\",\"module\":\"m\",\"parameter\":{}}]";

static void assert_log(const struct fake *f, size_t i, const char *id, bool result,
                       long long version)
{
    assert_true(i < f->n_logs);
    assert_string_equal(f->logs[i]->id, id);
    assert_int_equal(f->logs[i]->result, result);
    assert_int_equal(f->logs[i]->recipe_version, version);
}

static void once_runs_every_state_in_order(void **unused)
{
    struct fake *f = fake_new(true);

    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 3);
    assert_log(f, 0, "a", true, 0);
    assert_log(f, 1, "b", true, 0);
    assert_log(f, 2, "c", true, 0);
    assert_string_equal(f->logs[0]->comment, "fine");
    assert_memory_equal(f->logs[0]->stdout_text, "out", 3);
    assert_int_equal(f->stopped, 1);
    assert_true(oa_sw_stopped(f->sw));
    fake_free(f);
}

static void once_stops_at_the_first_failure(void **unused)
{
    struct fake *f = fake_new(true);

    oa_sw_push_recipe(f->sw, recipe("[{\"id\":\"a\",\"module\":\"m\",\"parameter\":{}},"
                                    "{\"id\":\"bad\",\"module\":\"m\",\"parameter\":{}},"
                                    "{\"id\":\"c\",\"module\":\"m\",\"parameter\":{}}]"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 2);
    assert_log(f, 1, "bad", false, 0);
    assert_string_equal(f->logs[1]->comment, "broken");
    assert_int_equal(f->starts, 2);
    assert_int_equal(f->stopped, 1);
    fake_free(f);
}

static void meta_states_run_in_the_agent(void **unused)
{
    struct fake *f = fake_new(true);

    oa_sw_push_recipe(f->sw, recipe("[{\"id\":\"c\",\"module\":\"meta.comment\",\"parameter\":{}},"
                                    "{\"id\":\"w\",\"module\":\"meta.wait\",\"parameter\":{}}]"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->starts, 0);
    assert_int_equal(f->n_logs, 2);
    assert_log(f, 0, "c", true, 0);
    assert_null(f->logs[0]->comment);
    assert_null(f->logs[0]->stdout_text);
    assert_string_equal(f->logs[1]->comment, "Wait skipped: once mode has no backend");
    fake_free(f);
}

static void a_state_that_cannot_start_fails(void **unused)
{
    struct fake *f = fake_new(true);

    oa_sw_push_recipe(f->sw,
                      recipe("[{\"id\":\"x\",\"module\":\"unstartable\",\"parameter\":{}}]"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 1);
    assert_log(f, 0, "x", false, 0);
    assert_string_equal(f->logs[0]->comment, "cannot start it");
    fake_free(f);
}

static void a_failure_restarts_the_round_from_the_top(void **unused)
{
    struct fake *f = fake_new(false);

    f->stop_after_logs = 4; /* a, bad, a, bad */
    oa_sw_push_recipe(f->sw, recipe("[{\"id\":\"a\",\"module\":\"m\",\"parameter\":{}},"
                                    "{\"id\":\"bad\",\"module\":\"m\",\"parameter\":{}},"
                                    "{\"id\":\"c\",\"module\":\"m\",\"parameter\":{}}]"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 4);
    assert_log(f, 2, "a", true, 0);
    assert_log(f, 3, "bad", false, 0);
    assert_int_equal(f->starts, 4);
    assert_int_equal(f->stopped, 1);
    fake_free(f);
}

static void rounds_repeat_after_the_delay(void **unused)
{
    struct fake *f = fake_new(false);

    f->stop_after_logs = 7;
    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 7);
    assert_log(f, 3, "a", true, 0);
    assert_log(f, 6, "a", true, 0);
    fake_free(f);
}

static void a_refused_statelog_waits_for_resume(void **unused)
{
    struct fake *f = fake_new(true);

    f->refuse = 2;
    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* The first StateLog was refused twice; the worker waits in REPORTING. */
    assert_int_equal(f->n_logs, 0);
    assert_int_equal(f->starts, 1);
    assert_string_equal(oa_sw_state_name(f->sw), "REPORTING");
    oa_sw_resume(f->sw);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 0);
    oa_sw_resume(f->sw);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 3);
    assert_log(f, 0, "a", true, 0);
    assert_log(f, 2, "c", true, 0);
    fake_free(f);
}

static void stop_wait_lets_the_running_state_finish(void **unused)
{
    struct fake *f = fake_new(false);

    f->hang = true;
    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->starts, 1);
    oa_sw_stop(f->sw, OA_STOP_WAIT);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_string_equal(oa_sw_state_name(f->sw), "STOPPING");
    assert_int_equal(f->kills, 0);
    finish(f, true, "done late");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 1);
    assert_log(f, 0, "a", true, 0);
    assert_int_equal(f->starts, 1);
    assert_int_equal(f->stopped, 1);
    fake_free(f);
}

static void stop_now_kills_and_reports_nothing(void **unused)
{
    struct fake *f = fake_new(false);

    f->hang = true;
    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    oa_sw_stop(f->sw, OA_STOP_WAIT);
    oa_sw_stop(f->sw, OA_STOP_NOW);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->kills, 1);
    assert_int_equal(f->n_logs, 0);
    assert_int_equal(f->stopped, 1);
    fake_free(f);
}

static void stop_end_finishes_the_round(void **unused)
{
    struct fake *f = fake_new(false);

    oa_sw_push_recipe(f->sw, recipe(three_states));
    oa_sw_stop(f->sw, OA_STOP_END);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* Stopped from IDLE: nothing ran. */
    assert_int_equal(f->n_logs, 0);
    assert_int_equal(f->stopped, 1);
    fake_free(f);

    f = fake_new(false);
    f->hang = true;
    oa_sw_push_recipe(f->sw, recipe(three_states));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    oa_sw_stop(f->sw, OA_STOP_END);
    f->hang = false;
    finish(f, true, "first");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n_logs, 3);
    assert_int_equal(f->stopped, 1);
    fake_free(f);
}

static void a_new_recipe_waits_for_the_running_state(void **unused)
{
    struct fake *f = fake_new(false);

    f->hang = true;
    oa_sw_push_recipe(f->sw, recipe("{\"code\":\"RecipeMetadata\",\"recipe_version\":1,\"state\":"
                                    "[{\"id\":\"old1\",\"module\":\"m\",\"parameter\":{}},"
                                    "{\"id\":\"old2\",\"module\":\"m\",\"parameter\":{}}]}"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    oa_sw_push_recipe(f->sw, recipe("{\"code\":\"RecipeMetadata\",\"recipe_version\":2,\"state\":"
                                    "[{\"id\":\"new1\",\"module\":\"m\",\"parameter\":{}}]}"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->kills, 0); /* the running state is not killed */
    f->hang = false;
    f->stop_after_logs = 2;
    finish(f, true, "old finished");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_log(f, 0, "old1", true, 1);
    assert_log(f, 1, "new1", true, 2);
    assert_string_equal(f->started[1], "new1");
    fake_free(f);
}

static void the_same_version_is_ignored_and_no_states_keeps_them(void **unused)
{
    struct fake *f = fake_new(false);

    f->hang = true;
    oa_sw_push_recipe(f->sw, recipe("{\"code\":\"RecipeMetadata\",\"recipe_version\":5,\"state\":"
                                    "[{\"id\":\"s\",\"module\":\"m\",\"parameter\":{}}]}"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    oa_sw_push_recipe(f->sw, recipe("{\"code\":\"RecipeMetadata\",\"recipe_version\":5,\"state\":"
                                    "[{\"id\":\"other\",\"module\":\"m\",\"parameter\":{}}]}"));
    /* A push without states: version 6, same states. */
    struct oa_recipe *bump = oa_calloc(1, sizeof(*bump));
    bump->version = 6;
    oa_sw_push_recipe(f->sw, bump);
    f->hang = false;
    f->stop_after_logs = 2;
    finish(f, true, "v5");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_log(f, 0, "s", true, 5);
    assert_log(f, 1, "s", true, 6);
    fake_free(f);
}

static void a_wait_is_woken_by_its_own_id_only(void **unused)
{
    struct fake *f = fake_new(false);

    oa_sw_push_recipe(f->sw, recipe("{\"code\":\"RecipeMetadata\",\"recipe_version\":3,\"state\":"
                                    "[{\"id\":\"w\",\"module\":\"meta.wait\",\"parameter\":{}},"
                                    "{\"id\":\"after\",\"module\":\"m\",\"parameter\":{}}]}"));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_string_equal(oa_sw_state_name(f->sw), "WAITING");
    oa_sw_wait_done(f->sw, 2, "w");     /* another version */
    oa_sw_wait_done(f->sw, 3, "other"); /* another id */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_string_equal(oa_sw_state_name(f->sw), "WAITING");
    assert_int_equal(f->n_logs, 0);
    f->stop_after_logs = 4;
    oa_sw_wait_done(f->sw, 3, "w");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* Satisfied once, it stays satisfied in the next round. */
    assert_int_equal(f->n_logs, 4);
    assert_log(f, 0, "w", true, 3);
    assert_string_equal(f->logs[0]->comment, "Wait satisfied");
    assert_log(f, 1, "after", true, 3);
    assert_log(f, 2, "w", true, 3);
    fake_free(f);
}

static void many_in_agent_states_do_not_recurse(void **unused)
{
    struct fake *f = fake_new(true);
    size_t n = 20000, len = 0;
    char *json = oa_malloc(n * 64 + 8);

    json[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(json + len, 64, "%s{\"module\":\"meta.comment\",\"parameter\":{}}",
                                i ? "," : "");
    json[len++] = ']';
    json[len] = '\0';
    oa_sw_push_recipe(f->sw, recipe(json));
    oa_free(json);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->stopped, 1);
    assert_int_equal(f->n_logs, n);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(once_runs_every_state_in_order),
        cmocka_unit_test(once_stops_at_the_first_failure),
        cmocka_unit_test(meta_states_run_in_the_agent),
        cmocka_unit_test(a_state_that_cannot_start_fails),
        cmocka_unit_test(a_failure_restarts_the_round_from_the_top),
        cmocka_unit_test(rounds_repeat_after_the_delay),
        cmocka_unit_test(a_refused_statelog_waits_for_resume),
        cmocka_unit_test(stop_wait_lets_the_running_state_finish),
        cmocka_unit_test(stop_now_kills_and_reports_nothing),
        cmocka_unit_test(stop_end_finishes_the_round),
        cmocka_unit_test(a_new_recipe_waits_for_the_running_state),
        cmocka_unit_test(the_same_version_is_ignored_and_no_states_keeps_them),
        cmocka_unit_test(a_wait_is_woken_by_its_own_id_only),
        cmocka_unit_test(many_in_agent_states_do_not_recurse),
    };
    oa_log_set_level(OA_LOG_CRIT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
