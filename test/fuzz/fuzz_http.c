/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the HTTP response parsing of proto/http.c, driven the way
 * its two users drive it, with the input fed in reads of the sizes its first
 * bytes choose (chunks.h). Byte 0 holds options:
 *   bit 0 clear: the WebSocket upgrade (proto/conn.c): the header block
 *     only, then oa_http_check_upgrade against a fixed key (RFC 6455's
 *     example, so a seed can carry the right Sec-WebSocket-Accept); the
 *     bytes after the header block are left unconsumed for the frames.
 *   bit 0 set: the HTTP client (proto/httpc.c): the body read as well
 *     (Content-Length, chunked or until the end), capped at max_body,
 *     interim 1xx answers skipped, a redirect's Location resolved with
 *     oa_url_resolve as httpc.c follows it, and the end of the input
 *     taken as the end of the stream (oa_http_response_finish).
 *   bit 1: a HEAD request (no body read); bits 2-3: max_body of 64 KiB
 *     (the user data), 16 bytes, 1 KiB or 1 MiB; bit 4: the URL redirected
 *     from is https with an IPv6 host and a query instead of plain http.
 * Checked: feed consumes no more than it was given, fails only with the
 * documented codes and a reason, and once failed keeps failing; a body
 * never exceeds max_body; an accepted upgrade has status 101 and our
 * Sec-WebSocket-Accept; a resolved redirect is a whole URL; the reason
 * phrase is printable.
 */
#include <errno.h>
#include <string.h>

#include "chunks.h"
#include "err.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"
#include "url.h"

#define OPT_CLIENT 0x01
#define OPT_HEAD 0x02
#define OPT_BODY_SHIFT 2
#define OPT_TLS_BASE 0x10

/* RFC 6455 §1.3's example key and its accept value. */
static const char ws_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char ws_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct body {
    const struct oa_http_response *r;
    size_t max, seen;
};

static bool is_redirect(const struct oa_http_response *r)
{
    return (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 ||
            r->status == 308) &&
           r->location;
}

/* As httpc.c's on_resp_body: a redirect's body is dropped, any other over
 * the cap fails the answer. */
static int on_body(void *ud, const char *data, size_t len)
{
    struct body *b = ud;

    if (is_redirect(b->r))
        return 0;
    if (len > b->max - b->seen)
        return OA_ETOOBIG;
    b->seen += len;
    return 0;
}

static void check_feed(ssize_t n, size_t len, const char *why)
{
    if (n >= 0) {
        if ((size_t)n > len)
            __builtin_trap();
        return;
    }
    if (n != OA_EPROTO && n != OA_ETOOBIG && n != -ENOMEM)
        __builtin_trap();
    if (!why[0])
        __builtin_trap();
}

/* A failed parser keeps failing with the same code. */
static void check_sticky(struct oa_http_response *r, ssize_t err)
{
    char why[200] = "";

    if (oa_http_response_feed(r, "x", 1, why, sizeof(why)) != err || !why[0])
        __builtin_trap();
}

static void check_reason(const struct oa_http_response *r)
{
    char reason[64];
    size_t n;

    oa_http_response_reason(r, reason, sizeof(reason));
    n = strlen(reason);
    for (size_t i = 0; i < n; i++)
        if (reason[i] < 0x20 || reason[i] > 0x7e)
            __builtin_trap();
}

static void upgrade(struct oa_chunks *c)
{
    struct oa_http_response r;
    const uint8_t *p;
    size_t len;
    char why[200] = "";

    oa_http_response_init(&r, OA_HTTP_MAX_HEADER);
    while (!r.complete && oa_chunks_next(c, &p, &len)) {
        ssize_t n = oa_http_response_feed(&r, (const char *)p, len, why, sizeof(why));

        check_feed(n, len, why);
        if (n < 0) {
            check_sticky(&r, n);
            break;
        }
        /* Bytes are left over only once the header block has ended. */
        if ((size_t)n < len && !r.complete)
            __builtin_trap();
    }
    if (r.complete) {
        /* http-parser takes up to three digits, so "10" is a status too. */
        if (r.status < 0 || r.status > 999)
            __builtin_trap();
        if (oa_http_check_upgrade(&r, ws_key, why, sizeof(why)) == 0 &&
            (r.status != 101 || !r.accept || strcmp(r.accept, ws_accept) != 0))
            __builtin_trap();
    } else if (oa_http_response_finish(&r, why, sizeof(why)) == 0) {
        __builtin_trap(); /* without a header block there is no answer */
    }
    check_reason(&r);
    oa_http_response_done(&r);
}

