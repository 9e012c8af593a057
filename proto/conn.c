/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WebSocket connection: the HTTP upgrade and the WebSocket layer (ws.h)
 * on top of a byte stream (stream.h), which does the name resolution, TCP,
 * the proxy and TLS. Bytes from the stream go to the upgrade answer, then
 * to the WebSocket frames; frames to send go down to the stream. Besides
 * the stream, the connection owns one timer, the bound on the closing
 * handshake; it is closed once the stream has closed, and on_closed is
 * reported from its close callback, after which the connection frees
 * itself.
 *
 * Delivery: bytes handed to the kernel are not yet delivered (a half-open
 * connection takes them without a word), so every ping carries the number
 * of the last message sent before it, and the pong that echoes it confirms
 * every message up to that one. A ping follows each message unless one is
 * already on its way; its pong then asks for the next.
 */
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "mem.h"
#include "stream.h"
#include "ws.h"

struct oa_conn {
    uv_loop_t *loop;
    const struct oa_conn_events *ev;
    void *ud;
    enum oa_conn_phase phase;
    /* What to reach, copied from the parameters. */
    char *host, *path;
    int port;
    bool use_tls;
    struct oa_rng *rng;
    size_t max_message;
    uint64_t close_timeout_ms;

    struct oa_stream *stream; /* NULL before it starts and once it has closed */
    uv_timer_t close_timer;

    struct oa_http_response resp;
    char ws_key[OA_HTTP_WS_KEY_LEN + 1];
    struct oa_ws *ws;
    uint64_t next_seq; /* the number of the last message sent */
    uint64_t acked;    /* the last message the backend confirmed */
    uint64_t ping_seq; /* what the newest unanswered ping carries, 0: none */

    bool closing;   /* the connection decided to end: err and why are final */
    bool we_closed; /* the closing handshake is ours */
    int err;
    uint16_t ws_code;
    char why[256];
};

static void fail(struct oa_conn *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *oa_conn_phase_name(enum oa_conn_phase phase)
{
    static const char *const names[] = {"RESOLVING", "CONNECTING", "PROXY",  "TLS",
                                        "UPGRADING", "OPEN",       "CLOSING"};
    return names[phase];
}

static void set_phase(struct oa_conn *c, enum oa_conn_phase phase)
{
    c->phase = phase;
    if (phase != OA_CONN_CLOSING)
        c->ev->on_phase(c->ud, phase);
}

static void free_conn(struct oa_conn *c)
{
    oa_http_response_done(&c->resp);
    oa_ws_free(c->ws);
    oa_free(c->host);
    oa_free(c->path);
    oa_free(c);
}

/* Whether the connection or its stream is tearing down. */
static bool is_closing(const struct oa_conn *c)
{
    return c->closing || (c->stream && oa_stream_closing(c->stream));
}

static void on_timer_closed(uv_handle_t *h)
{
    struct oa_conn *c = h->data;

    c->ev->on_closed(c->ud, c->err, c->ws_code, c->why);
    free_conn(c);
}

/* Tears everything down with the reason recorded in c; on_closed follows
 * once the stream is closed. A stream already tearing down keeps its own
 * reason, as the first one recorded. */
static void teardown(struct oa_conn *c)
{
    if (is_closing(c))
        return;
    c->closing = true;
    set_phase(c, OA_CONN_CLOSING);
    if (c->stream)
        oa_stream_abort(c->stream, c->err, c->why);
    else
        uv_close((uv_handle_t *)&c->close_timer, on_timer_closed);
}

static void fail(struct oa_conn *c, int err, const char *fmt, ...)
{
    va_list ap;

    if (is_closing(c))
        return;
    c->err = err;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
    teardown(c);
}

/* Tears down with err and the reason already recorded (fallback if none). */
static void fail_keeping_why(struct oa_conn *c, int err, const char *fallback)
{
    if (is_closing(c))
        return;
    c->err = err;
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "%s", fallback);
    teardown(c);
}

/* Sends the frames the WebSocket layer queued (messages, pings, pongs, a
 * close). */
static int flush_ws(struct oa_conn *c)
{
    struct oa_buf out;
    int r;

    oa_buf_init(&out, SIZE_MAX);
    r = oa_ws_take_output(c->ws, &out);
    if (r == 0 && out.len > 0)
        r = oa_stream_write(c->stream, out.data, out.len, 0);
    oa_buf_done(&out);
    return r;
}

