/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Manager state machine. Only set_state() writes m->state: it checks the
 * move against the table of legal successors, logs it at debug level, stops
 * the timers the old state owned and runs the new state's entry hook.
 *
 * Each connection attempt carries a generation number. When the Manager
 * gives up on a connection it bumps the generation and aborts it; the
 * connection's later callbacks see an old generation and are dropped, except
 * the final on_closed, which frees the attempt.
 */
#include "mgr.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "backoff.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "parse.h"

enum mgr_state {
    MGR_DISCONNECTED,  /* not started */
    MGR_RESOLVING,     /* looking up the backend's (or the proxy's) name */
    MGR_CONNECTING,    /* TCP connect, and CONNECT through a proxy */
    MGR_TLS_HANDSHAKE, /* wss only */
    MGR_UPGRADING,     /* HTTP upgrade sent */
    MGR_HANDSHAKING,   /* WebSocket open; the Handshake is being sent */
    MGR_READY,         /* messages flow both ways */
    MGR_RETRY_WAIT,    /* AppNotReady: wait handshake_retry, then Handshake again */
    MGR_BACKOFF,       /* waiting before the next attempt */
    MGR_CLOSING,       /* stop requested: the connection is closing */
    MGR_CLOSED,        /* final */
    MGR_STATE_COUNT
};

static const char *const state_names[] = {
    [MGR_DISCONNECTED] = "DISCONNECTED",
    [MGR_RESOLVING] = "RESOLVING",
    [MGR_CONNECTING] = "CONNECTING",
    [MGR_TLS_HANDSHAKE] = "TLS_HANDSHAKE",
    [MGR_UPGRADING] = "UPGRADING",
    [MGR_HANDSHAKING] = "HANDSHAKING",
    [MGR_READY] = "READY",
    [MGR_RETRY_WAIT] = "RETRY_WAIT",
    [MGR_BACKOFF] = "BACKOFF",
    [MGR_CLOSING] = "CLOSING",
    [MGR_CLOSED] = "CLOSED",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == MGR_STATE_COUNT,
               "a name for every state");

/* Warnings about ignored messages are limited to one per window, plus one
 * line at its end counting the others (logged at debug level): a backend
 * that floods must not flood the journal, which drops a service's lines
 * beyond 10,000 in 30 s by default. */
#define IGNORED_WINDOW_MS 1000

#define S(x) (1u << (x))
#define ATTEMPT_STATES                                                                             \
    (S(MGR_RESOLVING) | S(MGR_CONNECTING) | S(MGR_TLS_HANDSHAKE) | S(MGR_UPGRADING))
#define OPEN_STATES (S(MGR_HANDSHAKING) | S(MGR_READY) | S(MGR_RETRY_WAIT))

static const unsigned legal_next[MGR_STATE_COUNT] = {
    [MGR_DISCONNECTED] = S(MGR_RESOLVING) | S(MGR_CLOSED),
    [MGR_RESOLVING] = S(MGR_CONNECTING) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_CONNECTING] = S(MGR_TLS_HANDSHAKE) | S(MGR_UPGRADING) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_TLS_HANDSHAKE] = S(MGR_UPGRADING) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_UPGRADING] = S(MGR_HANDSHAKING) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_HANDSHAKING] = S(MGR_READY) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_READY] = S(MGR_RETRY_WAIT) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_RETRY_WAIT] = S(MGR_HANDSHAKING) | S(MGR_BACKOFF) | S(MGR_CLOSING),
    [MGR_BACKOFF] = S(MGR_RESOLVING) | S(MGR_CLOSING) | S(MGR_CLOSED),
    [MGR_CLOSING] = S(MGR_CLOSED),
    [MGR_CLOSED] = 0,
};

/* One connection attempt; the connection's callbacks get it as user data. */
struct attempt {
    struct oa_mgr *m;
    uint64_t gen;
    void *conn;
};

struct queued {
    TAILQ_ENTRY(queued) link;
    struct oa_statelog *log;
    uint64_t seq; /* its message number on the current connection, 0: not sent */
};

