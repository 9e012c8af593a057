/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WebSocket connection on libuv. Bytes from the socket go up the chain
 * (proxy answer → TLS → HTTP upgrade answer → WebSocket frames) according
 * to the phase; bytes to send go down it (WebSocket frames → TLS records →
 * uv_write). Every handle and request is counted, and the connection frees
 * itself once the count is zero after on_closed.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "ws.h"

/* Bytes accepted by uv_write but not yet written: a backend that stops
 * reading must not make the agent grow without bound. */
#define MAX_WRITE_BACKLOG (64u << 20)

struct write_req {
    uv_write_t req;
    struct oa_conn *c;
    uint64_t seq; /* the last message in this write, 0 for none */
    size_t len;
    char data[];
};

struct oa_conn {
    uv_loop_t *loop;
    const struct oa_conn_events *ev;
    void *ud;
    enum oa_conn_phase phase;
    /* What to reach, copied from the parameters. */
    char *host, *path, *proxy_host, *proxy_auth;
    int port, proxy_port;
    bool use_tls;
    struct oa_tls_config *tls_cfg;
    struct oa_rng *rng;
    size_t max_message;
    uint64_t close_timeout_ms;

    uv_getaddrinfo_t gai;
    bool gai_pending;
    struct addrinfo *addrs, *next_addr;
    int last_connect_err;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_timer_t close_timer;
    bool tcp_open; /* tcp is initialised and not closing */

    struct oa_http_response resp;
    char ws_key[OA_HTTP_WS_KEY_LEN + 1];
    struct oa_tls *tls;
    struct oa_ws *ws;
    uint64_t next_seq;
    size_t backlog;

    unsigned pending;        /* open handles + outstanding requests */
    bool closing;            /* teardown started */
    bool we_closed;          /* the closing handshake is ours */
    bool close_when_flushed; /* tear down once every write is done */
    int err;
    uint16_t ws_code;
    char why[256];
    char rbuf[65536];
    char plain[65536];
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
    if (c->addrs)
        uv_freeaddrinfo(c->addrs);
    oa_http_response_done(&c->resp);
    oa_tls_free(c->tls);
    oa_ws_free(c->ws);
    oa_free(c->host);
    oa_free(c->path);
    oa_free(c->proxy_host);
    oa_free(c->proxy_auth);
    oa_free(c);
}

/* One handle closed or one request finished while tearing down. */
static void release(struct oa_conn *c)
{
    if (--c->pending > 0 || !c->closing)
        return;
    c->ev->on_closed(c->ud, c->err, c->ws_code, c->why);
    free_conn(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    release(h->data);
}

static void close_handle(struct oa_conn *c, uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

/* Tears everything down; on_closed follows once all is closed. The first
 * reason recorded wins. */
static void teardown(struct oa_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    set_phase(c, OA_CONN_CLOSING);
    /* close_timer is open from start to here, so on_closed always comes
     * from a close callback, never from inside the caller. */
    if (c->gai_pending)
        uv_cancel((uv_req_t *)&c->gai);
    if (c->tcp_open) {
        c->tcp_open = false;
        close_handle(c, (uv_handle_t *)&c->tcp);
    }
    close_handle(c, (uv_handle_t *)&c->close_timer);
}

static void fail(struct oa_conn *c, int err, const char *fmt, ...)
{
    va_list ap;

    if (c->closing)
        return;
    c->err = err;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
    teardown(c);
}

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct oa_conn *c = w->c;

    c->backlog -= w->len;
    if (status < 0 && status != UV_ECANCELED)
        fail(c, status, "cannot write to the backend: %s", uv_strerror(status));
    else if (status == 0 && w->seq && !c->closing)
        c->ev->on_sent(c->ud, w->seq);
    oa_free(w);
    if (c->close_when_flushed && c->backlog == 0)
        teardown(c);
    release(c);
}

static int write_raw(struct oa_conn *c, const char *data, size_t len, uint64_t seq)
{
    struct write_req *w;
    uv_buf_t b;
    int r;

    if (len == 0 || !c->tcp_open)
        return 0;
    if (c->backlog + len > MAX_WRITE_BACKLOG) {
        fail(c, OA_ETOOBIG, "the backend does not read: %zu bytes wait to be sent", c->backlog);
        return OA_ETOOBIG;
    }
    w = oa_malloc(sizeof(*w) + len);
    if (!w)
        return -ENOMEM;
    w->c = c;
    w->seq = seq;
    w->len = len;
    w->req.data = w;
    memcpy(w->data, data, len);
    b = uv_buf_init(w->data, (unsigned)len);
    r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0) {
        oa_free(w);
        fail(c, r, "cannot write to the backend: %s", uv_strerror(r));
        return r;
    }
    c->pending++;
    c->backlog += len;
    return 0;
}