/* After the WebSocket closing handshake (or a protocol error that queued a
 * close), the socket goes once both close frames were exchanged. */
static void maybe_finish_close(struct oa_conn *c)
{
    if (!oa_ws_close_done(c->ws))
        return;
    if (!is_closing(c))
        (void)oa_stream_close_notify(c->stream);
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "closed with code %u", c->ws_code);
    teardown(c);
}

static void on_close_timeout(uv_timer_t *t)
{
    struct oa_conn *c = t->data;
    fail_keeping_why(c, c->err ? c->err : UV_ETIMEDOUT,
                     "the backend did not answer the close frame");
}

/* Sends our close frame and bounds the wait for the peer's. */
static void start_closing(struct oa_conn *c, int err, uint16_t code, const char *why)
{
    c->we_closed = true;
    if (c->err == 0)
        c->err = err;
    if (!c->why[0] && why)
        snprintf(c->why, sizeof(c->why), "%s", why);
    c->ws_code = oa_ws_close_code(c->ws) ? oa_ws_close_code(c->ws) : code;
    if (!oa_ws_close_code(c->ws))
        (void)oa_ws_send_close(c->ws, code, "");
    flush_ws(c);
    if (!is_closing(c))
        uv_timer_start(&c->close_timer, on_close_timeout, c->close_timeout_ms, 0);
    maybe_finish_close(c);
}

static void on_ws_text(void *ud, const char *msg, size_t len)
{
    struct oa_conn *c = ud;
    if (!is_closing(c))
        c->ev->on_text(c->ud, msg, len);
}

static void on_ws_frame(void *ud)
{
    struct oa_conn *c = ud;
    if (!is_closing(c))
        c->ev->on_frame(c->ud);
}

static void on_ws_close(void *ud, uint16_t code, const char *reason, size_t reason_len)
{
    struct oa_conn *c = ud;

    c->ws_code = code;
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "the backend closed the connection (code %u%s%.*s)", code,
                 reason_len ? ": " : "", (int)(reason_len > 120 ? 120 : reason_len), reason);
    if (c->err == 0 && !c->we_closed)
        c->err = OA_ECLOSED;
}

/* Queues a ping carrying the number of the last message sent (8 bytes,
 * big-endian); the caller flushes. Every message sent so far is already
 * flushed, so the ping follows them on the wire. */
static int queue_ping(struct oa_conn *c)
{
    uint8_t data[8];
    int r;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(c->next_seq >> (56 - 8 * i));
    r = oa_ws_send_ping_data(c->ws, data, sizeof(data));
    if (r == 0)
        c->ping_seq = c->next_seq;
    return r;
}

static void on_ws_pong(void *ud, const uint8_t *data, size_t len)
{
    struct oa_conn *c = ud;
    uint64_t seq = 0;

    /* A pong echoes its ping's data (RFC 6455 §5.5.3). One with other data
     * is taken as the answer to the newest ping: from a peer that does not
     * echo, nothing would ever be confirmed, and the queue would only grow.
     * Without a ping on its way, it is unsolicited and confirms nothing. */
    if (len == 8) {
        for (size_t i = 0; i < len; i++)
            seq = seq << 8 | data[i];
    } else if (c->ping_seq) {
        seq = c->ping_seq;
    } else {
        return;
    }
    if (seq > c->next_seq)
        return;
    if (seq >= c->ping_seq)
        c->ping_seq = 0;
    if (seq > c->acked) {
        c->acked = seq;
        c->ev->on_sent(c->ud, seq);
    }
    /* Messages sent while the ping was on its way need a ping of their own
     * (ws_input flushes it). */
    if (c->ping_seq == 0 && c->acked < c->next_seq && !is_closing(c))
        (void)queue_ping(c);
}

static const struct oa_ws_callbacks ws_callbacks = {on_ws_text, on_ws_frame, on_ws_close,
                                                    on_ws_pong};

