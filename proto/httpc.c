/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP client: one request per stream (stream.h), the response parsed
 * by http.h as it arrives, redirects followed on a new stream. The request
 * owns a copy of everything it was given, the current stream, the parser,
 * the body kept so far, and one timer: the deadline of the whole request.
 * The timer is closed last, and cb is called from its close callback, so
 * that it always comes from the loop and nothing runs after it.
 */
#include "httpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "mem.h"
#include "stream.h"

enum httpc_state {
    HTTPC_CONNECTING,  /* the stream resolves, connects, tunnels, shakes hands */
    HTTPC_WAITING,     /* the request is sent; the response is being read */
    HTTPC_REDIRECTING, /* a redirect is to be followed once the stream has closed */
    HTTPC_ENDING,      /* the outcome is known; the stream and the timer close */
};

struct oa_httpc {
    uv_loop_t *loop;
    oa_httpc_cb cb;
    void *ud;
    int (*on_body)(void *ud, const char *chunk, size_t len);
    /* The request, copied. url is the current hop's. */
    char *method;
    char **headers; /* NULL-terminated */
    char *body;
    size_t body_len;
    struct oa_url url, origin, proxy;
    bool has_proxy;
    char *no_proxy;
    struct oa_tls_config *tls;
    size_t max_body;
    uint64_t timeout_ms;
    unsigned max_redirects, redirects;

    enum httpc_state state;
    struct oa_stream *stream; /* NULL between hops and at the end */
    enum oa_stream_phase phase;
    uv_timer_t timer;
    struct oa_http_response resp;
    struct oa_buf kept; /* the body, unless streamed */
    size_t body_seen;   /* body bytes of this answer so far */
    bool cancelled;
    int err;
    int status;
    char shown[300]; /* the current URL as messages show it */
    char why[512];
};

static void end(struct oa_httpc *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- copies ---- */

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++) {
        explicit_bzero(*p, strlen(*p)); /* a header may hold a token */
        oa_free(*p);
    }
    oa_free(v);
}

