/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/httpc.h, the asynchronous HTTP client, against the
 * test server and CONNECT proxy of helper_httpd.c, which run in this
 * process on the same libuv loop. The server answers by path: Content-Length,
 * chunked and until-close bodies, 204, 100 Continue, 404, redirect chains
 * and loops, oversize bodies, silence, headers one byte at a time, a header
 * block over the limit, cut and broken answers, an echo of the request, an
 * IMDSv2 look-alike; the same over TLS with a trusted and a rogue CA; and
 * through the proxy with and without credentials. Then streaming bodies,
 * cancelling, the caller's mistakes, and every allocation failing in turn.
 *
 * Every test runs its own loop and ends with uv_loop_close() == 0: no
 * handle of the client is left behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "err.h"
#include "httpc.h"
#include "mem.h"
#include "url.h"

#include "helper_httpd.c"

#define UA "User-Agent: opsagent/" OA_VERSION "\r\n"

/* ---- running requests ---- */

struct result {
    bool done;
    int calls, err, status;
    char *body; /* a copy, NULL when cb got NULL */
    size_t body_len;
    char why[512];
    struct bytes streamed; /* what on_body got */
    int body_verdict;      /* what on_body returns */
    struct oa_httpc *h;
    bool cancel_in_body;
};

static void on_done(void *ud, int err, int status, const char *body, size_t len, const char *why)
{
    struct result *r = ud;

    r->calls++;
    r->done = true;
    r->err = err;
    r->status = status;
    r->body_len = len;
    if (body) {
        assert_int_equal(body[len], '\0');
        r->body = malloc(len + 1);
        assert_non_null(r->body);
        memcpy(r->body, body, len + 1);
    }
    assert_non_null(why);
    snprintf(r->why, sizeof(r->why), "%s", why);
    oa_httpc_cancel(r->h); /* from inside cb: nothing happens */
}

static int on_chunk(void *ud, const char *chunk, size_t len)
{
    struct result *r = ud;

    assert_true(len > 0);
    bytes_add(&r->streamed, chunk, len);
    if (r->cancel_in_body)
        oa_httpc_cancel(r->h);
    return r->body_verdict;
}

static void result_done(struct result *r)
{
    free(r->body);
    free(r->streamed.p);
    memset(r, 0, sizeof(*r));
}