struct oa_mgr {
    uv_loop_t *loop;
    struct oa_mgr_settings set;
    const struct oa_ident *ident;
    struct oa_rng *rng;
    const struct oa_mgr_ops *ops;
    void *ud;
    const struct oa_mgr_transport *tr;

    enum mgr_state state;
    bool in_transition, has_next;
    enum mgr_state next;
    const char *next_reason;

    struct attempt *cur; /* the connection in use, or NULL */
    uint64_t gen;
    unsigned attempts_alive;
    unsigned failures;    /* consecutive failed attempts: the backoff exponent */
    uint64_t backoff_ms;  /* the wait chosen for BACKOFF */
    uint64_t ready_since; /* uv_now() when READY was reached on this connection */
    bool announced;       /* READY was logged for this connection */
    char last_error[256]; /* to log a repeating failure once */
    int64_t recipe_version;

    TAILQ_HEAD(, queued) queue;
    size_t queue_len;

    uv_timer_t deadline; /* the attempt's deadline (ATTEMPT_STATES) */
    uv_timer_t ping;     /* keep-alive (OPEN_STATES) */
    uv_timer_t dead;     /* silence means a dead peer (OPEN_STATES) */
    uv_timer_t wait;     /* RETRY_WAIT and BACKOFF */
    uv_timer_t quiet;    /* the window after a warning about an ignored message */
    unsigned open_timers;
    unsigned ignored;       /* messages ignored without a warning in this window */
    char last_ignored[256]; /* why the last of them was ignored */
};

static void set_state(struct oa_mgr *m, enum mgr_state to, const char *reason);
static const struct oa_conn_events conn_events;

static void timer_stop_owned(struct oa_mgr *m, enum mgr_state from, enum mgr_state to)
{
    if ((S(from) & ATTEMPT_STATES) && !(S(to) & ATTEMPT_STATES))
        uv_timer_stop(&m->deadline);
    if ((S(from) & OPEN_STATES) && !(S(to) & OPEN_STATES)) {
        uv_timer_stop(&m->ping);
        uv_timer_stop(&m->dead);
    }
    if (from == MGR_RETRY_WAIT || from == MGR_BACKOFF)
        uv_timer_stop(&m->wait);
}

/* Forgets the current connection: its later callbacks are stale. */
static void *detach(struct oa_mgr *m)
{
    void *conn = m->cur ? m->cur->conn : NULL;

    m->gen++;
    m->cur = NULL;
    return conn;
}

/* Every queued StateLog is sent again on the next connection. */
static void requeue_all(struct oa_mgr *m)
{
    struct queued *q;
    TAILQ_FOREACH(q, &m->queue, link)
    q->seq = 0;
}

static void log_wait(struct oa_mgr *m, const char *why)
{
    char when[32], at[16];
    time_t t = time(NULL) + (time_t)((m->backoff_ms + 999) / 1000);
    struct tm tm;
    bool same = strcmp(why, m->last_error) == 0;

    localtime_r(&t, &tm);
    strftime(at, sizeof(at), "%H:%M:%S", &tm);
    /* A failure repeating in the backoff loop is a warning only when its
     * cause changes. */
    oa_log(same ? OA_LOG_INFO : OA_LOG_WARNING, "%s; reconnecting in %s (at %s)", why,
           oa_format_duration(m->backoff_ms, when, sizeof(when)), at);
    snprintf(m->last_error, sizeof(m->last_error), "%s", why);
}

/* The connection failed or ended: wait, then try again. */
static void lost(struct oa_mgr *m, const char *why)
{
    uint64_t now = uv_now(m->loop);

    if (m->ready_since && now - m->ready_since >= m->set.ready_reset_ms)
        m->failures = 0;
    m->ready_since = 0;
    m->backoff_ms = oa_backoff_delay_ms(m->set.reconnect_min_ms, m->set.reconnect_max_ms,
                                        m->failures, oa_rng_below(m->rng, UINT64_MAX));
    if (m->failures < 32)
        m->failures++;
    requeue_all(m);
    log_wait(m, why);
    set_state(m, MGR_BACKOFF, why);
    if (m->ops->lost)
        m->ops->lost(m->ud, why);
}