/* Sends application bytes (HTTP or WebSocket), through TLS when it is on. */
static int send_app(struct oa_conn *c, const char *data, size_t len, uint64_t seq)
{
    struct oa_buf out;
    int r;

    if (!c->tls)
        return write_raw(c, data, len, seq);
    oa_buf_init(&out, SIZE_MAX);
    r = oa_tls_write(c->tls, data, len);
    if (r == 0)
        r = oa_tls_take_output(c->tls, &out);
    if (r == 0)
        r = write_raw(c, out.data, out.len, seq);
    else
        fail(c, r, "TLS: cannot encrypt: %s", oa_strerror(r));
    oa_buf_done(&out);
    return r;
}

/* Sends what the TLS layer produced by itself (handshake records, alerts). */
static int flush_tls(struct oa_conn *c)
{
    struct oa_buf out;
    int r;

    oa_buf_init(&out, SIZE_MAX);
    r = oa_tls_take_output(c->tls, &out);
    if (r == 0)
        r = write_raw(c, out.data, out.len, 0);
    oa_buf_done(&out);
    return r;
}

/* Sends the frames the WebSocket layer queued (messages, pongs, a close). */
static int flush_ws(struct oa_conn *c, uint64_t seq)
{
    struct oa_buf out;
    int r;

    oa_buf_init(&out, SIZE_MAX);
    r = oa_ws_take_output(c->ws, &out);
    if (r == 0)
        r = send_app(c, out.data, out.len, seq);
    oa_buf_done(&out);
    return r;
}

/* After the WebSocket closing handshake (or a protocol error that queued a
 * close), the socket goes once both close frames were exchanged. */
static void maybe_finish_close(struct oa_conn *c)
{
    if (!oa_ws_close_done(c->ws))
        return;
    if (c->tls && oa_tls_close_notify(c->tls) == 0)
        flush_tls(c);
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "closed with code %u", c->ws_code);
    teardown(c);
}

static void on_close_timeout(uv_timer_t *t)
{
    struct oa_conn *c = t->data;
    fail(c, c->err ? c->err : UV_ETIMEDOUT, "%s",
         c->why[0] ? c->why : "the backend did not answer the close frame");
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
    flush_ws(c, 0);
    if (!c->closing)
        uv_timer_start(&c->close_timer, on_close_timeout, c->close_timeout_ms, 0);
    maybe_finish_close(c);
}

static void on_ws_text(void *ud, const char *msg, size_t len)
{
    struct oa_conn *c = ud;
    if (!c->closing)
        c->ev->on_text(c->ud, msg, len);
}

static void on_ws_frame(void *ud)
{
    struct oa_conn *c = ud;
    if (!c->closing)
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

static const struct oa_ws_callbacks ws_callbacks = {on_ws_text, on_ws_frame, on_ws_close};

static void ws_input(struct oa_conn *c, const char *data, size_t len)
{
    int r = oa_ws_feed(c->ws, data, len);

    if (r == OA_EPROTO) {
        /* The close frame is queued and nothing more will be parsed: send
         * it, and close once it is written. */
        c->err = OA_EPROTO;
        c->ws_code = oa_ws_close_code(c->ws);
        snprintf(c->why, sizeof(c->why),
                 "the backend broke the WebSocket protocol (closed with %u)", c->ws_code);
        c->close_when_flushed = true;
        flush_ws(c, 0);
        if (c->backlog == 0)
            teardown(c);
        return;
    }
    if (r < 0) {
        fail(c, r, "WebSocket: %s", oa_strerror(r));
        return;
    }
    flush_ws(c, 0);
    if (oa_ws_close_code(c->ws) && !c->closing && !uv_is_active((uv_handle_t *)&c->close_timer))
        uv_timer_start(&c->close_timer, on_close_timeout, c->close_timeout_ms, 0);
    maybe_finish_close(c);
}

static int start_upgrade(struct oa_conn *c)
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
        r = send_app(c, req.data, req.len, 0);
    else
        fail(c, r, "cannot build the upgrade request: %s", oa_strerror(r));
    oa_buf_done(&req);
    return r;
}

/* Feeds the HTTP answer (proxy or upgrade); returns bytes consumed, or -1
 * when the connection failed. */
static ssize_t http_input(struct oa_conn *c, const char *data, size_t len)
{
    char why[200];
    ssize_t n = oa_http_response_feed(&c->resp, data, len, why, sizeof(why));

    if (n < 0) {
        fail(c, (int)n, "%s: %s", c->phase == OA_CONN_PROXY ? "proxy" : "upgrade", why);
        return -1;
    }
    return n;
}

