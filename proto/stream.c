/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The byte stream on libuv. Bytes from the socket go to the proxy's answer
 * while CONNECT is pending, then through TLS when it is on, then to the
 * owner; bytes to send go the other way (TLS records → uv_write). Every
 * handle and request is counted in `pending`, and the stream frees itself
 * once the count is zero after on_closed. It knows nothing of what it
 * carries (WebSocket or plain HTTP) and logs nothing.
 */
#include "stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "mem.h"

/* Bytes accepted by uv_write but not yet written: a peer that stops
 * reading must not make the agent grow without bound. */
#define MAX_WRITE_BACKLOG (64u << 20)

struct write_req {
    uv_write_t req;
    struct oa_stream *s;
    uint64_t seq; /* reported by on_written, 0 for none */
    size_t len;
    char data[];
};

struct oa_stream {
    uv_loop_t *loop;
    const struct oa_stream_events *ev;
    void *ud;
    enum oa_stream_phase phase;
    /* What to reach, copied from the parameters. */
    char *host, *proxy_host, *proxy_auth, *peer;
    int port, proxy_port;
    bool use_tls;
    struct oa_tls_config *tls_cfg;

    uv_getaddrinfo_t gai;
    bool gai_pending;
    struct addrinfo *addrs, *next_addr;
    int last_connect_err;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    /* Open from start to teardown and never started, so that on_closed
     * always comes from a close callback, never from inside the caller. */
    uv_timer_t anchor;
    bool tcp_open; /* tcp is initialised and not closing */

    struct oa_http_response resp; /* the proxy's answer */
    struct oa_tls *tls;
    bool ready; /* on_ready was called */
    size_t backlog;

    unsigned pending;        /* open handles + outstanding requests */
    bool closing;            /* teardown started */
    bool close_when_flushed; /* tear down once every write is done */
    int err;
    char why[256];
    char rbuf[65536];
    char plain[65536];
};