/* What httpc.c's take_redirect makes of a Location. */
static void follow(const struct oa_http_response *r, bool tls_base)
{
    const char *base_text = tls_base ? "https://[fd00::1]:8443/a/b/meta?x=1"
                                     : "http://169.254.169.254/latest/user-data";
    struct oa_url base, next;
    char why[200] = "";
    int e;

    if (oa_url_parse(base_text, &base, NULL, 0) < 0)
        __builtin_trap();
    e = oa_url_resolve(&base, r->location, &next, why, sizeof(why));
    if (e == 0) {
        if (!next.scheme || !next.host || !next.path || next.path[0] != '/' || next.port < 1 ||
            next.port > 65535)
            __builtin_trap();
        oa_url_done(&next);
    } else if ((e != OA_ESCHEMA && e != OA_ETOOBIG && e != -ENOMEM) || !why[0]) {
        __builtin_trap();
    }
    oa_url_done(&base);
}

/* A fresh parser for the next answer, as httpc.c's reset_response. */
static void reset(struct oa_http_response *r, struct body *body, uint8_t opt)
{
    oa_http_response_done(r);
    oa_http_response_init(r, OA_HTTP_MAX_HEADER);
    if (!(opt & OPT_HEAD))
        oa_http_response_read_body(r, on_body, body);
    body->seen = 0;
}

/* One read, as httpc.c's on_stream_data: interim answers (100 Continue,
 * 103 Early Hints) are skipped and the rest of the read goes to the next
 * answer. Returns the last feed's result. */
static ssize_t client_read(struct oa_http_response *r, struct body *body, uint8_t opt,
                           const uint8_t *p, size_t len)
{
    char why[200] = "";
    ssize_t n = 0;

    while (len > 0) {
        n = oa_http_response_feed(r, (const char *)p, len, why, sizeof(why));
        check_feed(n, len, why);
        if (n < 0) {
            check_sticky(r, n);
            return n;
        }
        /* Bytes are left over only once the answer has ended (then
         * httpc.c drops them with the connection). */
        if ((size_t)n < len && !r->complete)
            __builtin_trap();
        if (!(r->complete && r->status / 100 == 1 && r->status != 101))
            return n;
        reset(r, body, opt);
        p += n;
        len -= (size_t)n;
    }
    return n;
}

static void client(struct oa_chunks *c, uint8_t opt)
{
    static const size_t caps[] = {64u << 10, 16, 1024, 1u << 20};
    struct oa_http_response r;
    struct body body = {&r, caps[(opt >> OPT_BODY_SHIFT) & 3], 0};
    const uint8_t *p;
    size_t len;
    ssize_t n = 0;
    char why[200] = "";

    oa_http_response_init(&r, OA_HTTP_MAX_HEADER);
    reset(&r, &body, opt);
    /* httpc.c's after_input: an error, a redirect or a complete answer
     * ends the request. */
    while (n >= 0 && !(r.headers_complete && is_redirect(&r)) && !r.complete &&
           oa_chunks_next(c, &p, &len))
        n = client_read(&r, &body, opt, p, len);
    if (body.seen > body.max)
        __builtin_trap();
    if (n >= 0 && r.headers_complete && is_redirect(&r))
        follow(&r, opt & OPT_TLS_BASE);
    else if (n >= 0 && !r.complete && oa_http_response_finish(&r, why, sizeof(why)) < 0 && !why[0])
        __builtin_trap();
    check_reason(&r);
    oa_http_response_done(&r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = size > 0 ? data[0] : 0;
    struct oa_chunks c;

    oa_chunks_init(&c, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
    if (opt & OPT_CLIENT)
        client(&c, opt);
    else
        upgrade(&c);
    return 0;
}
