/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/http.h: the WebSocket key and accept (RFC 6455's
 * example), the upgrade and CONNECT requests byte for byte, and the response
 * parser. Every response is fed whole, one byte at a time and at random
 * split points (fixed seed); all chunkings must give the same result and
 * leave the bytes after the header block unconsumed. Then the header cap,
 * garbage, every reason oa_http_check_upgrade gives, and the k-th
 * allocation failing. For httpc: plain requests byte for byte and the input
 * they refuse, and bodies (Content-Length, chunked, until the end of the
 * stream, none) in every chunking, cut short, and refused by the callback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/base64.h>

#include "err.h"
#include "http.h"
#include "mem.h"
#include "rng.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
/* RFC 6455 §1.3 (and §4.2.2) give this accept for that key. */
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define UA "User-Agent: opsagent/" OA_VERSION "\r\n"

static void test_ws_accept_rfc_example(void **state)
{
    char accept[OA_HTTP_WS_ACCEPT_LEN + 1];

    assert_int_equal(oa_http_ws_accept(RFC_KEY, accept), 0);
    assert_string_equal(accept, RFC_ACCEPT);
}

static void test_ws_key(void **state)
{
    struct oa_rng *rng;
    char k1[OA_HTTP_WS_KEY_LEN + 1], k2[OA_HTTP_WS_KEY_LEN + 1];
    unsigned char raw[32];
    size_t n;

    assert_int_equal(oa_rng_new(&rng), 0);
    assert_int_equal(oa_http_ws_key(rng, k1), 0);
    assert_int_equal(oa_http_ws_key(rng, k2), 0);
    assert_int_equal(strlen(k1), OA_HTTP_WS_KEY_LEN);
    assert_string_not_equal(k1, k2);
    assert_int_equal(mbedtls_base64_decode(raw, sizeof(raw), &n, (unsigned char *)k1, strlen(k1)),
                     0);
    assert_int_equal(n, 16);
    oa_rng_free(rng);
}

struct request_case {
    const char *host;
    int port;
    bool tls;
    const char *host_header;
};

static const struct request_case request_cases[] = {
    {"example.com", 80, false, "example.com"},
    {"example.com", 8080, false, "example.com:8080"},
    {"example.com", 443, true, "example.com"},
    {"example.com", 80, true, "example.com:80"},
    {"example.com", 443, false, "example.com:443"},
    {"::1", 8080, false, "[::1]:8080"},
    {"2001:db8::1", 443, true, "[2001:db8::1]"},
};

static void test_upgrade_request(void **state)
{
    for (size_t i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
        const struct request_case *t = &request_cases[i];
        struct oa_buf out;
        char want[512];

        snprintf(want, sizeof(want),
                 "GET /agent?x=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
                 "Sec-WebSocket-Version: 13\r\n" UA "\r\n",
                 t->host_header);
        oa_buf_init(&out, 4096);
        assert_int_equal(
            oa_http_upgrade_request(&out, t->host, t->port, t->tls, "/agent?x=1", RFC_KEY), 0);
        assert_string_equal(out.data, want);
        oa_buf_done(&out);
    }
}

static void test_upgrade_request_bad_input(void **state)
{
    struct oa_buf out;

    oa_buf_init(&out, 4096);
    assert_int_equal(oa_buf_puts(&out, "keep"), 0);
    assert_int_equal(oa_http_upgrade_request(&out, "a\r\nX: y", 80, false, "/", RFC_KEY), -EINVAL);
    assert_int_equal(oa_http_upgrade_request(&out, "h", 80, false, "/a b", RFC_KEY), -EINVAL);
    assert_int_equal(oa_http_upgrade_request(&out, "h", 80, false, "/", "k\n"), -EINVAL);
    assert_int_equal(oa_http_upgrade_request(&out, "", 80, false, "/", RFC_KEY), -EINVAL);
    assert_int_equal(oa_http_upgrade_request(&out, "h", 0, false, "/", RFC_KEY), -EINVAL);
    assert_int_equal(oa_http_upgrade_request(&out, "h", 65536, false, "/", RFC_KEY), -EINVAL);
    assert_string_equal(out.data, "keep");
    oa_buf_done(&out);

    /* Over the buffer's cap: nothing appended. */
    oa_buf_init(&out, 64);
    assert_int_equal(oa_buf_puts(&out, "keep"), 0);
    assert_int_equal(oa_http_upgrade_request(&out, "h", 80, false, "/", RFC_KEY), OA_ETOOBIG);
    assert_string_equal(out.data, "keep");
    oa_buf_done(&out);
}