static void on_expired(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/* Runs the loop until *flag (at most 10 s). */
static void run_until(struct env *e, const bool *flag)
{
    uv_timer_t t;
    bool expired = false;

    uv_timer_init(&e->loop, &t);
    t.data = &expired;
    uv_timer_start(&t, on_expired, 10000, 0);
    while (!*flag && !expired)
        uv_run(&e->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT);
    assert_false(expired);
}

/* What a test may change in a request; zeros mean the defaults (GET, 1 MiB,
 * 5 s, 5 redirects, the group's TLS configuration). */
struct opts {
    const char *method;
    const char *const *headers;
    const char *body;
    const char *proxy, *no_proxy;
    size_t max_body;
    uint64_t timeout_ms;
    int max_redirects; /* -1: 0 */
    bool stream, no_tls;
    unsigned long fail_after; /* oa_mem_fail_after() right before the start */
};

static int start(struct env *e, const char *url, const struct opts *o, struct result *r)
{
    struct oa_url u = {0}, p = {0};
    char err[128];
    struct oa_httpc_request rq = {
        .method = o->method ? o->method : "GET",
        .url = &u,
        .headers = o->headers,
        .body = o->body,
        .body_len = o->body ? strlen(o->body) : 0,
        .proxy = o->proxy ? &p : NULL,
        .no_proxy = o->no_proxy,
        .tls = o->no_tls ? NULL : e->g->tls,
        .max_body = o->max_body ? o->max_body : 1u << 20,
        .timeout_ms = o->timeout_ms ? o->timeout_ms : 5000,
        .max_redirects = o->max_redirects < 0 ? 0
                         : o->max_redirects   ? (unsigned)o->max_redirects
                                              : 5,
        .on_body = o->stream ? on_chunk : NULL,
    };
    int ret;

    assert_int_equal(oa_url_parse(url, &u, err, sizeof(err)), 0);
    if (o->proxy)
        assert_int_equal(oa_url_parse(o->proxy, &p, err, sizeof(err)), 0);
    if (o->fail_after)
        oa_mem_fail_after(o->fail_after);
    ret = oa_httpc_start(&e->loop, &rq, on_done, r, &r->h);
    /* Everything was copied. */
    oa_url_done(&u);
    oa_url_done(&p);
    return ret;
}

static void fetch(struct env *e, const char *url, const struct opts *o, struct result *r)
{
    assert_int_equal(start(e, url, o, r), 0);
    run_until(e, &r->done);
    assert_int_equal(r->calls, 1);
}

/* A URL on the http ([0]) or https ([1]) server; static buffer. */
static const char *url_of(struct env *e, int which, const char *path)
{
    static char buf[2][512];
    static int n;
    char *b = buf[n++ % 2];

    snprintf(b, sizeof(buf[0]), "%s://%s:%d%s", which ? "https" : "http",
             which ? "localhost" : "127.0.0.1", e->srv[which].port, path);
    return b;
}

static void expect_ok(struct result *r, int status, const char *body, const char *why)
{
    if (r->err != 0)
        fail_msg("error %d: %s", r->err, r->why);
    assert_int_equal(r->status, status);
    assert_non_null(r->body);
    assert_string_equal(r->body, body);
    assert_int_equal(r->body_len, strlen(body));
    assert_string_equal(r->why, why);
}

static void expect_err(struct result *r, int err, const char *why)
{
    if (r->err != err)
        fail_msg("expected %d, got %d: %s", err, r->err, r->why);
    assert_null(r->body);
    assert_string_equal(r->why, why);
}

/* ---- bodies ---- */

static void test_content_length(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[256];

    fetch(e, url_of(e, 0, "/cl"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    snprintf(want, sizeof(want),
             "GET /cl HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA "Connection: close\r\n\r\n",
             e->srv[0].port);
    assert_int_equal(e->n_requests, 1);
    assert_string_equal(e->requests[0], want);
    result_done(&r);
    env_free(e);
}

static void test_chunked_until_close_and_empty(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    fetch(e, url_of(e, 0, "/chunked"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "hello world", "HTTP 200 OK");
    result_done(&r);
    fetch(e, url_of(e, 0, "/eof"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "until the end", "HTTP 200 OK");
    result_done(&r);
    fetch(e, url_of(e, 0, "/empty"), &(struct opts){0}, &r);
    expect_ok(&r, 204, "", "HTTP 204 No Content");
    result_done(&r);
    /* An interim 100 Continue is skipped. */
    fetch(e, url_of(e, 0, "/continue"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "ok", "HTTP 200 OK");
    result_done(&r);
    /* HEAD: no body is read, whatever the headers say. */
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){.method = "HEAD"}, &r);
    expect_ok(&r, 200, "", "HTTP 200 OK");
    result_done(&r);
    env_free(e);
}

/* An HTTP error status is an answer, not an error. */
static void test_not_found(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    fetch(e, url_of(e, 0, "/404"), &(struct opts){0}, &r);
    expect_ok(&r, 404, "not found", "HTTP 404 Not Found");
    result_done(&r);
    env_free(e);
}

static void test_headers_one_byte_at_a_time(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    fetch(e, url_of(e, 0, "/slow"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "slow", "HTTP 200 OK");
    result_done(&r);
    env_free(e);
}

static void test_oversize_body(void **state)
{
    static const char *const paths[] = {"/big", "/big-chunked", "/big-eof"};
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[256];

    for (size_t i = 0; i < 3; i++) {
        fetch(e, url_of(e, 0, paths[i]), &(struct opts){.max_body = 1000}, &r);
        snprintf(want, sizeof(want), "%s: the body is larger than 1000 bytes",
                 url_of(e, 0, paths[i]));
        expect_err(&r, OA_ETOOBIG, want);
        assert_int_equal(r.status, 200);
        result_done(&r);
        /* Exactly at the limit is fine. */
        fetch(e, url_of(e, 0, paths[i]), &(struct opts){.max_body = 20000}, &r);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.body_len, 20000);
        result_done(&r);
    }
    env_free(e);
}

static void test_header_block_too_big(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[256];

    fetch(e, url_of(e, 0, "/huge-header"), &(struct opts){0}, &r);
    snprintf(want, sizeof(want), "%s: the response's header block is too big",
             url_of(e, 0, "/huge-header"));
    expect_err(&r, OA_ETOOBIG, want);
    assert_int_equal(r.status, 0);
    result_done(&r);
    env_free(e);
}

static void test_broken_answers(void **state)
{
    static const struct {
        const char *path, *why;
    } cases[] = {
        {"/cut", "the connection closed before the end of the body"},
        {"/cut-head", "the connection closed before the end of the header block"},
        {"/garbage", "invalid HTTP version"},
        {"/bad-chunk", "invalid character in chunk size header"},
    };
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fetch(e, url_of(e, 0, cases[i].path), &(struct opts){0}, &r);
        snprintf(want, sizeof(want), "%s: %s", url_of(e, 0, cases[i].path), cases[i].why);
        expect_err(&r, OA_EPROTO, want);
        result_done(&r);
    }
    env_free(e);
}

static void test_timeout(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    fetch(e, url_of(e, 0, "/silent"), &(struct opts){.timeout_ms = 150}, &r);
    expect_err(&r, UV_ETIMEDOUT, "timed out after 150 ms");
    assert_int_equal(e->n_requests, 1);
    result_done(&r);
    fetch(e, url_of(e, 0, "/silent"), &(struct opts){.timeout_ms = 1000}, &r);
    expect_err(&r, UV_ETIMEDOUT, "timed out after 1 s");
    result_done(&r);
    env_free(e);
}

static void test_connection_refused(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    uv_tcp_t t;
    int port;
    char url[64], want[128];

    /* A port that was just free. */
    port = listen_on(&e->loop, &t, NULL, on_connection);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    fetch(e, url, &(struct opts){0}, &r);
    snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: connection refused", port);
    expect_err(&r, UV_ECONNREFUSED, want);
    result_done(&r);
    env_free(e);
}

/* ---- redirects ---- */

static void test_redirect_chain(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[128];

    /* 301 absolute, 302 absolute-path, 307 relative to the directory. */
    fetch(e, url_of(e, 0, "/chain3"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    assert_int_equal(e->n_requests, 4);
    assert_true(strncmp(e->requests[1], "GET /chain2 HTTP/1.1\r\n", 22) == 0);
    assert_true(strncmp(e->requests[2], "GET /chain1 HTTP/1.1\r\n", 22) == 0);
    assert_true(strncmp(e->requests[3], "GET /cl?from=1 HTTP/1.1\r\n", 25) == 0);
    result_done(&r);
    /* One redirect fewer than needed. */
    fetch(e, url_of(e, 0, "/chain3"), &(struct opts){.max_redirects = 2}, &r);
    snprintf(want, sizeof(want), "%s: more than 2 redirects", url_of(e, 0, "/chain1"));
    expect_err(&r, OA_EPROTO, want);
    result_done(&r);
    env_free(e);
}

static void test_redirect_loop(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[128];

    fetch(e, url_of(e, 0, "/loop"), &(struct opts){.max_redirects = 3}, &r);
    snprintf(want, sizeof(want), "%s: more than 3 redirects", url_of(e, 0, "/loop"));
    expect_err(&r, OA_EPROTO, want);
    assert_int_equal(r.status, 302);
    assert_int_equal(e->n_requests, 4);
    result_done(&r);
    /* max_redirects 0: the redirect is the answer. */
    fetch(e, url_of(e, 0, "/loop"), &(struct opts){.max_redirects = -1}, &r);
    expect_ok(&r, 302, "moved\r\n", "HTTP 302 Moved");
    result_done(&r);
    env_free(e);
}

/* 303 (and 301/302 after a POST) go on with GET and no body; 307 and 308
 * keep both. */
static void test_redirect_methods(void **state)
{
    static const struct {
        const char *method, *status, *want;
    } cases[] = {
        {"POST", "303", "GET\n"},
        {"POST", "302", "GET\n"},
        {"PUT", "301", "PUT\nContent-Length: 3\r\n\r\nabc"},
        {"POST", "307", "POST\nContent-Length: 3\r\n\r\nabc"},
        {"PUT", "308", "PUT\nContent-Length: 3\r\n\r\nabc"},
    };
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char path[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "/to?%s&/echo", cases[i].status);
        fetch(e, url_of(e, 0, path), &(struct opts){.method = cases[i].method, .body = "abc"}, &r);
        assert_int_equal(r.err, 0);
        assert_non_null(strstr(r.body, "Connection: close\r\n"));
        assert_int_equal(strncmp(r.body, cases[i].want, 4), 0);
        assert_non_null(strstr(r.body, strchr(cases[i].want, '\n') + 1));
        if (strcmp(cases[i].want, "GET\n") == 0)
            assert_null(strstr(r.body, "Content-Length"));
        result_done(&r);
    }
    env_free(e);
}

/* The caller's headers may hold a token: they go to the same origin only. */
static void test_redirect_drops_headers_elsewhere(void **state)
{
    static const char *const headers[] = {"X-Secret: s3cret", NULL};
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char path[128];

    fetch(e, url_of(e, 0, "/to?302&/echo"), &(struct opts){.headers = headers}, &r);
    assert_int_equal(r.err, 0);
    assert_non_null(strstr(r.body, "X-Secret: s3cret\r\n"));
    result_done(&r);
    snprintf(path, sizeof(path), "/to?302&http://localhost:%d/echo", e->srv[0].port);
    fetch(e, url_of(e, 0, path), &(struct opts){.headers = headers}, &r);
    assert_int_equal(r.err, 0);
    assert_non_null(strstr(r.body, "Host: localhost:"));
    assert_null(strstr(r.body, "s3cret"));
    result_done(&r);
    env_free(e);
}

static void test_redirect_refusals(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char path[128], want[256];

    snprintf(path, sizeof(path), "/to?302&http://127.0.0.1:%d/cl", e->srv[0].port);
    fetch(e, url_of(e, 1, path), &(struct opts){0}, &r);
    snprintf(want, sizeof(want),
             "https://localhost:%d/to: refusing a redirect from https to http "
             "(http://127.0.0.1:%d/cl)",
             e->srv[1].port, e->srv[0].port);
    expect_err(&r, OA_EPROTO, want);
    assert_int_equal(e->n_requests, 1);
    result_done(&r);
    fetch(e, url_of(e, 0, "/to?302&ftp://x/y"), &(struct opts){0}, &r);
    snprintf(want, sizeof(want),
             "%s: cannot follow the redirect to ftp://x/y: unsupported scheme (expected ws, wss, "
             "http or https)",
             url_of(e, 0, "/to"));
    expect_err(&r, OA_EPROTO, want);
    result_done(&r);
    env_free(e);
}

/* ---- the EC2 metadata service, IMDSv2 ---- */

static void test_imds_v2(void **state)
{
    static const char *const ttl[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL};
    const char *token_header[] = {NULL, NULL};
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char token[128];

    fetch(e, url_of(e, 0, "/latest/api/token"), &(struct opts){.method = "PUT", .headers = ttl},
          &r);
    expect_ok(&r, 200, "AQAEtoken", "HTTP 200 OK");
    assert_non_null(strstr(e->requests[0], "PUT /latest/api/token HTTP/1.1\r\n"));
    assert_non_null(strstr(e->requests[0], "\r\nContent-Length: 0\r\n"));
    snprintf(token, sizeof(token), "X-aws-ec2-metadata-token: %s", r.body);
    token_header[0] = token;
    result_done(&r);
    fetch(e, url_of(e, 0, "/latest/meta-data/instance-id"), &(struct opts){.headers = token_header},
          &r);
    expect_ok(&r, 200, "i-0123456789abcdef0", "HTTP 200 OK");
    result_done(&r);
    /* Without the token: an answer, 401. */
    fetch(e, url_of(e, 0, "/latest/meta-data/instance-id"), &(struct opts){0}, &r);
    expect_ok(&r, 401, "", "HTTP 401 Unauthorized");
    result_done(&r);
    env_free(e);
}

/* ---- https ---- */

static void test_https(void **state)
{
    static const char *const paths[] = {"/cl", "/chunked", "/eof", "/404"};
    static const char *const bodies[] = {"hello", "hello world", "until the end", "not found"};
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    for (size_t i = 0; i < 4; i++) {
        fetch(e, url_of(e, 1, paths[i]), &(struct opts){0}, &r);
        if (r.err)
            fail_msg("%s: %s", paths[i], r.why);
        assert_string_equal(r.body, bodies[i]);
        result_done(&r);
    }
    assert_int_equal(e->n_requests, 4);
    env_free(e);
}

static void test_https_wrong_ca(void **state)
{
    struct env *e = env_new(state, "rogue");
    struct result r = {0};
    char want[256];

    fetch(e, url_of(e, 1, "/cl"), &(struct opts){0}, &r);
    snprintf(want, sizeof(want),
             "https://localhost:%d/cl: TLS handshake with localhost failed: certificate "
             "verification failed: the certificate is not correctly signed by the trusted CA",
             e->srv[1].port);
    expect_err(&r, OA_ETLS, want);
    assert_int_equal(e->n_requests, 0);
    result_done(&r);
    env_free(e);
}

/* ---- through a CONNECT proxy ---- */

static void test_proxy(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char proxy[128], creds[128], want[256];

    /* http and https both go through CONNECT. */
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", e->proxy_port);
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){.proxy = proxy}, &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    result_done(&r);
    fetch(e, url_of(e, 1, "/chunked"), &(struct opts){.proxy = proxy}, &r);
    expect_ok(&r, 200, "hello world", "HTTP 200 OK");
    result_done(&r);
    assert_int_equal(e->n_connects, 2);
    snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n", e->srv[0].port);
    assert_true(strncmp(e->connects[0], want, strlen(want)) == 0);
    snprintf(want, sizeof(want), "CONNECT localhost:%d HTTP/1.1\r\n", e->srv[1].port);
    assert_true(strncmp(e->connects[1], want, strlen(want)) == 0);
    assert_null(strstr(e->connects[0], "Proxy-Authorization"));

    /* Credentials from the proxy URL; without them, 407. */
    e->proxy_auth = "Basic dXNlcjpzM2NyZXQ="; /* user:s3cret */
    snprintf(creds, sizeof(creds), "http://user:s3cret@127.0.0.1:%d", e->proxy_port);
    fetch(e, url_of(e, 1, "/cl"), &(struct opts){.proxy = creds}, &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    result_done(&r);
    assert_int_equal(e->n_requests, 3);
    assert_null(strstr(e->requests[2], "s3cret")); /* only the proxy saw them */
    assert_null(strstr(e->requests[2], "Proxy-Authorization"));
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){.proxy = proxy}, &r);
    snprintf(want, sizeof(want),
             "%s: the proxy 127.0.0.1:%d refused CONNECT to 127.0.0.1:%d with status 407",
             url_of(e, 0, "/cl"), e->proxy_port, e->srv[0].port);
    expect_err(&r, OA_EPROTO, want);
    result_done(&r);

    /* no_proxy: straight to the server. */
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){.proxy = proxy, .no_proxy = "x.example,127.0.0.1"},
          &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    result_done(&r);
    assert_int_equal(e->n_connects, 4);
    env_free(e);
}

/* ---- streaming, cancelling ---- */

static void test_streaming(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    char want[256];

    fetch(e, url_of(e, 0, "/chunked"), &(struct opts){.stream = true}, &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
    assert_null(r.body);
    assert_string_equal(r.streamed.p, "hello world");
    result_done(&r);
    /* The body of an error status is kept, not streamed. */
    fetch(e, url_of(e, 0, "/404"), &(struct opts){.stream = true}, &r);
    expect_ok(&r, 404, "not found", "HTTP 404 Not Found");
    assert_null(r.streamed.p);
    result_done(&r);
    /* max_body bounds a streamed body too. */
    fetch(e, url_of(e, 1, "/big"), &(struct opts){.stream = true, .max_body = 5000}, &r);
    assert_int_equal(r.err, OA_ETOOBIG);
    assert_true(r.streamed.len <= 5000);
    result_done(&r);
    /* on_body refuses. */
    r.body_verdict = -EIO;
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){.stream = true}, &r);
    snprintf(want, sizeof(want), "%s: the body handler failed: %s", url_of(e, 0, "/cl"),
             strerror(EIO));
    expect_err(&r, -EIO, want);
    assert_int_equal(r.status, 200);
    result_done(&r);
    env_free(e);
}