/* Gives up on the current connection (aborting it) and backs off. */
static void drop(struct oa_mgr *m, int err, const char *why)
{
    void *conn = detach(m);

    if (conn)
        m->tr->abort(conn, err, why);
    lost(m, why);
}

static int send_msg(struct oa_mgr *m, const struct oa_buf *b, int64_t *ret_seq)
{
    int64_t seq;

    if (!m->cur)
        return OA_ECLOSED;
    seq = m->tr->send_text(m->cur->conn, b->data, b->len);
    if (seq < 0)
        return (int)seq;
    if (ret_seq)
        *ret_seq = seq;
    return 0;
}

static void send_statelog(struct oa_mgr *m, struct queued *q)
{
    struct oa_buf b;
    int64_t seq = 0;

    oa_buf_init(&b, SIZE_MAX);
    if (oa_msg_encode_statelog(q->log, 0, &b) == 0 && send_msg(m, &b, &seq) == 0)
        q->seq = (uint64_t)seq;
    oa_debug("mgr: -> StateLog %s (%zu bytes, #%llu)", q->log->id, b.len,
             (unsigned long long)q->seq);
    oa_buf_done(&b);
}

static void drop_entry(struct oa_mgr *m, struct queued *q)
{
    TAILQ_REMOVE(&m->queue, q, link);
    m->queue_len--;
    oa_msg_statelog_free(q->log);
    oa_free(q);
}

/* Right after the Handshake: what waited is sent in order; StateLogs of a
 * recipe the backend has since replaced are dropped. */
static void flush_queue(struct oa_mgr *m)
{
    struct queued *q, *next;

    for (q = TAILQ_FIRST(&m->queue); q; q = next) {
        next = TAILQ_NEXT(q, link);
        if (q->seq)
            continue;
        if (q->log->recipe_version < m->recipe_version) {
            oa_log(OA_LOG_NOTICE,
                   "dropping the StateLog of %s: recipe version %lld replaced version %lld",
                   q->log->id, (long long)m->recipe_version, (long long)q->log->recipe_version);
            drop_entry(m, q);
            continue;
        }
        send_statelog(m, q);
    }
}

static void send_handshake(struct oa_mgr *m, bool test)
{
    struct oa_msg_ident id = oa_ident_view(m->ident);
    struct oa_buf b;

    oa_buf_init(&b, SIZE_MAX);
    if (oa_msg_encode_handshake(&id, test, &b) < 0 || send_msg(m, &b, NULL) < 0)
        oa_log(OA_LOG_WARNING, "cannot send the %s message", test ? "Test" : "Handshake");
    else
        oa_debug("mgr: -> %s (%zu bytes)", test ? "Test" : "Handshake", b.len);
    oa_buf_done(&b);
}

static void send_wait_query(struct oa_mgr *m, int64_t version)
{
    struct oa_msg_ident id = oa_ident_view(m->ident);
    struct oa_buf b;

    oa_buf_init(&b, SIZE_MAX);
    if (oa_msg_encode_wait_query(&id, version, &b) == 0 && send_msg(m, &b, NULL) == 0)
        oa_debug("mgr: -> WaitQuery for recipe version %lld", (long long)version);
    oa_buf_done(&b);
}

/* The line counting the messages ignored without a warning; false when
 * there were none. */
static bool log_ignored(struct oa_mgr *m)
{
    char d[32];

    if (m->ignored == 0)
        return false;
    oa_log(OA_LOG_WARNING,
           "ignored %u more message%s from the backend in the last %s; the last: %s", m->ignored,
           m->ignored == 1 ? "" : "s", oa_format_duration(IGNORED_WINDOW_MS, d, sizeof(d)),
           m->last_ignored);
    m->ignored = 0;
    return true;
}