/* What the backend did, from the code of the close frame ws.h queued. */
static void describe_violation(struct oa_conn *c)
{
    uint16_t code = c->ws_code;

    if (code == 1009)
        snprintf(c->why, sizeof(c->why),
                 "the backend sent a message over max_message (%zu bytes; closed with 1009)",
                 c->max_message);
    else
        snprintf(c->why, sizeof(c->why), "the backend %s (closed with %u)",
                 code == 1003   ? "sent a binary message"
                 : code == 1007 ? "sent text that is not UTF-8"
                                : "broke the WebSocket protocol",
                 code);
}

static void ws_input(struct oa_conn *c, const char *data, size_t len)
{
    int r = oa_ws_feed(c->ws, data, len);

    if (r == OA_EPROTO) {
        /* The close frame is queued and nothing more will be parsed: send
         * it, and close once it is written. */
        c->err = OA_EPROTO;
        c->ws_code = oa_ws_close_code(c->ws);
        describe_violation(c);
        flush_ws(c);
        oa_stream_close_when_flushed(c->stream);
        return;
    }
    if (r < 0) {
        fail(c, r, "WebSocket: %s", oa_strerror(r));
        return;
    }
    flush_ws(c);
    if (oa_ws_close_code(c->ws) && !is_closing(c) && !uv_is_active((uv_handle_t *)&c->close_timer))
        uv_timer_start(&c->close_timer, on_close_timeout, c->close_timeout_ms, 0);
    maybe_finish_close(c);
}

static void start_upgrade(struct oa_conn *c)
{
    struct oa_buf req;
    int r;

    set_phase(c, OA_CONN_UPGRADING);
    oa_http_response_init(&c->resp, OA_HTTP_MAX_HEADER);
    oa_buf_init(&req, OA_HTTP_MAX_HEADER);
    r = oa_http_ws_key(c->rng, c->ws_key);
    if (r == 0)
        r = oa_http_upgrade_request(&req, c->host, c->port, c->use_tls, c->path, c->ws_key);
    if (r == 0)
        (void)oa_stream_write(c->stream, req.data, req.len, 0);
    else
        fail(c, r, "cannot build the upgrade request: %s", oa_strerror(r));
    oa_buf_done(&req);
}

/* Feeds the upgrade answer; returns bytes consumed, or -1 when the
 * connection failed. */
static ssize_t http_input(struct oa_conn *c, const char *data, size_t len)
{
    char why[200];
    ssize_t n = oa_http_response_feed(&c->resp, data, len, why, sizeof(why));

    if (n < 0) {
        fail(c, (int)n, "upgrade: %s", why);
        return -1;
    }
    return n;
}

/* ---- the stream's events ---- */

static void on_stream_phase(void *ud, enum oa_stream_phase phase)
{
    static const enum oa_conn_phase map[] = {
        [OA_STREAM_RESOLVING] = OA_CONN_RESOLVING,
        [OA_STREAM_CONNECTING] = OA_CONN_CONNECTING,
        [OA_STREAM_PROXY] = OA_CONN_PROXY,
        [OA_STREAM_TLS] = OA_CONN_TLS,
    };

    set_phase(ud, map[phase]);
}

static void on_stream_ready(void *ud)
{
    start_upgrade(ud);
}

static void on_stream_data(void *ud, const char *data, size_t len)
{
    struct oa_conn *c = ud;
    char why[200];

    if (is_closing(c))
        return;
    if (c->phase == OA_CONN_UPGRADING) {
        ssize_t n = http_input(c, data, len);
        if (n < 0 || !c->resp.complete)
            return;
        if (oa_http_check_upgrade(&c->resp, c->ws_key, why, sizeof(why)) < 0) {
            fail(c, OA_EPROTO, "%s", why);
            return;
        }
        if (oa_ws_new(c->rng, c->max_message, &ws_callbacks, c, &c->ws) < 0) {
            fail(c, -ENOMEM, "out of memory");
            return;
        }
        set_phase(c, OA_CONN_OPEN);
        data += n;
        len -= (size_t)n;
    }
    if (c->phase == OA_CONN_OPEN && len > 0)
        ws_input(c, data, len);
}

static void on_stream_eof(void *ud, bool close_notify)
{
    struct oa_conn *c = ud;

    /* The backend dropped the TCP connection after the close frames: the
     * reason is the one the closing handshake recorded. */
    if (!close_notify && c->ws && oa_ws_close_code(c->ws))
        fail_keeping_why(c, c->err, "closed");
}