static void fail(struct oa_stream *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_phase(struct oa_stream *s, enum oa_stream_phase phase)
{
    s->phase = phase;
    if (s->ev->on_phase)
        s->ev->on_phase(s->ud, phase);
}

static void free_stream(struct oa_stream *s)
{
    if (s->addrs)
        uv_freeaddrinfo(s->addrs);
    oa_http_response_done(&s->resp);
    oa_tls_free(s->tls);
    oa_free(s->host);
    oa_free(s->proxy_host);
    if (s->proxy_auth) {
        explicit_bzero(s->proxy_auth, strlen(s->proxy_auth));
        oa_free(s->proxy_auth);
    }
    oa_free(s->peer);
    oa_free(s);
}

/* One handle closed or one request finished while tearing down. */
static void release(struct oa_stream *s)
{
    if (--s->pending > 0 || !s->closing)
        return;
    s->ev->on_closed(s->ud, s->err, s->why);
    free_stream(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    release(h->data);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

/* Tears everything down; on_closed follows once all is closed. The first
 * reason recorded wins. */
static void teardown(struct oa_stream *s)
{
    if (s->closing)
        return;
    s->closing = true;
    if (s->gai_pending)
        uv_cancel((uv_req_t *)&s->gai);
    if (s->tcp_open) {
        s->tcp_open = false;
        close_handle((uv_handle_t *)&s->tcp);
    }
    close_handle((uv_handle_t *)&s->anchor);
}

static void fail(struct oa_stream *s, int err, const char *fmt, ...)
{
    va_list ap;

    if (s->closing)
        return;
    s->err = err;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    teardown(s);
}

static void on_write_done(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct oa_stream *s = w->s;

    s->backlog -= w->len;
    if (status < 0 && status != UV_ECANCELED)
        fail(s, status, "cannot write to %s: %s", s->peer, uv_strerror(status));
    else if (status == 0 && w->seq && !s->closing && s->ev->on_written)
        s->ev->on_written(s->ud, w->seq);
    oa_free(w);
    if (s->close_when_flushed && s->backlog == 0)
        teardown(s);
    release(s);
}

static int write_raw(struct oa_stream *s, const char *data, size_t len, uint64_t seq)
{
    struct write_req *w;
    uv_buf_t b;
    int r;

    if (len == 0 || !s->tcp_open)
        return 0;
    if (s->backlog + len > MAX_WRITE_BACKLOG) {
        fail(s, OA_ETOOBIG, "%s does not read: %zu bytes wait to be sent", s->peer, s->backlog);
        return OA_ETOOBIG;
    }
    w = oa_malloc(sizeof(*w) + len);
    if (!w)
        return -ENOMEM;
    w->s = s;
    w->seq = seq;
    w->len = len;
    w->req.data = w;
    memcpy(w->data, data, len);
    b = uv_buf_init(w->data, (unsigned)len);
    r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_write_done);
    if (r < 0) {
        oa_free(w);
        fail(s, r, "cannot write to %s: %s", s->peer, uv_strerror(r));
        return r;
    }
    s->pending++;
    s->backlog += len;
    return 0;
}

/* Sends what the TLS layer produced by itself (handshake records, alerts).
 * Records that cannot be sent break the session: the stream fails. */
static int flush_tls(struct oa_stream *s)
{
    struct oa_buf out;
    int r;

    oa_buf_init(&out, SIZE_MAX);
    r = oa_tls_take_output(s->tls, &out);
    if (r == 0)
        r = write_raw(s, out.data, out.len, 0);
    oa_buf_done(&out);
    if (r < 0)
        fail(s, r, "TLS: cannot send: %s", oa_strerror(r));
    return r;
}

/* Where a failure of the socket happened, when that is not obvious. */
static const char *when(const struct oa_stream *s)
{
    return s->phase == OA_STREAM_TLS && !s->ready ? " during the TLS handshake" : "";
}

/* The peer ended the stream. */
static void end_of_stream(struct oa_stream *s, bool close_notify)
{
    if (s->closing)
        return;
    if (s->ready && s->ev->on_eof)
        s->ev->on_eof(s->ud, close_notify);
    if (close_notify)
        fail(s, OA_ECLOSED, "%s ended the TLS session", s->peer);
    else
        fail(s, OA_ECLOSED, "%s closed the connection%s", s->peer, when(s));
}

static void make_ready(struct oa_stream *s)
{
    s->ready = true;
    s->ev->on_ready(s->ud);
}

static void tls_input(struct oa_stream *s, const char *data, size_t len)
{
    char why[256];
    ssize_t n;
    int r = oa_tls_feed(s->tls, data, len);

    if (r < 0) {
        fail(s, r, "TLS: %s", oa_strerror(r));
        return;
    }
    if (!s->ready) {
        r = oa_tls_handshake(s->tls, why, sizeof(why));
        flush_tls(s);
        if (r == OA_TLS_AGAIN || s->closing)
            return;
        if (r < 0) {
            fail(s, r, "TLS handshake with %s failed: %s", s->host, why);
            return;
        }
        make_ready(s);
    }
    n = 0;
    while (!s->closing &&
           (n = oa_tls_read(s->tls, s->plain, sizeof(s->plain), why, sizeof(why))) > 0)
        s->ev->on_data(s->ud, s->plain, (size_t)n);
    /* Reading may have queued an alert. */
    if (!s->closing)
        flush_tls(s);
    if (n == OA_ECLOSED)
        end_of_stream(s, true);
    else if (n < 0)
        fail(s, (int)n, "TLS: %s", why);
}

static int start_tls(struct oa_stream *s)
{
    char why[200];
    int r;

    set_phase(s, OA_STREAM_TLS);
    r = oa_tls_new(s->tls_cfg, s->host, &s->tls);
    if (r < 0) {
        fail(s, r, "TLS: %s", oa_strerror(r));
        return r;
    }
    r = oa_tls_handshake(s->tls, why, sizeof(why));
    flush_tls(s);
    if (r < 0 && r != OA_TLS_AGAIN)
        fail(s, r, "TLS handshake with %s failed: %s", s->host, why);
    return r < 0 ? r : 0;
}

/* TCP is up, and the proxy tunnel when there is one. */
static void transport_ready(struct oa_stream *s)
{
    if (s->use_tls)
        start_tls(s);
    else
        make_ready(s);
}

static void proxy_input(struct oa_stream *s, const char *data, size_t len)
{
    char why[200];
    ssize_t n = oa_http_response_feed(&s->resp, data, len, why, sizeof(why));

    if (n < 0) {
        fail(s, (int)n, "proxy: %s", why);
        return;
    }
    if (!s->resp.complete)
        return;
    if (s->resp.status != 200) {
        fail(s, OA_EPROTO, "the proxy %s:%d refused CONNECT to %s:%d with status %d", s->proxy_host,
             s->proxy_port, s->host, s->port, s->resp.status);
        return;
    }
    oa_http_response_done(&s->resp);
    transport_ready(s);
    /* Whatever followed the proxy's answer belongs to the next layer. */
    if (!s->closing && (size_t)n < len) {
        if (s->tls)
            tls_input(s, data + n, len - (size_t)n);
        else
            s->ev->on_data(s->ud, data + n, len - (size_t)n);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct oa_stream *s = h->data;
    *buf = uv_buf_init(s->rbuf, sizeof(s->rbuf));
}

static void on_read(uv_stream_t *tcp, ssize_t n, const uv_buf_t *buf)
{
    struct oa_stream *s = tcp->data;

    if (n == 0 || s->closing)
        return;
    if (n == UV_EOF)
        end_of_stream(s, false);
    else if (n < 0)
        fail(s, (int)n, "%s%s", uv_strerror((int)n), when(s));
    else if (s->phase == OA_STREAM_PROXY && !s->ready)
        proxy_input(s, buf->base, (size_t)n);
    else if (s->tls)
        tls_input(s, buf->base, (size_t)n);
    else
        s->ev->on_data(s->ud, buf->base, (size_t)n);
}

static int send_connect(struct oa_stream *s)
{
    struct oa_buf req;
    int r;

    set_phase(s, OA_STREAM_PROXY);
    oa_http_response_init(&s->resp, OA_HTTP_MAX_HEADER);
    oa_buf_init(&req, OA_HTTP_MAX_HEADER);
    r = oa_http_connect_request(&req, s->host, s->port, s->proxy_auth);
    if (r == 0)
        r = write_raw(s, req.data, req.len, 0);
    else
        fail(s, r, "cannot build the CONNECT request: %s", oa_strerror(r));
    if (req.data)
        explicit_bzero(req.data, req.len); /* it may hold the proxy's password */
    oa_buf_done(&req);
    return r;
}

static void try_next_address(struct oa_stream *s);

/* A failed attempt's handle is closed before the next address is tried. */
static void on_attempt_closed(uv_handle_t *h)
{
    struct oa_stream *s = h->data;
    bool closing = s->closing;

    release(s);
    if (!closing)
        try_next_address(s);
}

static void abandon_attempt(struct oa_stream *s, int err)
{
    s->last_connect_err = err;
    s->tcp_open = false;
    uv_close((uv_handle_t *)&s->tcp, on_attempt_closed);
}

static void on_connected(uv_connect_t *req, int status)
{
    struct oa_stream *s = req->data;
    bool closing = s->closing;

    /* When closing, release may free s: decide first. */
    release(s);
    if (closing)
        return;
    if (status < 0) {
        abandon_attempt(s, status);
        return;
    }
    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (s->proxy_host)
        send_connect(s);
    else
        transport_ready(s);
}

static void try_next_address(struct oa_stream *s)
{
    const char *target = s->proxy_host ? s->proxy_host : s->host;
    int port = s->proxy_host ? s->proxy_port : s->port;
    struct addrinfo *a = s->next_addr;
    int r;

    if (!a) {
        fail(s, s->last_connect_err, "cannot connect to %s%s:%d: %s", s->proxy_host ? "proxy " : "",
             target, port, uv_strerror(s->last_connect_err));
        return;
    }
    s->next_addr = a->ai_next;
    if ((r = uv_tcp_init(s->loop, &s->tcp)) < 0) {
        fail(s, r, "cannot create a socket: %s", uv_strerror(r));
        return;
    }
    s->tcp.data = s;
    s->tcp_open = true;
    s->pending++; /* the handle */
    (void)uv_tcp_nodelay(&s->tcp, 1);
    s->connect_req.data = s;
    r = uv_tcp_connect(&s->connect_req, &s->tcp, a->ai_addr, on_connected);
    if (r < 0)
        abandon_attempt(s, r);
    else
        s->pending++; /* the request */
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct oa_stream *s = req->data;
    const char *target = s->proxy_host ? s->proxy_host : s->host;
    bool closing = s->closing;

    s->gai_pending = false;
    s->addrs = res;
    s->next_addr = res;
    release(s); /* may free s when closing */
    if (closing)
        return;
    if (status < 0) {
        fail(s, status, "cannot resolve %s: %s", target, uv_strerror(status));
        return;
    }
    set_phase(s, OA_STREAM_CONNECTING);
    s->last_connect_err = UV_EADDRNOTAVAIL;
    try_next_address(s);
}

static int copy_params(struct oa_stream *s, const struct oa_stream_params *p)
{
    s->host = oa_strdup(p->host);
    s->port = p->port;
    s->use_tls = p->tls;
    s->tls_cfg = p->tls_cfg;
    if (p->proxy) {
        s->proxy_host = oa_strdup(p->proxy->host);
        s->proxy_port = p->proxy->port;
        if (p->proxy->userinfo && !(s->proxy_auth = oa_strdup(p->proxy->userinfo)))
            return -ENOMEM;
        if (!s->proxy_host)
            return -ENOMEM;
    }
    if (p->peer) {
        s->peer = oa_strdup(p->peer);
    } else {
        bool v6 = s->host && strchr(s->host, ':');
        size_t size = strlen(p->host) + 16;

        if ((s->peer = oa_malloc(size)))
            snprintf(s->peer, size, "%s%s%s:%d", v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
    }
    return s->host && s->peer ? 0 : -ENOMEM;
}

static bool valid_params(const struct oa_stream_params *p)
{
    if (!p->host || !p->host[0] || p->port <= 0 || p->port > 65535 || (p->tls && !p->tls_cfg))
        return false;
    return !p->proxy || (!p->proxy->tls && p->proxy->host && p->proxy->host[0] &&
                         p->proxy->port > 0 && p->proxy->port <= 65535);
}

int oa_stream_start(uv_loop_t *loop, const struct oa_stream_params *p,
                    const struct oa_stream_events *ev, void *ud, struct oa_stream **ret)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct oa_stream *s;
    char port[16];
    int r;

    if (!valid_params(p))
        return -EINVAL;
    if (!(s = oa_calloc(1, sizeof(*s))))
        return -ENOMEM;
    if (copy_params(s, p) < 0) {
        free_stream(s);
        return -ENOMEM;
    }
    s->loop = loop;
    s->ev = ev;
    s->ud = ud;
    s->phase = OA_STREAM_RESOLVING;
    uv_timer_init(loop, &s->anchor);
    s->anchor.data = s;
    s->pending = 1; /* anchor */
    s->gai.data = s;
    *ret = s;
    snprintf(port, sizeof(port), "%d", s->proxy_host ? s->proxy_port : s->port);
    r = uv_getaddrinfo(loop, &s->gai, on_resolved, s->proxy_host ? s->proxy_host : s->host, port,
                       &hints);
    if (r < 0) {
        fail(s, r, "cannot resolve %s: %s", s->proxy_host ? s->proxy_host : s->host,
             uv_strerror(r));
        return 0;
    }
    s->gai_pending = true;
    s->pending++;
    return 0;
}

int oa_stream_write(struct oa_stream *s, const void *data, size_t len, uint64_t seq)
{
    struct oa_buf out;
    int r;

    if (s->closing)
        return OA_ECLOSED;
    if (!s->ready)
        return -ENOTCONN;
    if (!s->tls)
        return write_raw(s, data, len, seq);
    oa_buf_init(&out, SIZE_MAX);
    r = oa_tls_write(s->tls, data, len);
    if (r == 0)
        r = oa_tls_take_output(s->tls, &out);
    if (r < 0)
        fail(s, r, "TLS: cannot encrypt: %s", oa_strerror(r));
    else if ((r = write_raw(s, out.data, out.len, seq)) < 0)
        /* Encrypted records that are not sent break the session. */
        fail(s, r, "TLS: cannot send: %s", oa_strerror(r));
    oa_buf_done(&out);
    return r;
}

int oa_stream_close_notify(struct oa_stream *s)
{
    int r;

    if (s->closing)
        return OA_ECLOSED;
    if (!s->ready)
        return -ENOTCONN;
    if (!s->tls)
        return 0;
    r = oa_tls_close_notify(s->tls);
    return r < 0 ? r : flush_tls(s);
}

void oa_stream_close_when_flushed(struct oa_stream *s)
{
    s->close_when_flushed = true;
    if (s->backlog == 0)
        teardown(s);
}

void oa_stream_abort(struct oa_stream *s, int err, const char *why)
{
    fail(s, err, "%s", why ? why : "");
}

bool oa_stream_closing(const struct oa_stream *s)
{
    return s->closing;
}