static void on_timer(uv_timer_t *t)
{
    struct oa_mgr *m = t->data;
    char text[128], d[32];

    if (t == &m->deadline) {
        snprintf(text, sizeof(text), "connecting to %s timed out after %s", m->set.target,
                 oa_format_duration(m->set.connect_timeout_ms, d, sizeof(d)));
        drop(m, UV_ETIMEDOUT, text);
    } else if (t == &m->dead) {
        snprintf(text, sizeof(text), "no frame from %s for %s: the connection is dead",
                 m->set.target, oa_format_duration(m->set.dead_after_ms, d, sizeof(d)));
        drop(m, UV_ETIMEDOUT, text);
    } else if (t == &m->ping) {
        if (m->cur && m->tr->ping(m->cur->conn) == 0)
            oa_debug("mgr: -> ping");
    } else if (t == &m->quiet) {
        if (log_ignored(m))
            uv_timer_start(&m->quiet, on_timer, IGNORED_WINDOW_MS, 0);
    } else if (m->state == MGR_RETRY_WAIT) {
        set_state(m, MGR_HANDSHAKING, "handshake retry");
    } else if (m->state == MGR_BACKOFF) {
        set_state(m, MGR_RESOLVING, "backoff over");
    }
}

static void enter_resolving(struct oa_mgr *m)
{
    struct attempt *a = oa_calloc(1, sizeof(*a));
    int r;

    if (m->set.insecure)
        oa_log(OA_LOG_WARNING, "TLS certificate checks are off (insecure = true) for %s",
               m->set.target);
    oa_log(OA_LOG_INFO, "connecting to %s", m->set.target);
    if (!a) {
        lost(m, "out of memory");
        return;
    }
    a->m = m;
    a->gen = ++m->gen;
    m->cur = a;
    m->attempts_alive++;
    uv_timer_start(&m->deadline, on_timer, m->set.connect_timeout_ms, 0);
    r = m->tr->start(m->tr->tud, &conn_events, a, &a->conn);
    if (r < 0) {
        m->attempts_alive--;
        m->cur = NULL;
        oa_free(a);
        lost(m, "cannot start a connection: out of memory");
    }
}

static void enter_handshaking(struct oa_mgr *m)
{
    if (!uv_is_active((uv_handle_t *)&m->ping)) {
        uv_timer_start(&m->ping, on_timer, m->set.keepalive_ms, m->set.keepalive_ms);
        uv_timer_start(&m->dead, on_timer, m->set.dead_after_ms, 0);
    }
    send_handshake(m, false);
    set_state(m, MGR_READY, "Handshake sent");
}

static void enter_ready(struct oa_mgr *m)
{
    int64_t waiting = m->ops->waiting_version ? m->ops->waiting_version(m->ud) : 0;

    if (!m->announced) {
        oa_log(OA_LOG_NOTICE, "connected to %s", m->set.target);
        m->announced = true;
        m->last_error[0] = '\0';
        m->ready_since = uv_now(m->loop);
    }
    flush_queue(m);
    if (waiting > 0)
        send_wait_query(m, waiting);
    m->ops->ready(m->ud);
}

static void enter_retry_wait(struct oa_mgr *m)
{
    char d[32];

    oa_log(OA_LOG_NOTICE, "the backend says the app is not ready; Handshake again in %s",
           oa_format_duration(m->set.handshake_retry_ms, d, sizeof(d)));
    if (m->ops->reload_identity)
        m->ops->reload_identity(m->ud);
    uv_timer_start(&m->wait, on_timer, m->set.handshake_retry_ms, 0);
}

static void enter_backoff(struct oa_mgr *m)
{
    m->announced = false;
    uv_timer_start(&m->wait, on_timer, m->backoff_ms, 0);
}

static void enter_closed(struct oa_mgr *m)
{
    /* The window must not keep the loop, or the count wait, till it ends. */
    (void)log_ignored(m);
    uv_timer_stop(&m->quiet);
    oa_log(OA_LOG_NOTICE, "disconnected from %s", m->set.target);
    if (m->ops->closed)
        m->ops->closed(m->ud);
}

typedef void (*enter_fn)(struct oa_mgr *m);
static const enter_fn enter_hooks[MGR_STATE_COUNT] = {
    [MGR_RESOLVING] = enter_resolving, [MGR_HANDSHAKING] = enter_handshaking,
    [MGR_READY] = enter_ready,         [MGR_RETRY_WAIT] = enter_retry_wait,
    [MGR_BACKOFF] = enter_backoff,     [MGR_CLOSED] = enter_closed,
};