static bool asked_for(const struct env *e, const char *path)
{
    char line[128];

    snprintf(line, sizeof(line), " %s HTTP/1.1\r\n", path);
    for (int i = 0; i < e->n_requests && i < MAX_REQUESTS; i++)
        if (strstr(e->requests[i], line))
            return true;
    return false;
}

static void test_cancel(void **state)
{
    struct env *e = env_new(state, NULL);
    struct result r = {0};

    /* At once, before the loop ran. */
    assert_int_equal(start(e, url_of(e, 0, "/cl"), &(struct opts){0}, &r), 0);
    oa_httpc_cancel(r.h);
    /* While the server keeps silent. */
    assert_int_equal(start(e, url_of(e, 0, "/silent"), &(struct opts){0}, &r), 0);
    while (!asked_for(e, "/silent"))
        uv_run(&e->loop, UV_RUN_ONCE);
    oa_httpc_cancel(r.h);
    /* From on_body: nothing more is handed over. */
    r.cancel_in_body = true;
    assert_int_equal(start(e, url_of(e, 1, "/big"), &(struct opts){.stream = true}, &r), 0);
    while (!r.streamed.len)
        uv_run(&e->loop, UV_RUN_ONCE);
    uv_run(&e->loop, UV_RUN_NOWAIT);
    assert_true(r.streamed.len < 20000);
    /* The loop goes on; no callback came. */
    r.cancel_in_body = false;
    fetch(e, url_of(e, 0, "/cl"), &(struct opts){0}, &r);
    expect_ok(&r, 200, "hello", "HTTP 200 OK");
    result_done(&r);
    env_free(e); /* every cancelled request has closed its handles */
}

