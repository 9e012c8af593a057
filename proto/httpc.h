/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small asynchronous HTTP/1.1 client on the loop, for cloud metadata (EC2
 * IMDSv2, OpenStack meta_data.json), user data, module downloads and
 * self-update downloads. One request per connection (Connection: close),
 * over a stream (stream.h): http or https (certificate and host name
 * verified by the TLS configuration), directly or through an http:// proxy
 * with CONNECT, for both schemes. The response is parsed as it arrives
 * (http.h): a Content-Length, chunked, or read-until-close body; the header
 * block is bounded by OA_HTTP_MAX_HEADER and the body by max_body. Redirects
 * (301, 302, 303, 307, 308) are followed up to max_redirects, never from
 * https to http; one timeout covers the whole request, redirects included.
 *
 * An HTTP status is not an error: a 404 is reported with err 0 and status
 * 404. Errors are libuv or project codes with one line saying what failed,
 * on what, and why. The URLs in those lines have no query (it may hold a
 * signature) and no user info. This module logs nothing and never blocks.
 */
#ifndef OA_HTTPC_H
#define OA_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls.h"
#include "url.h"

struct oa_httpc_request {
    const char *method;       /* "GET", "PUT", "HEAD", … (an HTTP token) */
    const struct oa_url *url; /* http:// or https://; its user info is not used */
    /* Extra headers, "Name: value", NULL-terminated, or NULL. Not Host,
     * Content-Length, Transfer-Encoding, Connection or User-Agent (set by
     * the client: Connection: close, User-Agent: opsagent/VERSION). They
     * go only to the URL's origin (scheme, host and port): a redirect
     * elsewhere drops them, since they may hold a token. */
    const char *const *headers;
    const char *body; /* body_len bytes, or NULL; Content-Length is sent for a body and
                       * for POST, PUT and PATCH */
    size_t body_len;
    const struct oa_url *proxy; /* http:// proxy, used with CONNECT for both schemes, with
                                 * Proxy-Authorization: Basic from its user info; or NULL */
    const char *no_proxy;       /* hosts reached without the proxy (oa_url_bypasses_proxy,
                                 * so never 169.254.169.254), checked on every hop; or NULL */
    struct oa_tls_config *tls;  /* needed for https, also after a redirect; borrowed, must
                                 * outlive the request */
    size_t max_body;            /* the largest body accepted, in bytes */
    uint64_t timeout_ms;        /* the whole request, redirects included; > 0 */
    unsigned max_redirects;     /* redirects followed at most; 0: a redirect is the answer */
    /* Optional. When set, the body of a 2xx answer is handed over piece by
     * piece as it arrives and not kept (cb then gets body NULL, length 0);
     * the body of any other answer is kept as usual. max_body still bounds
     * the total. Return 0 to go on, or a negative code to fail the request
     * with it. May call oa_httpc_cancel. */
    int (*on_body)(void *ud, const char *chunk, size_t len);
};

/* The outcome, called exactly once unless the request was cancelled, always
 * from the loop (never from inside oa_httpc_* calls):
 *   err 0: an answer arrived. status is its status (after redirects), body
 *     its body (NUL-terminated after body_len bytes; "" when empty; NULL
 *     when streamed), why the status line, e.g. "HTTP 404 Not Found".
 *   err < 0: no usable answer. status is the last answer's status when its
 *     header block arrived (e.g. 200 with a body over max_body), else 0;
 *     body is NULL. err and why are e.g.
 *       UV_ECONNREFUSED "cannot connect to 169.254.169.254:80: connection refused"
 *       UV_EAI_NONAME   "cannot resolve example.invalid: unknown node or service"
 *       OA_ETLS         "https://x/y: TLS handshake with x failed: certificate
 *                        verification failed: …"
 *       UV_ETIMEDOUT    "timed out after 2 s"
 *       OA_ETOOBIG      "http://x/y: the body is larger than 1024 bytes", or
 *                       "http://x/y: the response's header block is too big"
 *       OA_EPROTO       "http://x/y: the connection closed before the end of
 *                        the body", "http://x/y: more than 5 redirects",
 *                       "https://x/y: refusing a redirect from https to http
 *                        (http://z/)", "http://x/y: the proxy p:3128
 *                        refused CONNECT to x:80 with status 407", or what
 *                        http-parser says of a malformed answer
 *       -ENOMEM         "out of memory"
 *     or the code on_body returned ("http://x/y: the body handler failed:
 *     …"). Every string is valid during the call only. The request is
 *     freed right after cb returns: forget the handle there. */
typedef void (*oa_httpc_cb)(void *ud, int err, int status, const char *body, size_t body_len,
                            const char *why);

struct oa_httpc;

/* Starts the request. Everything in req is copied except tls (borrowed).
 * Returns 0, then cb follows from the loop (even for an immediate
 * failure); or, with no callback and *ret not written: -ENOMEM, or -EINVAL
 * (cb NULL, method not a token, url NULL or not http/https, https without
 * tls, a proxy that is not http://, a bad or reserved header, body NULL
 * with body_len > 0, timeout_ms 0). */
int oa_httpc_start(uv_loop_t *loop, const struct oa_httpc_request *req, oa_httpc_cb cb, void *ud,
                   struct oa_httpc **ret);

/* Stops the request: cb and on_body are not called any more, and the
 * request frees itself from the loop (closing its connection). From inside
 * cb it does nothing; after cb has returned the handle is gone. */
void oa_httpc_cancel(struct oa_httpc *h);

#endif