static void set_state(struct oa_mgr *m, enum mgr_state to, const char *reason)
{
    m->next = to;
    m->next_reason = reason;
    m->has_next = true;
    if (m->in_transition)
        return;
    m->in_transition = true;
    while (m->has_next) {
        enum mgr_state from = m->state;
        to = m->next;
        reason = m->next_reason;
        m->has_next = false;
        if (to == from)
            continue;
        assert(legal_next[from] & S(to));
        oa_debug("mgr: %s -> %s (%s)", state_names[from], state_names[to], reason);
        timer_stop_owned(m, from, to);
        m->state = to;
        if (enter_hooks[to])
            enter_hooks[to](m);
    }
    m->in_transition = false;
    if (m->ops->changed)
        m->ops->changed(m->ud);
}

/* ---- what the backend sends ---- */

static void reject(const char *what, const char *why, const char *text, size_t len)
{
    char sample[256];
    oa_log(OA_LOG_WARNING, "%s: %s, ignoring; it began with: %s", what, why,
           oa_msg_sample(text, len, sample, sizeof(sample)));
}

/* A message that is ignored: rejected as reject() does, with at most one
 * warning per window. */
static void ignore(struct oa_mgr *m, const char *what, const char *why, const char *text,
                   size_t len)
{
    char sample[256];

    if (!uv_is_active((uv_handle_t *)&m->quiet)) {
        reject(what, why, text, len);
        uv_timer_start(&m->quiet, on_timer, IGNORED_WINDOW_MS, 0);
        return;
    }
    m->ignored++;
    snprintf(m->last_ignored, sizeof(m->last_ignored), "%s", why);
    oa_debug("%s: %s, ignoring; it began with: %s", what, why,
             oa_msg_sample(text, len, sample, sizeof(sample)));
}

static void dispatch(struct oa_mgr *m, struct oa_msg *msg)
{
    switch (msg->code) {
    case OA_MSG_APP_NOT_READY:
        if (m->state == MGR_READY || m->state == MGR_HANDSHAKING)
            set_state(m, MGR_RETRY_WAIT, "AppNotReady");
        break;
    case OA_MSG_RECIPE:
        oa_log(OA_LOG_NOTICE, "recipe version %lld received (%zu states)",
               (long long)msg->recipe->version, msg->recipe->n_states);
        m->recipe_version = msg->recipe->version;
        m->ops->recipe(m->ud, msg->recipe);
        msg->recipe = NULL;
        break;
    case OA_MSG_STATE:
        m->ops->wait_done(m->ud, msg->version, msg->id);
        break;
    case OA_MSG_WAIT_LIST:
        for (size_t i = 0; i < msg->n_ids; i++)
            m->ops->wait_done(m->ud, msg->version, msg->ids[i]);
        break;
    case OA_MSG_AGENT_UPDATE:
        m->ops->update(m->ud, msg->update_version, msg->update_url);
        break;
    case OA_MSG_TEST:
        send_handshake(m, true);
        break;
    case OA_MSG_TEST_ANS:
        oa_log(msg->test_result ? OA_LOG_NOTICE : OA_LOG_ERR, "installation test %s%s%s",
               msg->test_result ? "passed" : "failed", msg->test_error ? ": " : "",
               msg->test_error ? msg->test_error : "");
        if (m->ops->test_answer)
            m->ops->test_answer(m->ud, msg->test_result, msg->test_error);
        break;
    case OA_MSG_UNKNOWN:
        break;
    }
}