static void test_connect_request(void **state)
{
    struct oa_buf out;

    oa_buf_init(&out, 4096);
    assert_int_equal(oa_http_connect_request(&out, "example.com", 443, NULL), 0);
    assert_string_equal(out.data, "CONNECT example.com:443 HTTP/1.1\r\n"
                                  "Host: example.com:443\r\n" UA "\r\n");
    oa_buf_reset(&out);
    assert_int_equal(oa_http_connect_request(&out, "::1", 8443, "user:pass"), 0);
    assert_string_equal(out.data, "CONNECT [::1]:8443 HTTP/1.1\r\n"
                                  "Host: [::1]:8443\r\n"
                                  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n" UA "\r\n");
    oa_buf_reset(&out);
    assert_int_equal(oa_http_connect_request(&out, "bad host", 443, NULL), -EINVAL);
    assert_int_equal(out.len, 0);
    oa_buf_done(&out);
}

/* How a response is cut before it is fed. */
enum chunking { WHOLE, BYTES, RANDOM };

/* What feeding a response gave, to compare across chunkings. */
struct outcome {
    int err;
    size_t consumed;
    int status;
    char upgrade[64], connection[64], accept[64];
    bool complete;
    char reterr[128];
};

static void copy_header(char *dst, const char *src)
{
    snprintf(dst, 64, "%s", src ? src : "(none)");
}

/* Feeds data cut as chunking says, as a transport would: after the header
 * block ends, the rest is not offered again. */
static void feed_all(struct oa_http_response *r, const char *data, size_t len, enum chunking c,
                     unsigned seed, struct outcome *o)
{
    size_t off = 0;

    memset(o, 0, sizeof(*o));
    srand(seed);
    while (off < len && !r->complete) {
        size_t n = c == WHOLE ? len - off : c == BYTES ? 1 : 1 + (size_t)rand() % 23;
        ssize_t got;

        if (n > len - off)
            n = len - off;
        got = oa_http_response_feed(r, data + off, n, o->reterr, sizeof(o->reterr));
        if (got < 0) {
            o->err = (int)got;
            break;
        }
        assert_true((size_t)got <= n);
        /* Short only at the end of the header block. */
        if ((size_t)got < n)
            assert_true(r->complete);
        off += (size_t)got;
    }
    o->consumed = off;
    o->status = r->status;
    o->complete = r->complete;
    copy_header(o->upgrade, r->upgrade);
    copy_header(o->connection, r->connection);
    copy_header(o->accept, r->accept);
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
    assert_int_equal(a->err, b->err);
    /* How far a broken response got depends on where it was cut. */
    if (a->err == 0)
        assert_int_equal(a->consumed, b->consumed);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->complete, b->complete);
    assert_string_equal(a->upgrade, b->upgrade);
    assert_string_equal(a->connection, b->connection);
    assert_string_equal(a->accept, b->accept);
    assert_string_equal(a->reterr, b->reterr);
}

/* Feeds data in every chunking (and several random seeds), checks they all
 * agree, and returns the outcome of the whole feed. */
static void feed_every_way(const char *data, size_t len, size_t max_header, struct outcome *ret)
{
    struct oa_http_response r;
    struct outcome o;

    oa_http_response_init(&r, max_header);
    feed_all(&r, data, len, WHOLE, 0, ret);
    oa_http_response_done(&r);
    for (unsigned i = 0; i < 12; i++) {
        oa_http_response_init(&r, max_header);
        feed_all(&r, data, len, i == 0 ? BYTES : RANDOM, i, &o);
        assert_same(ret, &o);
        oa_http_response_done(&r);
    }
}

struct response_case {
    const char *text; /* header block, then what follows it */
    size_t len;
    int status;
    const char *upgrade, *connection, *accept;
};