/* ---- the caller's mistakes ---- */

static void test_invalid_requests(void **state)
{
    static const char *const bad_headers[][2] = {
        {"Bad Name: x", NULL},  {"Host: x", NULL},           {"content-length: 3", NULL},
        {"X: a\r\nY: b", NULL}, {"no colon", NULL},          {"Connection: keep-alive", NULL},
        {": empty", NULL},      {"User-Agent: other", NULL}, {"Transfer-Encoding: chunked", NULL},
    };
    struct env *e = env_new(state, NULL);
    struct result r = {0};
    struct oa_url u;
    char err[64];
    struct oa_httpc_request rq = {.method = "GET", .url = &u, .tls = e->g->tls, .timeout_ms = 1};

    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++)
        assert_int_equal(start(e, url_of(e, 0, "/"), &(struct opts){.headers = bad_headers[i]}, &r),
                         -EINVAL);
    assert_int_equal(start(e, url_of(e, 0, "/"), &(struct opts){.method = "G T"}, &r), -EINVAL);
    assert_int_equal(start(e, url_of(e, 0, "/"), &(struct opts){.method = ""}, &r), -EINVAL);
    assert_int_equal(start(e, url_of(e, 1, "/"), &(struct opts){.no_tls = true}, &r), -EINVAL);
    assert_int_equal(start(e, "ws://127.0.0.1/", &(struct opts){0}, &r), -EINVAL);
    assert_int_equal(
        start(e, url_of(e, 0, "/"), &(struct opts){.proxy = "https://127.0.0.1:1"}, &r), -EINVAL);
    assert_int_equal(oa_url_parse("http://127.0.0.1/", &u, err, sizeof(err)), 0);
    assert_int_equal(oa_httpc_start(&e->loop, &rq, NULL, &r, &r.h), -EINVAL);
    rq.body_len = 3;
    assert_int_equal(oa_httpc_start(&e->loop, &rq, on_done, &r, &r.h), -EINVAL);
    rq.body_len = 0;
    rq.timeout_ms = 0;
    assert_int_equal(oa_httpc_start(&e->loop, &rq, on_done, &r, &r.h), -EINVAL);
    rq.url = NULL;
    assert_int_equal(oa_httpc_start(&e->loop, &rq, on_done, &r, &r.h), -EINVAL);
    oa_url_done(&u);
    assert_int_equal(r.calls, 0);
    env_free(e);
}