static void handle_text(struct oa_mgr *m, const char *text, size_t len)
{
    static const char *const codes[] = {"unknown",  "AppNotReady", "RecipeMetadata", "State",
                                        "WaitList", "AgentUpdate", "Test",           "TestAns"};
    struct oa_msg msg;
    char why[512];
    int r = oa_msg_decode(text, len, &m->set.limits, &msg, why, sizeof(why));

    if (r == OA_ESYNTAX) {
        /* protocol.md: text that is not JSON closes with 1007. */
        void *conn = detach(m);
        reject("invalid JSON from the backend", why, text, len);
        m->tr->close(conn, 1007, "invalid JSON");
        lost(m, "closed the connection after invalid JSON (1007)");
        return;
    }
    if (r < 0) {
        ignore(m, "rejected a message from the backend", why, text, len);
        return;
    }
    oa_debug("mgr: <- %s (%zu bytes)", codes[msg.code], len);
    if (msg.code == OA_MSG_UNKNOWN)
        ignore(m, "ignoring a message from the backend", why, text, len);
    else
        dispatch(m, &msg);
    oa_msg_done(&msg);
}

/* ---- the connection's events ---- */

static struct oa_mgr *live(void *ud)
{
    struct attempt *a = ud;
    return a->gen == a->m->gen ? a->m : NULL;
}

static void on_conn_phase(void *ud, enum oa_conn_phase phase)
{
    struct oa_mgr *m = live(ud);
    static const enum mgr_state map[] = {
        [OA_CONN_RESOLVING] = MGR_RESOLVING, [OA_CONN_CONNECTING] = MGR_CONNECTING,
        [OA_CONN_PROXY] = MGR_CONNECTING,    [OA_CONN_TLS] = MGR_TLS_HANDSHAKE,
        [OA_CONN_UPGRADING] = MGR_UPGRADING, [OA_CONN_OPEN] = MGR_HANDSHAKING,
    };

    if (!m || phase == OA_CONN_CLOSING || m->state == MGR_CLOSING)
        return;
    set_state(m, map[phase], oa_conn_phase_name(phase));
}

static void on_conn_text(void *ud, const char *msg, size_t len)
{
    struct oa_mgr *m = live(ud);

    if (m && (S(m->state) & OPEN_STATES))
        handle_text(m, msg, len);
}

static void on_conn_frame(void *ud)
{
    struct oa_mgr *m = live(ud);

    if (m && (S(m->state) & OPEN_STATES)) {
        /* The loop's time is that of the start of this turn, and a burst of
         * input can take a while: the frame is from now. */
        uv_update_time(m->loop);
        uv_timer_start(&m->dead, on_timer, m->set.dead_after_ms, 0);
    }
}

static void on_conn_sent(void *ud, uint64_t seq)
{
    struct oa_mgr *m = live(ud);
    struct queued *q;

    while (m && (q = TAILQ_FIRST(&m->queue)) && q->seq && q->seq <= seq) {
        oa_debug("mgr: StateLog %s confirmed by the backend", q->log->id);
        drop_entry(m, q);
    }
}

static void on_conn_closed(void *ud, int err, uint16_t ws_code, const char *why)
{
    struct attempt *a = ud;
    struct oa_mgr *m = a->m;
    bool current = a->gen == m->gen;
    char text[400];

    m->attempts_alive--;
    oa_free(a);
    if (current)
        m->cur = NULL;
    if (m->state == MGR_CLOSING) {
        if (m->attempts_alive == 0)
            set_state(m, MGR_CLOSED, "connection closed");
        return;
    }
    if (!current)
        return;
    snprintf(text, sizeof(text), "connection to %s %s: %s", m->set.target,
             S(m->state) & OPEN_STATES ? "lost" : "failed", why && why[0] ? why : "closed");
    m->gen++;
    lost(m, text);
    (void)err;
    (void)ws_code;
}

static const struct oa_conn_events conn_events = {
    on_conn_phase, on_conn_text, on_conn_frame, on_conn_sent, on_conn_closed,
};

/* ---- the public side ---- */

struct oa_mgr *oa_mgr_new(uv_loop_t *loop, const struct oa_mgr_settings *s,
                          const struct oa_ident *ident, struct oa_rng *rng,
                          const struct oa_mgr_ops *ops, void *ud,
                          const struct oa_mgr_transport *transport)
{
    struct oa_mgr *m = oa_calloc(1, sizeof(*m));
    uv_timer_t *timers[5];

    if (!m)
        return NULL;
    m->loop = loop;
    m->set = *s;
    m->ident = ident;
    m->rng = rng;
    m->ops = ops;
    m->ud = ud;
    m->tr = transport;
    TAILQ_INIT(&m->queue);
    timers[0] = &m->deadline;
    timers[1] = &m->ping;
    timers[2] = &m->dead;
    timers[3] = &m->wait;
    timers[4] = &m->quiet;
    for (size_t i = 0; i < 5; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = m;
    }
    return m;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct oa_mgr *m = h->data;
    struct queued *q;

    if (--m->open_timers > 0)
        return;
    while ((q = TAILQ_FIRST(&m->queue)))
        drop_entry(m, q);
    oa_free(m);
}