/* Where the header block of text ends. */
static size_t header_end(const char *text, size_t len)
{
    const char *end = memmem(text, len, "\r\n\r\n", 4);

    assert_non_null(end);
    return (size_t)(end - text) + 4;
}

#define HB_101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
static const char resp_101[] = HB_101 "Connection: Upgrade\r\n"
                                      "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n"
                                      "\x81\x05hello";
static const char resp_mixed[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                 "uPgRaDe:   WebSocket  \r\n"
                                 "X-Other: ignored\r\n"
                                 "CONNECTION: keep-alive\r\n"
                                 "connection: Upgrade\r\n"
                                 "sec-websocket-accept: " RFC_ACCEPT "\r\n\r\n"
                                 "\x88\x00";
static const char resp_connect[] = "HTTP/1.1 200 Connection established\r\n\r\n"
                                   "\x16\x03\x01\x02\x00\x01";
static const char resp_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
static const char resp_407[] = "HTTP/1.0 407 Proxy Authentication Required\r\n"
                               "Proxy-Authenticate: Basic realm=\"x\"\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
static const char resp_101_plain[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00";

#define TEXT(s) s, sizeof(s) - 1

static const struct response_case response_cases[] = {
    {TEXT(resp_101), 101, "websocket", "Upgrade", RFC_ACCEPT},
    {TEXT(resp_mixed), 101, "WebSocket", "keep-alive, Upgrade", RFC_ACCEPT},
    {TEXT(resp_connect), 200, NULL, NULL, NULL},
    {TEXT(resp_body), 200, NULL, NULL, NULL},
    {TEXT(resp_407), 407, NULL, NULL, NULL},
    {TEXT(resp_101_plain), 101, NULL, NULL, NULL},
};

static void test_response_chunkings(void **state)
{
    for (size_t i = 0; i < sizeof(response_cases) / sizeof(response_cases[0]); i++) {
        const struct response_case *t = &response_cases[i];
        struct outcome o;

        print_message("case %zu\n", i);
        feed_every_way(t->text, t->len, 0, &o);
        assert_int_equal(o.err, 0);
        assert_true(o.complete);
        assert_int_equal(o.consumed, header_end(t->text, t->len));
        assert_true(o.consumed < t->len);
        assert_int_equal(o.status, t->status);
        assert_string_equal(o.upgrade, t->upgrade ? t->upgrade : "(none)");
        assert_string_equal(o.connection, t->connection ? t->connection : "(none)");
        assert_string_equal(o.accept, t->accept ? t->accept : "(none)");
    }
}

/* The frames after a 101 may hold NUL bytes: lengths, not strings. */
static void test_response_binary_tail(void **state)
{
    static const char text[] = HB_101 "Connection: upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
                                      "\x82\x00\x00\x00";
    struct outcome o;

    feed_every_way(text, sizeof(text) - 1, 0, &o);
    assert_int_equal(o.err, 0);
    assert_int_equal(o.consumed, sizeof(text) - 1 - 4);
}

static void test_response_after_complete(void **state)
{
    struct oa_http_response r;
    char err[64];

    oa_http_response_init(&r, 0);
    assert_int_equal(r.max_header, OA_HTTP_MAX_HEADER);
    assert_int_equal(
        oa_http_response_feed(&r, resp_connect, sizeof(resp_connect) - 1, err, sizeof(err)),
        sizeof(resp_connect) - 1 - 6);
    assert_true(r.complete);
    /* Nothing more is taken. */
    assert_int_equal(oa_http_response_feed(&r, "\x16\x03", 2, err, sizeof(err)), 0);
    assert_int_equal(oa_http_response_feed(&r, "", 0, err, sizeof(err)), 0);
    oa_http_response_done(&r);
}

/* A header block of exactly total bytes, followed by a WebSocket frame. */
static char *block_of(size_t total, size_t *ret_len)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nX-Pad: ";
    static const char tail[] = "\r\n\r\n";
    size_t pad = total - (sizeof(head) - 1) - (sizeof(tail) - 1);
    char *s = malloc(total + 3);

    assert_non_null(s);
    memcpy(s, head, sizeof(head) - 1);
    memset(s + sizeof(head) - 1, 'a', pad);
    memcpy(s + total - 4, tail, 4);
    memcpy(s + total, "\x81\x00", 3);
    *ret_len = total + 2;
    return s;
}

static void test_response_header_cap(void **state)
{
    struct outcome o;
    size_t len;
    char *s;

    /* Exactly at the cap: fine. */
    s = block_of(OA_HTTP_MAX_HEADER, &len);
    feed_every_way(s, len, 0, &o);
    assert_int_equal(o.err, 0);
    assert_int_equal(o.consumed, OA_HTTP_MAX_HEADER);
    free(s);

    /* One byte over: too big, in every chunking. */
    s = block_of(OA_HTTP_MAX_HEADER + 1, &len);
    feed_every_way(s, len, 0, &o);
    assert_int_equal(o.err, OA_ETOOBIG);
    assert_false(o.complete);
    assert_non_null(strstr(o.reterr, "too big"));
    free(s);

    /* A smaller cap given at init. */
    feed_every_way(resp_101, sizeof(resp_101) - 1, 64, &o);
    assert_int_equal(o.err, OA_ETOOBIG);
}

static void test_response_garbage(void **state)
{
    static const char *const garbage[] = {
        "SSH-2.0-OpenSSH_9.2\r\n",
        "\x16\x03\x01\x00\x05hello",
        "HTTP/1.1 abc Nope\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nBad Header\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "<html>\r\n",
    };

    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        struct oa_http_response r;
        struct outcome o;
        char err[64] = "";

        print_message("garbage %zu\n", i);
        feed_every_way(garbage[i], strlen(garbage[i]), 0, &o);
        assert_int_equal(o.err, OA_EPROTO);
        assert_true(strlen(o.reterr) > 0);
        assert_false(o.complete);

        /* The error sticks. */
        oa_http_response_init(&r, 0);
        assert_int_equal(oa_http_response_feed(&r, garbage[i], strlen(garbage[i]), NULL, 0),
                         OA_EPROTO);
        assert_int_equal(oa_http_response_feed(&r, "HTTP/1.1 ", 9, err, sizeof(err)), OA_EPROTO);
        assert_true(strlen(err) > 0);
        oa_http_response_done(&r);
    }
}