/* ---- every allocation failing in turn ---- */

/* One request with the k-th allocation (and all after it) failing. Returns
 * whether it ran clean (fewer than k allocations). */
static bool request_with_failure(struct env *e, int which, const char *path, unsigned long k)
{
    struct result r = {0};
    bool clean;
    int ret;

    ret = start(e, url_of(e, which, path), &(struct opts){.fail_after = k}, &r);
    if (ret == 0)
        run_until(e, &r.done);
    clean = oa_mem_count() < k;
    oa_mem_fail_after(0);
    if (clean)
        expect_ok(&r, 200, strcmp(path, "/chunked") == 0 ? "hello world" : "hello", "HTTP 200 OK");
    else if (ret != 0)
        assert_int_equal(ret, -ENOMEM);
    else if (r.err != -ENOMEM && !(r.err == OA_ETLS && strstr(r.why, "out of memory")))
        fail_msg("allocation %lu failed: %d (%s)", k, r.err, r.why);
    result_done(&r);
    return clean;
}

static void test_allocation_failures(void **state)
{
    struct env *e = env_new(state, NULL);
    unsigned long k;

    /* http, https, and a chain of three redirects. */
    for (int i = 0; i < 3; i++) {
        for (k = 1; k < 2000; k++)
            if (request_with_failure(e, i == 1, i == 2 ? "/chain3" : "/chunked", k))
                break;
        assert_true(k > 5 && k < 2000);
    }
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_chunked_until_close_and_empty),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_headers_one_byte_at_a_time),
        cmocka_unit_test(test_oversize_body),
        cmocka_unit_test(test_header_block_too_big),
        cmocka_unit_test(test_broken_answers),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_redirect_chain),
        cmocka_unit_test(test_redirect_loop),
        cmocka_unit_test(test_redirect_methods),
        cmocka_unit_test(test_redirect_drops_headers_elsewhere),
        cmocka_unit_test(test_redirect_refusals),
        cmocka_unit_test(test_imds_v2),
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_https_wrong_ca),
        cmocka_unit_test(test_proxy),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_invalid_requests),
        cmocka_unit_test(test_allocation_failures),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
