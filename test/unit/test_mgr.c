/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Manager state machine without sockets: a fake transport records what
 * the Manager sends and lets the test play the connection's events; fake
 * owner ops record what the Manager hands over. Timers are real and every
 * timing is a few milliseconds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backoff.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "mgr.h"

#define MAX_SENT 64

struct fake {
    uv_loop_t loop;
    struct oa_rng *rng;
    struct oa_ident ident;
    struct oa_mgr *mgr;
    struct oa_mgr_transport tr;
    /* the transport */
    const struct oa_conn_events *ev;
    void *ev_ud;
    unsigned starts, pings, aborts, closes;
    bool answer_pings;                /* a pong arrives as each ping goes out */
    uint64_t last_frame_at, abort_at; /* loop time of the last pong, of the abort */
    void *open_uds[16];               /* attempts whose on_closed the test has not played yet */
    size_t n_open;
    uint16_t close_code;
    char *sent[MAX_SENT];
    size_t n_sent;
    int64_t seq;
    /* the owner */
    unsigned ready, reloads, closed, recipes, updates, answers;
    int64_t last_recipe_version, waiting;
    char done_ids[8][32];
    size_t n_done;
};

static struct fake *F;

static int t_start(void *tud, const struct oa_conn_events *ev, void *ev_ud, void **ret)
{
    struct fake *f = tud;
    f->starts++;
    f->ev = ev;
    f->ev_ud = ev_ud;
    f->open_uds[f->n_open++] = ev_ud;
    *ret = f;
    return 0;
}

static int64_t t_send(void *conn, const char *msg, size_t len)
{
    struct fake *f = conn;
    assert_true(f->n_sent < MAX_SENT);
    f->sent[f->n_sent++] = oa_strndup(msg, len);
    return ++f->seq;
}

static int t_ping(void *conn)
{
    struct fake *f = conn;

    f->pings++;
    if (f->answer_pings) {
        f->last_frame_at = uv_now(&f->loop);
        f->ev->on_frame(f->ev_ud);
    }
    return 0;
}

static void t_close(void *conn, uint16_t code, const char *reason)
{
    struct fake *f = conn;
    f->closes++;
    f->close_code = code;
}

static void t_abort(void *conn, int err, const char *why)
{
    struct fake *f = conn;

    f->aborts++;
    f->abort_at = uv_now(&f->loop);
}

static void o_ready(void *ud)
{
    F->ready++;
}
static void o_recipe(void *ud, struct oa_recipe *r)
{
    F->recipes++;
    F->last_recipe_version = r->version;
    oa_msg_recipe_free(r);
}
static void o_wait_done(void *ud, int64_t v, const char *id)
{
    snprintf(F->done_ids[F->n_done++ % 8], 32, "%lld:%s", (long long)v, id);
}
static void o_update(void *ud, const char *v, const char *url)
{
    F->updates++;
}
static void o_answer(void *ud, bool result, const char *error)
{
    F->answers++;
}
static void o_reload(void *ud)
{
    F->reloads++;
}
static int64_t o_waiting(void *ud)
{
    return F->waiting;
}
static void o_closed(void *ud)
{
    F->closed++;
}

static const struct oa_mgr_ops ops = {o_ready,  o_recipe,  o_wait_done, o_update, o_answer,
                                      o_reload, o_waiting, NULL,        o_closed, NULL};

static struct fake *setup(void)
{
    struct oa_mgr_settings s = {
        .target = "ws://test/",
        .connect_timeout_ms = 30,
        .keepalive_ms = 10,
        .dead_after_ms = 45,
        .reconnect_min_ms = 1,
        .reconnect_max_ms = 4,
        .handshake_retry_ms = 15,
        .ready_reset_ms = 60000,
        .limits = {64, 1000},
    };
    struct fake *f = oa_calloc(1, sizeof(*f));

    F = f;
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(oa_rng_new(&f->rng), 0);
    f->ident.instance_id = oa_strdup("i-123");
    f->ident.app_id = oa_strdup("app-9");
    f->ident.agent_version = oa_strdup("1.2.3");
    f->ident.token = oa_strdup("secret-token");
    f->tr = (struct oa_mgr_transport){t_start, t_send, t_ping, t_close, t_abort, f};
    f->mgr = oa_mgr_new(&f->loop, &s, &f->ident, f->rng, &ops, f, &f->tr);
    return f;
}