struct check_case {
    const char *text;
    const char *reason; /* NULL: the upgrade is accepted */
};

static const struct check_case check_cases[] = {
    {resp_101, NULL},
    {resp_mixed, NULL},
    {HB_101 "Connection: keep-alive,upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", NULL},
    {"HTTP/1.1 101 OK\r\nupgrade: WEBSOCKET\r\nConnection: UPGRADE\r\n"
     "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     NULL},
    {"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!",
     "the backend answered 403 Forbidden instead of 101 Switching Protocols"},
    {"HTTP/1.1 200 OK\r\n\r\n", "the backend answered 200 OK instead of 101 Switching Protocols"},
    {"HTTP/1.1 500 \r\n\r\n", "the backend answered 500 instead of 101 Switching Protocols"},
    {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's 101 lacks the header Upgrade: websocket"},
    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's 101 lacks the header Upgrade: websocket"},
    {HB_101 "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's 101 lacks the header Connection: upgrade"},
    {HB_101 "Connection: keep-alive\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's 101 lacks the header Connection: upgrade"},
    {HB_101 "Connection: upgrades\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's 101 lacks the header Connection: upgrade"},
    {HB_101 "Connection: Upgrade\r\n\r\n", "the backend's 101 lacks Sec-WebSocket-Accept"},
    {HB_101 "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGJRzPGoWxr+xo=\r\n\r\n",
     "the backend's Sec-WebSocket-Accept does not match our key"},
    {HB_101 "Connection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
            "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
     "the backend's Sec-WebSocket-Accept does not match our key"},
    {HB_101 "Connection: Upgrade\r\n", "the backend's answer to the upgrade is incomplete"},
};

static void test_check_upgrade(void **state)
{
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *t = &check_cases[i];
        struct oa_http_response r;
        char err[160] = "", feed_err[64];
        ssize_t n;

        print_message("check %zu\n", i);
        oa_http_response_init(&r, 0);
        n = oa_http_response_feed(&r, t->text, strlen(t->text), feed_err, sizeof(feed_err));
        assert_true(n > 0);
        if (t->reason) {
            assert_int_equal(oa_http_check_upgrade(&r, RFC_KEY, err, sizeof(err)), OA_EPROTO);
            assert_string_equal(err, t->reason);
        } else {
            assert_int_equal(oa_http_check_upgrade(&r, RFC_KEY, err, sizeof(err)), 0);
            assert_string_equal(err, "");
        }
        oa_http_response_done(&r);
    }
}

/* A reason phrase is text from the peer: clipped and made printable. */
static void test_check_upgrade_reason_sanitized(void **state)
{
    struct oa_http_response r;
    char text[512], err[256];

    snprintf(text, sizeof(text), "HTTP/1.1 404 %0200d\r\n\r\n", 7);
    oa_http_response_init(&r, 0);
    assert_true(oa_http_response_feed(&r, text, strlen(text), NULL, 0) > 0);
    assert_int_equal(oa_http_check_upgrade(&r, RFC_KEY, err, sizeof(err)), OA_EPROTO);
    assert_true(strlen(err) < 150);
    assert_non_null(strstr(err, "instead of 101"));
    oa_http_response_done(&r);
}

static void test_response_failing_alloc(void **state)
{
    ssize_t n = -ENOMEM;

    for (unsigned long k = 1; n < 0; k++) {
        struct oa_http_response r;
        char err[64];

        assert_true(k < 200);
        oa_http_response_init(&r, 0);
        oa_mem_fail_after(k);
        n = oa_http_response_feed(&r, resp_mixed, sizeof(resp_mixed) - 1, err, sizeof(err));
        oa_mem_fail_after(0);
        if (n < 0) {
            assert_int_equal(n, -ENOMEM);
            /* Once parsing started, it sticks: the parser is not left
             * half-way. (Before, nothing was consumed and a retry is fine.) */
            if (r.parser)
                assert_int_equal(oa_http_response_feed(&r, "x", 1, err, sizeof(err)), -ENOMEM);
        } else {
            assert_int_equal(oa_http_check_upgrade(&r, RFC_KEY, err, sizeof(err)), 0);
        }
        oa_http_response_done(&r);
    }
}

/* ---- plain requests (httpc) ---- */

static void test_plain_request(void **state)
{
    static const char *const headers[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600",
                                          "Accept:\ttext/plain", NULL};
    struct oa_http_req rq = {.method = "GET",
                             .host = "169.254.169.254",
                             .port = 80,
                             .path = "/latest/meta-data/instance-id"};
    struct oa_buf out;

    oa_buf_init(&out, 4096);
    assert_int_equal(oa_http_request(&out, &rq), 0);
    assert_string_equal(out.data, "GET /latest/meta-data/instance-id HTTP/1.1\r\n"
                                  "Host: 169.254.169.254\r\n" UA "Connection: close\r\n\r\n");
    oa_buf_reset(&out);
    /* PUT without a body still says how long it is. */
    rq = (struct oa_http_req){.method = "PUT",
                              .host = "::1",
                              .port = 8443,
                              .tls = true,
                              .path = "/latest/api/token",
                              .headers = headers};
    assert_int_equal(oa_http_request(&out, &rq), 0);
    assert_string_equal(out.data, "PUT /latest/api/token HTTP/1.1\r\nHost: [::1]:8443\r\n" UA
                                  "Connection: close\r\n"
                                  "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"
                                  "Accept:\ttext/plain\r\nContent-Length: 0\r\n\r\n");
    oa_buf_reset(&out);
    rq = (struct oa_http_req){.method = "DELETE",
                              .host = "h",
                              .port = 443,
                              .tls = true,
                              .path = "/x?y=1",
                              .body = "a\0b",
                              .body_len = 3};
    assert_int_equal(oa_http_request(&out, &rq), 0);
    {
        static const char want[] = "DELETE /x?y=1 HTTP/1.1\r\nHost: h\r\n" UA
                                   "Connection: close\r\nContent-Length: 3\r\n\r\na\0b";

        assert_int_equal(out.len, sizeof(want) - 1);
        assert_memory_equal(out.data, want, sizeof(want) - 1);
    }
    oa_buf_done(&out);
}

static void test_plain_request_bad_input(void **state)
{
    static const char *const bad[] = {"Host: x",
                                      "content-LENGTH: 1",
                                      "Connection: keep-alive",
                                      "Transfer-Encoding: chunked",
                                      "User-Agent: x",
                                      "X",
                                      ": v",
                                      "A B: v",
                                      "X: a\r\nY: b",
                                      "X: a\nb",
                                      "X: \x7f"};
    const char *headers[2] = {NULL, NULL};
    struct oa_http_req ok = {.method = "GET", .host = "h", .port = 80, .path = "/"};
    struct oa_http_req rq;
    struct oa_buf out;

    oa_buf_init(&out, 4096);
    assert_int_equal(oa_buf_puts(&out, "keep"), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rq = ok;
        headers[0] = bad[i];
        rq.headers = headers;
        assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    }
    rq = ok, rq.method = "G T";
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    rq = ok, rq.method = "";
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    rq = ok, rq.host = "a b";
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    rq = ok, rq.path = "/a\r\n";
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    rq = ok, rq.port = 0;
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    rq = ok, rq.body_len = 1;
    assert_int_equal(oa_http_request(&out, &rq), -EINVAL);
    assert_string_equal(out.data, "keep");
    oa_buf_done(&out);
    /* Over the buffer's cap: nothing appended. */
    oa_buf_init(&out, 64);
    assert_int_equal(oa_buf_puts(&out, "keep"), 0);
    assert_int_equal(oa_http_request(&out, &ok), OA_ETOOBIG);
    assert_string_equal(out.data, "keep");
    oa_buf_done(&out);
}

/* ---- response bodies ---- */

struct body {
    char data[256];
    size_t len;
    int verdict; /* what the callback returns */
};

static int collect(void *ud, const char *data, size_t len)
{
    struct body *b = ud;

    assert_true(len > 0 && b->len + len < sizeof(b->data));
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return b->verdict;
}

/* Feeds text cut as c says, reading the body; then the end of the stream
 * when eof. Returns the first error, or 0. */
static int feed_body(const char *text, size_t len, enum chunking c, unsigned seed, bool eof,
                     struct body *b, struct oa_http_response *r, size_t *consumed)
{
    size_t off = 0;
    char err[128];
    int ret = 0;

    memset(b, 0, sizeof(*b));
    srand(seed);
    oa_http_response_init(r, 0);
    oa_http_response_read_body(r, collect, b);
    while (off < len && !r->complete && ret == 0) {
        size_t n = c == WHOLE ? len - off : c == BYTES ? 1 : 1 + (size_t)rand() % 23;
        ssize_t got;

        n = n > len - off ? len - off : n;
        got = oa_http_response_feed(r, text + off, n, err, sizeof(err));
        if (got < 0)
            ret = (int)got;
        else
            off += (size_t)got;
        if (got >= 0 && (size_t)got < n)
            assert_true(r->complete);
    }
    if (ret == 0 && eof)
        ret = oa_http_response_finish(r, err, sizeof(err));
    *consumed = off;
    return ret;
}

static void test_response_bodies(void **state)
{
    static const struct {
        const char *text, *body;
        bool eof;
        int status;
        size_t tail; /* bytes after the response, left unconsumed */
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT", "hello", false, 200, 4},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world"
         "\r\n0\r\nT: v\r\n\r\nNEXT",
         "hello world", false, 200, 4},
        {"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end", "until the end", true, 200, 0},
        {"HTTP/1.1 204 No Content\r\n\r\nNEXT", "", false, 204, 4},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\nNEXT", "", false, 304, 4},
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "", false, 404, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].text), consumed;

        for (unsigned k = 0; k < 14; k++) {
            struct oa_http_response r;
            struct body b;

            assert_int_equal(feed_body(cases[i].text, len,
                                       k == 0   ? WHOLE
                                       : k == 1 ? BYTES
                                                : RANDOM,
                                       k, cases[i].eof, &b, &r, &consumed),
                             0);
            if (!r.complete || !r.headers_complete)
                fail_msg("case %zu, chunking %u: incomplete", i, k);
            assert_int_equal(r.status, cases[i].status);
            assert_string_equal(b.data, cases[i].body);
            assert_int_equal(consumed, len - cases[i].tail);
            oa_http_response_done(&r);
        }
    }
}