static void on_stream_closed(void *ud, int err, const char *why)
{
    struct oa_conn *c = ud;

    /* The stream's own failure wins over what the WebSocket layer noted
     * without closing; a reason the connection closed with is kept. */
    if (!c->closing && why[0]) {
        c->err = err;
        snprintf(c->why, sizeof(c->why), "%s", why);
    }
    c->closing = true;
    c->phase = OA_CONN_CLOSING;
    c->stream = NULL;
    uv_close((uv_handle_t *)&c->close_timer, on_timer_closed);
}

static const struct oa_stream_events stream_events = {
    .on_phase = on_stream_phase,
    .on_ready = on_stream_ready,
    .on_data = on_stream_data,
    .on_eof = on_stream_eof,
    .on_closed = on_stream_closed,
};

/* ---- the public side ---- */

static int copy_params(struct oa_conn *c, const struct oa_conn_params *p)
{
    c->host = oa_strdup(p->url->host);
    c->path = oa_strdup(p->url->path);
    c->port = p->url->port;
    c->use_tls = p->url->tls;
    c->rng = p->rng;
    c->max_message = p->max_message;
    c->close_timeout_ms = p->close_timeout_ms;
    return c->host && c->path ? 0 : -ENOMEM;
}

int oa_conn_start(uv_loop_t *loop, const struct oa_conn_params *p, const struct oa_conn_events *ev,
                  void *ud, struct oa_conn **ret)
{
    struct oa_stream_params sp = {
        .host = p->url->host,
        .port = p->url->port,
        .tls = p->url->tls,
        .tls_cfg = p->tls,
        .proxy = p->proxy,
        .peer = "the backend",
    };
    struct oa_conn *c = oa_calloc(1, sizeof(*c));
    int r;

    if (!c || copy_params(c, p) < 0) {
        if (c)
            free_conn(c);
        return -ENOMEM;
    }
    c->loop = loop;
    c->ev = ev;
    c->ud = ud;
    r = c->use_tls && !p->tls ? OA_ETLS : oa_stream_start(loop, &sp, &stream_events, c, &c->stream);
    if (r == -ENOMEM) {
        free_conn(c);
        return r;
    }
    uv_timer_init(loop, &c->close_timer);
    c->close_timer.data = c;
    *ret = c;
    /* Without a stream, on_closed comes from the timer's close callback. */
    if (r == OA_ETLS)
        fail(c, r, "wss:// needs a TLS configuration");
    else if (r < 0)
        fail(c, r, "cannot connect to %s:%d: %s", c->host, c->port, oa_strerror(r));
    else
        set_phase(c, OA_CONN_RESOLVING);
    return 0;
}

int64_t oa_conn_send_text(struct oa_conn *c, const char *msg, size_t len)
{
    uint64_t seq;
    int r;

    if (is_closing(c) || c->phase != OA_CONN_OPEN || oa_ws_close_code(c->ws))
        return OA_ECLOSED;
    r = oa_ws_send_text(c->ws, msg, len);
    if (r < 0)
        return r;
    seq = ++c->next_seq;
    r = flush_ws(c);
    /* The ping goes after the message (wslay sends queued control frames
     * first). Without it, the keep-alive ping confirms the message later. */
    if (r == 0 && c->ping_seq == 0 && queue_ping(c) == 0)
        r = flush_ws(c);
    return r < 0 ? r : (int64_t)seq;
}

int oa_conn_ping(struct oa_conn *c)
{
    int r;

    if (is_closing(c) || c->phase != OA_CONN_OPEN)
        return OA_ECLOSED;
    r = queue_ping(c);
    return r < 0 ? r : flush_ws(c);
}

void oa_conn_close(struct oa_conn *c, uint16_t code, const char *reason)
{
    char why[160];

    if (is_closing(c))
        return;
    if (c->phase != OA_CONN_OPEN) {
        oa_conn_abort(c, 0, reason ? reason : "closed");
        return;
    }
    snprintf(why, sizeof(why), "%s", reason ? reason : "closed by the agent");
    start_closing(c, 0, code, why);
}

void oa_conn_abort(struct oa_conn *c, int err, const char *why)
{
    fail(c, err, "%s", why);
}