static void on_run_for(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct fake *f, uint64_t ms)
{
    uv_timer_t t;

    uv_timer_init(&f->loop, &t);
    uv_timer_start(&t, on_run_for, ms, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void teardown_fake(struct fake *f)
{
    oa_mgr_stop(f->mgr);
    /* Every attempt still open closes now. */
    while (strcmp(oa_mgr_state_name(f->mgr), "CLOSING") == 0 && f->n_open > 0) {
        f->n_open--;
        f->ev->on_closed(f->open_uds[f->n_open], 0, 1001, "closed");
    }
    assert_string_equal(oa_mgr_state_name(f->mgr), "CLOSED");
    oa_mgr_close(f->mgr);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    for (size_t i = 0; i < f->n_sent; i++)
        oa_free(f->sent[i]);
    oa_ident_done(&f->ident);
    oa_rng_free(f->rng);
    oa_free(f);
}

/* The n-th message sent (0-based) has this code. */
static struct oa_json *sent_json(struct fake *f, size_t n)
{
    struct oa_json *j;
    assert_true(n < f->n_sent);
    assert_int_equal(oa_json_parse(f->sent[n], strlen(f->sent[n]), NULL, &j, NULL, 0), 0);
    return j;
}

static void assert_sent_code(struct fake *f, size_t n, const char *code)
{
    struct oa_json *j = sent_json(f, n);
    assert_string_equal(oa_json_get(j, "code")->u.str, code);
    oa_json_free(j);
}

/* The latest connection reports on_closed. */
static void play_closed(struct fake *f, int err, uint16_t code, const char *why)
{
    for (size_t i = 0; i < f->n_open; i++) {
        if (f->open_uds[i] == f->ev_ud) {
            f->open_uds[i] = f->open_uds[--f->n_open];
            f->ev->on_closed(f->ev_ud, err, code, why);
            return;
        }
    }
    fail_msg("that connection was closed already");
}

static void open_connection(struct fake *f)
{
    f->ev->on_phase(f->ev_ud, OA_CONN_CONNECTING);
    f->ev->on_phase(f->ev_ud, OA_CONN_UPGRADING);
    f->ev->on_phase(f->ev_ud, OA_CONN_OPEN);
}

static void push(struct fake *f, const char *text)
{
    f->ev->on_frame(f->ev_ud);
    f->ev->on_text(f->ev_ud, text, strlen(text));
}

static void handshake_then_ready(void **unused)
{
    struct fake *f = setup();
    struct oa_json *hs;

    oa_mgr_start(f->mgr);
    assert_int_equal(f->starts, 1);
    assert_string_equal(oa_mgr_state_name(f->mgr), "RESOLVING");
    open_connection(f);
    assert_string_equal(oa_mgr_state_name(f->mgr), "READY");
    assert_int_equal(f->ready, 1);
    hs = sent_json(f, 0);
    assert_string_equal(oa_json_get(hs, "code")->u.str, "Handshake");
    assert_string_equal(oa_json_get(hs, "instance_id")->u.str, "i-123");
    assert_string_equal(oa_json_get(hs, "app_id")->u.str, "app-9");
    assert_string_equal(oa_json_get(hs, "agent_version")->u.str, "1.2.3");
    assert_string_equal(oa_json_get(hs, "protocol_version")->u.str, "1");
    assert_string_equal(oa_json_get(hs, "instance_token")->u.str, "secret-token");
    assert_int_equal(oa_json_get(hs, "init_errors")->type, OA_JSON_NULL);
    oa_json_free(hs);
    teardown_fake(f);
}

static void messages_reach_the_owner(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    push(f, "{\"code\":\"RecipeMetadata\",\"recipe_version\":4,\"state\":[]}");
    push(f, "{\"code\":\"State\",\"recipe_version\":4,\"id\":\"w1\"}");
    push(f, "{\"code\":\"WaitList\",\"recipe_version\":4,\"waited\":[{\"instance_id\":\"i\","
            "\"state_id\":\"w2\"},{\"state_id\":\"w3\"}]}");
    push(f, "{\"code\":\"AgentUpdate\",\"version\":\"2.0\",\"url\":\"https://u\"}");
    push(f, "{\"code\":\"Test\"}");
    push(f, "{\"code\":\"TestAns\",\"result\":true,\"error\":null}");
    assert_int_equal(f->recipes, 1);
    assert_int_equal(f->last_recipe_version, 4);
    assert_int_equal(oa_mgr_recipe_version(f->mgr), 4);
    assert_int_equal(f->n_done, 3);
    assert_string_equal(f->done_ids[0], "4:w1");
    assert_string_equal(f->done_ids[2], "4:w3");
    assert_int_equal(f->updates, 1);
    assert_int_equal(f->answers, 1);
    assert_sent_code(f, 1, "Test");
    teardown_fake(f);
}

static void bad_messages_are_ignored_or_close(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    push(f, "[1,2]");
    push(f, "{\"code\":\"Nonsense\"}");
    push(f, "{\"no\":\"code\"}");
    push(f, "{\"code\":\"State\",\"recipe_version\":-1,\"id\":\"w\"}");
    push(f, "{\"code\":\"RecipeMetadata\",\"recipe_version\":2,\"state\":[{\"id\":1}]}");
    assert_string_equal(oa_mgr_state_name(f->mgr), "READY");
    assert_int_equal(f->recipes, 0);
    assert_int_equal(f->n_done, 0);
    push(f, "{not json");
    assert_int_equal(f->closes, 1);
    assert_int_equal(f->close_code, 1007);
    assert_string_equal(oa_mgr_state_name(f->mgr), "BACKOFF");
    /* The old connection's events no longer count. */
    f->ev->on_text(f->ev_ud, "{\"code\":\"Test\"}", 15);
    assert_int_equal(f->n_sent, 1);
    play_closed(f, 0, 1007, "closed");
    run_for(f, 10);
    assert_int_equal(f->starts, 2);
    teardown_fake(f);
}

static void app_not_ready_retries_the_handshake(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    push(f, "{\"code\":\"AppNotReady\"}");
    assert_string_equal(oa_mgr_state_name(f->mgr), "RETRY_WAIT");
    assert_int_equal(f->reloads, 1);
    assert_int_equal(f->n_sent, 1);
    run_for(f, 25);
    assert_string_equal(oa_mgr_state_name(f->mgr), "READY");
    assert_int_equal(f->n_sent, 2);
    assert_sent_code(f, 1, "Handshake");
    assert_int_equal(f->starts, 1); /* the same connection */
    teardown_fake(f);
}

static struct oa_statelog *statelog(const char *id, int64_t version)
{
    struct oa_statelog *l = oa_calloc(1, sizeof(*l));
    l->id = oa_strdup(id);
    l->recipe_version = version;
    l->result = true;
    return l;
}

static void statelogs_survive_a_reconnect_in_order(void **unused)
{
    struct fake *f = setup();
    struct oa_json *j;

    oa_mgr_start(f->mgr);
    assert_int_equal(oa_mgr_submit_statelog(f->mgr, statelog("early", 1)), -EAGAIN);
    open_connection(f);
    assert_int_equal(oa_mgr_submit_statelog(f->mgr, statelog("a", 1)), 0);
    assert_int_equal(oa_mgr_submit_statelog(f->mgr, statelog("b", 1)), 0);
    assert_int_equal(oa_mgr_queue_length(f->mgr), 2);
    f->ev->on_sent(f->ev_ud, 2); /* the backend confirmed the Handshake and "a" */
    assert_int_equal(oa_mgr_queue_length(f->mgr), 1);
    /* The connection dies before "b" was written. */
    play_closed(f, UV_ECONNRESET, 0, "reset");
    assert_string_equal(oa_mgr_state_name(f->mgr), "BACKOFF");
    run_for(f, 10);
    assert_int_equal(f->starts, 2);
    open_connection(f);
    /* Handshake, a, b | Handshake, b */
    assert_int_equal(f->n_sent, 5);
    assert_sent_code(f, 3, "Handshake");
    j = sent_json(f, 4);
    assert_string_equal(oa_json_get(j, "code")->u.str, "StateLog");
    assert_string_equal(oa_json_get(j, "id")->u.str, "b");
    assert_string_equal(oa_json_get(j, "instance_id")->u.str, "i-123");
    oa_json_free(j);
    teardown_fake(f);
}

static void superseded_statelogs_are_dropped(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    assert_int_equal(oa_mgr_submit_statelog(f->mgr, statelog("old", 1)), 0);
    push(f, "{\"code\":\"RecipeMetadata\",\"recipe_version\":2}");
    play_closed(f, UV_ECONNRESET, 0, "reset");
    run_for(f, 10);
    open_connection(f);
    assert_int_equal(oa_mgr_queue_length(f->mgr), 0);
    assert_sent_code(f, f->n_sent - 1, "Handshake");
    teardown_fake(f);
}

static void the_attempt_has_a_deadline(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    f->ev->on_phase(f->ev_ud, OA_CONN_CONNECTING);
    run_for(f, 40);
    assert_int_equal(f->aborts, 1);
    play_closed(f, UV_ETIMEDOUT, 0, "deadline");
    run_for(f, 10);
    assert_true(f->starts >= 2);
    teardown_fake(f);
}

static void pings_and_a_dead_peer(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    /* A peer that answers every ping at once keeps the connection up
     * however late this loop gets to run: the ping timer (10 ms) is always
     * due before the dead one (45 ms after the last frame). */
    f->answer_pings = true;
    for (int i = 0; i < 100 && f->pings < 4; i++)
        run_for(f, 10);
    assert_true(f->pings >= 4);
    assert_int_equal(f->aborts, 0);
    /* Silence: the peer is dead 45 ms after its last frame, not before,
     * then comes a new attempt. */
    f->answer_pings = false;
    for (int i = 0; i < 100 && f->starts < 2; i++)
        run_for(f, 10);
    assert_int_equal(f->aborts, 1);
    assert_true(f->abort_at - f->last_frame_at >= 45);
    assert_int_equal(f->starts, 2);
    teardown_fake(f);
}

static void a_pending_wait_asks_after_the_handshake(void **unused)
{
    struct fake *f = setup();
    struct oa_json *j;

    f->waiting = 7;
    oa_mgr_start(f->mgr);
    open_connection(f);
    j = sent_json(f, 1);
    assert_string_equal(oa_json_get(j, "code")->u.str, "WaitQuery");
    assert_string_equal(oa_json_get(j, "recipe_version")->u.str, "7");
    oa_json_free(j);
    teardown_fake(f);
}

static void stop_closes_with_1001(void **unused)
{
    struct fake *f = setup();

    oa_mgr_start(f->mgr);
    open_connection(f);
    oa_mgr_stop(f->mgr);
    assert_string_equal(oa_mgr_state_name(f->mgr), "CLOSING");
    assert_int_equal(f->close_code, 1001);
    play_closed(f, 0, 1001, "closed");
    assert_int_equal(f->closed, 1);
    teardown_fake(f);
}

static void backoff_spreads_a_fleet_over_the_window(void **unused)
{
    struct oa_rng *rng;
    unsigned buckets[10] = {0};

    assert_int_equal(oa_rng_new(&rng), 0);
    /* 1,000 agents losing the backend at once, each on its 4th attempt
     * (window 0..8 s with a 1 s base): no second of the window gets more
     * than twice its fair share, and none is empty. */
    for (int i = 0; i < 1000; i++) {
        uint64_t d = oa_backoff_delay_ms(1000, 60000, 3, oa_rng_below(rng, UINT64_MAX));
        assert_true(d <= 8000);
        buckets[d * 10 / 8001]++;
    }
    for (int i = 0; i < 10; i++) {
        assert_true(buckets[i] > 50);
        assert_true(buckets[i] < 200);
    }
    assert_int_equal(oa_backoff_ceiling_ms(1000, 60000, 0), 1000);
    assert_int_equal(oa_backoff_ceiling_ms(1000, 60000, 5), 32000);
    assert_int_equal(oa_backoff_ceiling_ms(1000, 60000, 6), 60000);
    assert_int_equal(oa_backoff_ceiling_ms(1000, 60000, 200), 60000);
    oa_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_then_ready),
        cmocka_unit_test(messages_reach_the_owner),
        cmocka_unit_test(bad_messages_are_ignored_or_close),
        cmocka_unit_test(app_not_ready_retries_the_handshake),
        cmocka_unit_test(statelogs_survive_a_reconnect_in_order),
        cmocka_unit_test(superseded_statelogs_are_dropped),
        cmocka_unit_test(the_attempt_has_a_deadline),
        cmocka_unit_test(pings_and_a_dead_peer),
        cmocka_unit_test(a_pending_wait_asks_after_the_handshake),
        cmocka_unit_test(stop_closes_with_1001),
        cmocka_unit_test(backoff_spreads_a_fleet_over_the_window),
    };
    oa_log_set_level(getenv("TEST_DEBUG") ? OA_LOG_DEBUG : OA_LOG_CRIT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