static void app_input(struct oa_conn *c, const char *data, size_t len)
{
    char why[200];

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

static void tls_input(struct oa_conn *c, const char *data, size_t len)
{
    char why[256];
    ssize_t n;
    int r = oa_tls_feed(c->tls, data, len);

    if (r < 0) {
        fail(c, r, "TLS: %s", oa_strerror(r));
        return;
    }
    if (c->phase == OA_CONN_TLS) {
        r = oa_tls_handshake(c->tls, why, sizeof(why));
        flush_tls(c);
        if (r == OA_TLS_AGAIN || c->closing)
            return;
        if (r < 0) {
            fail(c, r, "TLS handshake with %s failed: %s", c->host, why);
            return;
        }
        if (start_upgrade(c) < 0)
            return;
    }
    n = 0;
    while (!c->closing &&
           (n = oa_tls_read(c->tls, c->plain, sizeof(c->plain), why, sizeof(why))) > 0)
        app_input(c, c->plain, (size_t)n);
    /* Reading may have queued an alert. */
    if (!c->closing)
        flush_tls(c);
    if (n == OA_ECLOSED)
        fail(c, OA_ECLOSED, "the backend ended the TLS session");
    else if (n < 0)
        fail(c, (int)n, "TLS: %s", why);
}

static int start_tls(struct oa_conn *c)
{
    char why[200];
    int r;

    set_phase(c, OA_CONN_TLS);
    r = oa_tls_new(c->tls_cfg, c->host, &c->tls);
    if (r < 0) {
        fail(c, r, "TLS: %s", oa_strerror(r));
        return r;
    }
    r = oa_tls_handshake(c->tls, why, sizeof(why));
    flush_tls(c);
    if (r < 0 && r != OA_TLS_AGAIN)
        fail(c, r, "TLS handshake with %s failed: %s", c->host, why);
    return r < 0 ? r : 0;
}

/* The transport is ready for the next layer (after TCP, or after the proxy). */
static void transport_ready(struct oa_conn *c)
{
    if (c->use_tls)
        start_tls(c);
    else
        start_upgrade(c);
}

static void proxy_input(struct oa_conn *c, const char *data, size_t len)
{
    ssize_t n = http_input(c, data, len);

    if (n < 0 || !c->resp.complete)
        return;
    if (c->resp.status != 200) {
        fail(c, OA_EPROTO, "the proxy %s:%d refused CONNECT to %s:%d with status %d", c->proxy_host,
             c->proxy_port, c->host, c->port, c->resp.status);
        return;
    }
    oa_http_response_done(&c->resp);
    transport_ready(c);
    /* Whatever followed the proxy's answer belongs to the next layer. */
    if (!c->closing && (size_t)n < len) {
        if (c->tls)
            tls_input(c, data + n, len - (size_t)n);
        else
            app_input(c, data + n, len - (size_t)n);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct oa_conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct oa_conn *c = s->data;

    if (n == 0 || c->closing)
        return;
    if (n < 0) {
        if (c->ws && oa_ws_close_code(c->ws) && n == UV_EOF)
            fail(c, c->err, "%s", c->why[0] ? c->why : "closed");
        else
            fail(c, n == UV_EOF ? OA_ECLOSED : (int)n, "%s",
                 n == UV_EOF ? "the backend closed the connection" : uv_strerror((int)n));
        return;
    }
    if (c->phase == OA_CONN_PROXY)
        proxy_input(c, buf->base, (size_t)n);
    else if (c->tls)
        tls_input(c, buf->base, (size_t)n);
    else
        app_input(c, buf->base, (size_t)n);
}

static int send_connect(struct oa_conn *c)
{
    struct oa_buf req;
    int r;

    set_phase(c, OA_CONN_PROXY);
    oa_http_response_init(&c->resp, OA_HTTP_MAX_HEADER);
    oa_buf_init(&req, OA_HTTP_MAX_HEADER);
    r = oa_http_connect_request(&req, c->host, c->port, c->proxy_auth);
    if (r == 0)
        r = write_raw(c, req.data, req.len, 0);
    oa_buf_done(&req);
    return r;
}

static void try_next_address(struct oa_conn *c);

/* A failed attempt's handle is closed before the next address is tried. */
static void on_attempt_closed(uv_handle_t *h)
{
    struct oa_conn *c = h->data;
    bool closing = c->closing;

    release(c);
    if (!closing)
        try_next_address(c);
}

static void abandon_attempt(struct oa_conn *c, int err)
{
    c->last_connect_err = err;
    c->tcp_open = false;
    uv_close((uv_handle_t *)&c->tcp, on_attempt_closed);
}

static void on_connected(uv_connect_t *req, int status)
{
    struct oa_conn *c = req->data;

    release(c);
    if (c->closing)
        return;
    if (status < 0) {
        abandon_attempt(c, status);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (c->proxy_host)
        send_connect(c);
    else
        transport_ready(c);
}

static void try_next_address(struct oa_conn *c)
{
    const char *target = c->proxy_host ? c->proxy_host : c->host;
    int port = c->proxy_host ? c->proxy_port : c->port;
    struct addrinfo *a = c->next_addr;
    int r;

    if (!a) {
        fail(c, c->last_connect_err, "cannot connect to %s%s:%d: %s", c->proxy_host ? "proxy " : "",
             target, port, uv_strerror(c->last_connect_err));
        return;
    }
    c->next_addr = a->ai_next;
    if ((r = uv_tcp_init(c->loop, &c->tcp)) < 0) {
        fail(c, r, "cannot create a socket: %s", uv_strerror(r));
        return;
    }
    c->tcp.data = c;
    c->tcp_open = true;
    c->pending++; /* the handle */
    (void)uv_tcp_nodelay(&c->tcp, 1);
    c->connect_req.data = c;
    r = uv_tcp_connect(&c->connect_req, &c->tcp, a->ai_addr, on_connected);
    if (r < 0)
        abandon_attempt(c, r);
    else
        c->pending++; /* the request */
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct oa_conn *c = req->data;
    const char *target = c->proxy_host ? c->proxy_host : c->host;

    c->gai_pending = false;
    c->addrs = res;
    c->next_addr = res;
    release(c);
    if (c->closing)
        return;
    if (status < 0) {
        fail(c, status, "cannot resolve %s: %s", target, uv_strerror(status));
        return;
    }
    set_phase(c, OA_CONN_CONNECTING);
    c->last_connect_err = UV_EADDRNOTAVAIL;
    try_next_address(c);
}

static int copy_params(struct oa_conn *c, const struct oa_conn_params *p)
{
    c->host = oa_strdup(p->url->host);
    c->path = oa_strdup(p->url->path);
    c->port = p->url->port;
    c->use_tls = p->url->tls;
    if (p->proxy) {
        c->proxy_host = oa_strdup(p->proxy->host);
        c->proxy_port = p->proxy->port;
        if (p->proxy->userinfo && !(c->proxy_auth = oa_strdup(p->proxy->userinfo)))
            return -ENOMEM;
        if (!c->proxy_host)
            return -ENOMEM;
    }
    c->tls_cfg = p->tls;
    c->rng = p->rng;
    c->max_message = p->max_message;
    c->close_timeout_ms = p->close_timeout_ms;
    return c->host && c->path ? 0 : -ENOMEM;
}

int oa_conn_start(uv_loop_t *loop, const struct oa_conn_params *p, const struct oa_conn_events *ev,
                  void *ud, struct oa_conn **ret)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct oa_conn *c = oa_calloc(1, sizeof(*c));
    char port[16];
    int r;

    if (!c)
        return -ENOMEM;
    if (copy_params(c, p) < 0) {
        free_conn(c);
        return -ENOMEM;
    }
    c->loop = loop;
    c->ev = ev;
    c->ud = ud;
    uv_timer_init(loop, &c->close_timer);
    c->close_timer.data = c;
    c->pending = 1; /* close_timer */
    c->gai.data = c;
    *ret = c;
    if (c->use_tls && !c->tls_cfg) {
        fail(c, OA_ETLS, "wss:// needs a TLS configuration");
        return 0;
    }
    set_phase(c, OA_CONN_RESOLVING);
    snprintf(port, sizeof(port), "%d", c->proxy_host ? c->proxy_port : c->port);
    r = uv_getaddrinfo(loop, &c->gai, on_resolved, c->proxy_host ? c->proxy_host : c->host, port,
                       &hints);
    if (r < 0) {
        fail(c, r, "cannot resolve %s: %s", c->proxy_host ? c->proxy_host : c->host,
             uv_strerror(r));
        return 0;
    }
    c->gai_pending = true;
    c->pending++;
    return 0;
}

int64_t oa_conn_send_text(struct oa_conn *c, const char *msg, size_t len)
{
    uint64_t seq;
    int r;

    if (c->closing || c->phase != OA_CONN_OPEN || oa_ws_close_code(c->ws))
        return OA_ECLOSED;
    r = oa_ws_send_text(c->ws, msg, len);
    if (r < 0)
        return r;
    seq = ++c->next_seq;
    r = flush_ws(c, seq);
    return r < 0 ? r : (int64_t)seq;
}

int oa_conn_ping(struct oa_conn *c)
{
    int r;

    if (c->closing || c->phase != OA_CONN_OPEN)
        return OA_ECLOSED;
    r = oa_ws_send_ping(c->ws);
    return r < 0 ? r : flush_ws(c, 0);
}

void oa_conn_close(struct oa_conn *c, uint16_t code, const char *reason)
{
    char why[160];

    if (c->closing)
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