/* The header cap bounds the header block only, not the body after it. */
static void test_response_body_not_capped(void **state)
{
    struct oa_http_response r;
    char text[600], err[128];
    struct body b = {0};

    snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n%0200d", 0);
    oa_http_response_init(&r, 64);
    oa_http_response_read_body(&r, collect, &b);
    assert_int_equal(oa_http_response_feed(&r, text, strlen(text), err, sizeof(err)),
                     (ssize_t)strlen(text));
    assert_true(r.complete);
    assert_int_equal(b.len, 200);
    oa_http_response_done(&r);
}

static void test_response_finish(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"", "the connection closed before the end of the header block"},
        {"HTTP/1.1 200 OK\r\nContent-Le",
         "the connection closed before the end of the header block"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf",
         "the connection closed before the end of the body"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
         "the connection closed before the end of the body"},
    };
    struct oa_http_response r;
    struct body b;
    char err[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        oa_http_response_init(&r, 0);
        oa_http_response_read_body(&r, collect, &b);
        memset(&b, 0, sizeof(b));
        if (cases[i].text[0])
            assert_true(oa_http_response_feed(&r, cases[i].text, strlen(cases[i].text), err,
                                              sizeof(err)) > 0);
        assert_int_equal(oa_http_response_finish(&r, err, sizeof(err)), OA_EPROTO);
        assert_string_equal(err, cases[i].err);
        oa_http_response_done(&r);
    }
    /* Complete before the end: finishing changes nothing. */
    oa_http_response_init(&r, 0);
    assert_true(
        oa_http_response_feed(&r, resp_connect, sizeof(resp_connect) - 1, err, sizeof(err)) > 0);
    assert_int_equal(oa_http_response_finish(&r, err, sizeof(err)), 0);
    oa_http_response_done(&r);
}