static int copy_strv(const char *const *v, char ***ret)
{
    size_t n = 0;
    char **c;

    while (v && v[n])
        n++;
    if (!(c = oa_calloc(n + 1, sizeof(*c))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(c[i] = oa_strdup(v[i]))) {
            free_strv(c);
            return -ENOMEM;
        }
    *ret = c;
    return 0;
}

static int copy_url(struct oa_url *dst, const struct oa_url *src)
{
    *dst = (struct oa_url){.port = src->port, .tls = src->tls};
    dst->scheme = oa_strdup(src->scheme);
    dst->host = oa_strdup(src->host);
    dst->path = oa_strdup(src->path);
    if (src->userinfo)
        dst->userinfo = oa_strdup(src->userinfo);
    if (!dst->scheme || !dst->host || !dst->path || (src->userinfo && !dst->userinfo)) {
        oa_url_done(dst);
        return -ENOMEM;
    }
    return 0;
}

static void free_httpc(struct oa_httpc *h)
{
    oa_free(h->method);
    free_strv(h->headers);
    if (h->body) {
        explicit_bzero(h->body, h->body_len);
        oa_free(h->body);
    }
    oa_url_done(&h->url);
    oa_url_done(&h->origin);
    oa_url_done(&h->proxy);
    oa_free(h->no_proxy);
    oa_http_response_done(&h->resp);
    oa_buf_done(&h->kept);
    oa_free(h);
}

/* ---- the end ---- */

static void on_timer_closed(uv_handle_t *t)
{
    struct oa_httpc *h = t->data;
    bool streamed = h->on_body && h->status / 100 == 2;
    const char *body = h->kept.data ? h->kept.data : "";

    if (h->err < 0 || streamed)
        body = NULL;
    if (!h->cancelled)
        h->cb(h->ud, h->err, h->status, body, body ? h->kept.len : 0, h->why);
    free_httpc(h);
}

static void close_timer(struct oa_httpc *h)
{
    if (!uv_is_closing((uv_handle_t *)&h->timer))
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}

/* Records the outcome (the first one wins) and closes the stream; cb
 * follows once everything is closed. */
static void end(struct oa_httpc *h, int err, const char *fmt, ...)
{
    va_list ap;

    if (h->state == HTTPC_ENDING)
        return;
    h->state = HTTPC_ENDING;
    h->err = err;
    h->status = h->resp.headers_complete ? h->resp.status : 0;
    va_start(ap, fmt);
    vsnprintf(h->why, sizeof(h->why), fmt, ap);
    va_end(ap);
    if (h->stream)
        oa_stream_abort(h->stream, err, h->why);
    else
        close_timer(h);
}

static void succeed(struct oa_httpc *h)
{
    char reason[100];

    oa_http_response_reason(&h->resp, reason, sizeof(reason));
    end(h, 0, "HTTP %d%s%s", h->resp.status, reason[0] ? " " : "", reason);
}

static void on_timeout(uv_timer_t *t)
{
    struct oa_httpc *h = t->data;

    if (h->timeout_ms % 1000 == 0)
        end(h, UV_ETIMEDOUT, "timed out after %llu s", (unsigned long long)(h->timeout_ms / 1000));
    else
        end(h, UV_ETIMEDOUT, "timed out after %llu ms", (unsigned long long)h->timeout_ms);
}

/* ---- redirects ---- */

/* The URL as messages show it: no user info, no query. */
static void show_url(const struct oa_url *u, char *buf, size_t size)
{
    bool v6 = strchr(u->host, ':') != NULL;
    bool default_port = u->port == (u->tls ? 443 : 80);
    char port[16] = "";

    if (!default_port)
        snprintf(port, sizeof(port), ":%d", u->port);
    snprintf(buf, size, "%s://%s%s%s%s%.*s", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "", port,
             (int)strcspn(u->path, "?"), u->path);
}

/* A clipped copy of a Location for a message: without controls, and
 * without its query, which may hold a signature. */
static void printable(const char *s, char *buf, size_t size)
{
    size_t n = 0, len = strcspn(s, "?#");

    for (; n < len && n + 1 < size; n++)
        buf[n] = (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f ? s[n] : '?';
    buf[n] = '\0';
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* RFC 9110 §15.4: a 303 is fetched with GET, and so is the answer to a POST
 * moved with 301 or 302 (what every client does); 307 and 308 keep the
 * method and the body. */
static int rewrite_method(struct oa_httpc *h, int status)
{
    bool to_get = (status == 303 && strcmp(h->method, "HEAD") != 0) ||
                  ((status == 301 || status == 302) && strcmp(h->method, "POST") == 0);
    char *get;

    if (!to_get)
        return 0;
    if (!(get = oa_strdup("GET")))
        return -ENOMEM;
    oa_free(h->method);
    h->method = get;
    if (h->body) {
        explicit_bzero(h->body, h->body_len);
        oa_free(h->body);
    }
    h->body = NULL;
    h->body_len = 0;
    return 0;
}

/* After the header block: follows a redirect when it is one to follow.
 * Returns whether the answer was taken care of (followed or failed). */
static bool take_redirect(struct oa_httpc *h)
{
    char why[200], loc[120];
    struct oa_url next;
    int r;

    if (!is_redirect(h->resp.status) || !h->resp.location || h->max_redirects == 0)
        return false;
    printable(h->resp.location, loc, sizeof(loc));
    if (h->redirects >= h->max_redirects) {
        end(h, OA_EPROTO, "%s: more than %u redirects", h->shown, h->max_redirects);
        return true;
    }
    r = oa_url_resolve(&h->url, h->resp.location, &next, why, sizeof(why));
    if (r == 0 && strcmp(next.scheme, "http") != 0 && strcmp(next.scheme, "https") != 0) {
        oa_url_done(&next);
        snprintf(why, sizeof(why), "not an http or https URL");
        r = OA_ESCHEMA;
    }
    if (r < 0) {
        if (r == -ENOMEM)
            end(h, r, "out of memory");
        else
            end(h, OA_EPROTO, "%s: cannot follow the redirect to %s: %s", h->shown, loc, why);
        return true;
    }
    if (h->url.tls && !next.tls) {
        oa_url_done(&next);
        end(h, OA_EPROTO, "%s: refusing a redirect from https to http (%s)", h->shown, loc);
        return true;
    }
    if (rewrite_method(h, h->resp.status) < 0) {
        oa_url_done(&next);
        end(h, -ENOMEM, "out of memory");
        return true;
    }
    oa_url_done(&h->url);
    h->url = next;
    h->redirects++;
    h->state = HTTPC_REDIRECTING;
    oa_stream_abort(h->stream, 0, NULL);
    return true;
}

/* ---- the response ---- */

static int on_resp_body(void *ud, const char *data, size_t len)
{
    struct oa_httpc *h = ud;
    int status = h->resp.status, r;

    /* The body of a redirect that will be followed is of no use. */
    if (is_redirect(status) && h->resp.location && h->max_redirects > 0)
        return 0;
    if (len > h->max_body - h->body_seen) {
        end(h, OA_ETOOBIG, "%s: the body is larger than %zu bytes", h->shown, h->max_body);
        return OA_ETOOBIG;
    }
    h->body_seen += len;
    if (!h->on_body || status < 200 || status > 299) {
        r = oa_buf_append(&h->kept, data, len);
        if (r < 0)
            end(h, r, "out of memory");
        return r;
    }
    r = h->on_body(h->ud, data, len);
    if (h->state == HTTPC_ENDING)
        return OA_ECLOSED; /* cancelled from the callback */
    if (r < 0)
        end(h, r, "%s: the body handler failed: %s", h->shown, oa_strerror(r));
    return r < 0 ? r : 0;
}

/* A fresh parser for the next answer on this stream or the next. */
static void reset_response(struct oa_httpc *h)
{
    oa_http_response_done(&h->resp);
    oa_http_response_init(&h->resp, OA_HTTP_MAX_HEADER);
    if (strcmp(h->method, "HEAD") != 0)
        oa_http_response_read_body(&h->resp, on_resp_body, h);
    oa_buf_done(&h->kept);
    oa_buf_init(&h->kept, h->max_body);
    h->body_seen = 0;
}

/* What the feed or the end of the stream did to the answer. */
static void after_input(struct oa_httpc *h, int r, const char *why)
{
    if (h->state != HTTPC_WAITING)
        return; /* the body callback ended the request */
    if (r < 0)
        end(h, r, "%s: %s", h->shown, why);
    else if (h->resp.headers_complete && take_redirect(h))
        return;
    else if (h->resp.complete)
        succeed(h);
}

static void on_stream_data(void *ud, const char *data, size_t len)
{
    struct oa_httpc *h = ud;
    char why[200] = "";

    while (len > 0 && h->state == HTTPC_WAITING) {
        ssize_t n = oa_http_response_feed(&h->resp, data, len, why, sizeof(why));

        /* An interim answer (100 Continue, 103 Early Hints) is followed by
         * the real one. */
        if (n >= 0 && h->resp.complete && h->resp.status / 100 == 1 && h->resp.status != 101) {
            reset_response(h);
            data += n;
            len -= (size_t)n;
            continue;
        }
        after_input(h, n < 0 ? (int)n : 0, why);
        return;
    }
}

static void on_stream_eof(void *ud, bool close_notify)
{
    struct oa_httpc *h = ud;
    char why[200] = "";
    int r;

    if (h->state != HTTPC_WAITING)
        return;
    /* Without close_notify a TLS peer may have been cut off by an attacker;
     * only a body that runs until the end of the stream cannot tell, and
     * servers commonly skip close_notify (so do curl and wget). */
    r = oa_http_response_finish(&h->resp, why, sizeof(why));
    after_input(h, r, why);
}

/* ---- the stream ---- */

static void on_stream_phase(void *ud, enum oa_stream_phase phase)
{
    struct oa_httpc *h = ud;
    h->phase = phase;
}

static void on_stream_ready(void *ud)
{
    struct oa_httpc *h = ud;
    bool same_origin = h->url.tls == h->origin.tls && h->url.port == h->origin.port &&
                       strcasecmp(h->url.host, h->origin.host) == 0;
    struct oa_http_req rq = {
        .method = h->method,
        .host = h->url.host,
        .port = h->url.port,
        .tls = h->url.tls,
        .path = h->url.path,
        .headers = same_origin ? (const char *const *)h->headers : NULL,
        .body = h->body,
        .body_len = h->body_len,
    };
    struct oa_buf b;
    int r;

    if (h->state != HTTPC_CONNECTING)
        return;
    oa_buf_init(&b, SIZE_MAX);
    r = oa_http_request(&b, &rq);
    if (r == 0)
        r = oa_stream_write(h->stream, b.data, b.len, 0);
    if (b.data)
        explicit_bzero(b.data, b.len);
    oa_buf_done(&b);
    if (r < 0)
        end(h, r, "%s: cannot send the request: %s", h->shown, oa_strerror(r));
    else
        h->state = HTTPC_WAITING;
}

static int start_hop(struct oa_httpc *h);

static void on_stream_closed(void *ud, int err, const char *why)
{
    struct oa_httpc *h = ud;
    int r;

    h->stream = NULL;
    switch (h->state) {
    case HTTPC_CONNECTING:
    case HTTPC_WAITING:
        /* Before the TCP connection the stream's text names the host and
         * port; after it, the URL says which request failed. */
        if (h->state == HTTPC_CONNECTING && h->phase <= OA_STREAM_CONNECTING)
            end(h, err ? err : OA_ECLOSED, "%s", why);
        else
            end(h, err ? err : OA_ECLOSED, "%s: %s", h->shown, why);
        break;
    case HTTPC_REDIRECTING:
        if ((r = start_hop(h)) < 0)
            end(h, r, "%s: %s", h->shown,
                r == OA_ETLS ? "https needs a TLS configuration" : oa_strerror(r));
        break;
    case HTTPC_ENDING:
        close_timer(h);
        break;
    }
}

static const struct oa_stream_events stream_events = {
    .on_phase = on_stream_phase,
    .on_ready = on_stream_ready,
    .on_data = on_stream_data,
    .on_eof = on_stream_eof,
    .on_closed = on_stream_closed,
};

/* Connects for the current URL. Returns 0, or OA_ETLS (https without a
 * TLS configuration), -ENOMEM, -EINVAL: nothing started. */
static int start_hop(struct oa_httpc *h)
{
    bool proxied = h->has_proxy && !oa_url_bypasses_proxy(h->url.host, h->no_proxy);
    struct oa_stream_params sp = {
        .host = h->url.host,
        .port = h->url.port,
        .tls = h->url.tls,
        .tls_cfg = h->tls,
        .proxy = proxied ? &h->proxy : NULL,
    };

    show_url(&h->url, h->shown, sizeof(h->shown));
    if (h->url.tls && !h->tls)
        return OA_ETLS;
    reset_response(h);
    h->state = HTTPC_CONNECTING;
    h->phase = OA_STREAM_RESOLVING;
    return oa_stream_start(h->loop, &sp, &stream_events, h, &h->stream);
}

/* ---- the public side ---- */

static bool valid_request(const struct oa_httpc_request *req, oa_httpc_cb cb)
{
    const struct oa_url *u = req->url;
    struct oa_http_req rq;
    struct oa_buf b;
    int r;

    if (!cb || !u || !u->scheme || req->timeout_ms == 0 || (req->proxy && req->proxy->tls) ||
        (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0) ||
        (u->tls && !req->tls))
        return false;
    /* The request as it would be written checks the method and headers. */
    rq = (struct oa_http_req){
        .method = req->method,
        .host = u->host,
        .port = u->port,
        .tls = u->tls,
        .path = u->path,
        .headers = req->headers,
        .body = req->body,
        .body_len = req->body_len,
    };
    oa_buf_init(&b, SIZE_MAX);
    r = oa_http_request(&b, &rq);
    if (b.data)
        explicit_bzero(b.data, b.len);
    oa_buf_done(&b);
    return r != -EINVAL;
}

static int copy_request(struct oa_httpc *h, const struct oa_httpc_request *req)
{
    h->method = oa_strdup(req->method);
    h->body_len = req->body_len;
    if (req->body_len && (h->body = oa_malloc(req->body_len)))
        memcpy(h->body, req->body, req->body_len);
    if (req->no_proxy)
        h->no_proxy = oa_strdup(req->no_proxy);
    if (!h->method || (req->body_len && !h->body) || (req->no_proxy && !h->no_proxy))
        return -ENOMEM;
    if (copy_strv(req->headers, &h->headers) < 0 || copy_url(&h->url, req->url) < 0 ||
        copy_url(&h->origin, req->url) < 0)
        return -ENOMEM;
    h->has_proxy = req->proxy != NULL;
    if (req->proxy && copy_url(&h->proxy, req->proxy) < 0)
        return -ENOMEM;
    h->tls = req->tls;
    h->max_body = req->max_body;
    h->timeout_ms = req->timeout_ms;
    h->max_redirects = req->max_redirects;
    h->on_body = req->on_body;
    return 0;
}

int oa_httpc_start(uv_loop_t *loop, const struct oa_httpc_request *req, oa_httpc_cb cb, void *ud,
                   struct oa_httpc **ret)
{
    struct oa_httpc *h;
    int r;

    if (!valid_request(req, cb))
        return -EINVAL;
    if (!(h = oa_calloc(1, sizeof(*h))))
        return -ENOMEM;
    h->loop = loop;
    h->cb = cb;
    h->ud = ud;
    oa_buf_init(&h->kept, 0);
    oa_http_response_init(&h->resp, OA_HTTP_MAX_HEADER);
    r = copy_request(h, req);
    if (r == 0)
        r = start_hop(h);
    if (r < 0) {
        free_httpc(h);
        return r == -EINVAL ? -EINVAL : -ENOMEM;
    }
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_timeout, h->timeout_ms, 0);
    *ret = h;
    return 0;
}

void oa_httpc_cancel(struct oa_httpc *h)
{
    h->cancelled = true;
    end(h, UV_ECANCELED, "cancelled");
}