void oa_mgr_close(struct oa_mgr *m)
{
    if (!m)
        return;
    assert(m->state == MGR_DISCONNECTED || m->state == MGR_CLOSED);
    m->open_timers = 5;
    uv_close((uv_handle_t *)&m->deadline, on_timer_closed);
    uv_close((uv_handle_t *)&m->ping, on_timer_closed);
    uv_close((uv_handle_t *)&m->dead, on_timer_closed);
    uv_close((uv_handle_t *)&m->wait, on_timer_closed);
    uv_close((uv_handle_t *)&m->quiet, on_timer_closed);
}

void oa_mgr_start(struct oa_mgr *m)
{
    if (m->state == MGR_DISCONNECTED)
        set_state(m, MGR_RESOLVING, "start");
}

void oa_mgr_stop(struct oa_mgr *m)
{
    void *conn;

    switch (m->state) {
    case MGR_DISCONNECTED:
    case MGR_BACKOFF:
        set_state(m, m->attempts_alive ? MGR_CLOSING : MGR_CLOSED, "stop requested");
        break;
    case MGR_CLOSING:
    case MGR_CLOSED:
        break;
    default:
        conn = m->cur ? m->cur->conn : NULL;
        set_state(m, MGR_CLOSING, "stop requested");
        /* An open connection gets a close frame; an attempt is aborted. */
        if (conn)
            m->tr->close(conn, 1001, "agent stopping");
        break;
    }
}

void oa_mgr_reconnect(struct oa_mgr *m)
{
    void *conn;

    if (!(S(m->state) & (ATTEMPT_STATES | OPEN_STATES)) && m->state != MGR_BACKOFF)
        return;
    oa_log(OA_LOG_NOTICE, "reconnecting to %s on request", m->set.target);
    conn = detach(m);
    if (conn)
        m->tr->close(conn, 1001, "agent reconnecting");
    requeue_all(m);
    m->failures = 0;
    m->backoff_ms = 0;
    if (m->state == MGR_BACKOFF)
        uv_timer_start(&m->wait, on_timer, 0, 0);
    else
        set_state(m, MGR_BACKOFF, "reconnect requested");
}

void oa_mgr_rehandshake(struct oa_mgr *m)
{
    if (m->state == MGR_READY)
        send_handshake(m, false);
}

int oa_mgr_submit_statelog(struct oa_mgr *m, struct oa_statelog *log)
{
    struct queued *q;

    if (m->state != MGR_READY) {
        oa_msg_statelog_free(log);
        return -EAGAIN;
    }
    q = oa_calloc(1, sizeof(*q));
    oa_free(log->instance_id);
    oa_free(log->app_id);
    log->instance_id = oa_strdup(m->ident->instance_id);
    log->app_id = oa_strdup(m->ident->app_id);
    if (!q || !log->instance_id || !log->app_id) {
        oa_free(q);
        oa_msg_statelog_free(log);
        return -EAGAIN;
    }
    q->log = log;
    TAILQ_INSERT_TAIL(&m->queue, q, link);
    m->queue_len++;
    send_statelog(m, q);
    return 0;
}

int64_t oa_mgr_recipe_version(const struct oa_mgr *m)
{
    return m->recipe_version;
}

const char *oa_mgr_state_name(const struct oa_mgr *m)
{
    return state_names[m->state];
}

bool oa_mgr_ready(const struct oa_mgr *m)
{
    return m->state == MGR_READY;
}

size_t oa_mgr_queue_length(const struct oa_mgr *m)
{
    return m->queue_len;
}