static void test_response_body_refused(void **state)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    struct oa_http_response r;
    struct body b;
    char err[128];

    oa_http_response_init(&r, 0);
    memset(&b, 0, sizeof(b));
    b.verdict = -EIO;
    oa_http_response_read_body(&r, collect, &b);
    assert_int_equal(oa_http_response_feed(&r, text, sizeof(text) - 1, err, sizeof(err)), -EIO);
    assert_string_equal(err, strerror(EIO));
    assert_int_equal(oa_http_response_feed(&r, "x", 1, err, sizeof(err)), -EIO);
    assert_int_equal(oa_http_response_finish(&r, err, sizeof(err)), -EIO);
    oa_http_response_done(&r);
}

static void test_response_location_and_reason(void **state)
{
    static const char text[] = "HTTP/1.1 302 Found \x01 it\r\nLocation: /next?a=1\r\n\r\n";
    struct oa_http_response r;
    char reason[8], err[64];

    oa_http_response_init(&r, 0);
    assert_int_equal(oa_http_response_feed(&r, text, sizeof(text) - 1, err, sizeof(err)),
                     (ssize_t)sizeof(text) - 1);
    assert_string_equal(r.location, "/next?a=1");
    oa_http_response_reason(&r, reason, sizeof(reason));
    assert_string_equal(reason, "Found ?");
    oa_http_response_done(&r);
    assert_null(r.location);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_accept_rfc_example),
        cmocka_unit_test(test_ws_key),
        cmocka_unit_test(test_upgrade_request),
        cmocka_unit_test(test_upgrade_request_bad_input),
        cmocka_unit_test(test_connect_request),
        cmocka_unit_test(test_response_chunkings),
        cmocka_unit_test(test_response_binary_tail),
        cmocka_unit_test(test_response_after_complete),
        cmocka_unit_test(test_response_header_cap),
        cmocka_unit_test(test_response_garbage),
        cmocka_unit_test(test_check_upgrade),
        cmocka_unit_test(test_check_upgrade_reason_sanitized),
        cmocka_unit_test(test_response_failing_alloc),
        cmocka_unit_test(test_plain_request),
        cmocka_unit_test(test_plain_request_bad_input),
        cmocka_unit_test(test_response_bodies),
        cmocka_unit_test(test_response_body_not_capped),
        cmocka_unit_test(test_response_finish),
        cmocka_unit_test(test_response_body_refused),
        cmocka_unit_test(test_response_location_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
