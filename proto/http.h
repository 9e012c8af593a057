/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 on the client side, sans-I/O: the WebSocket upgrade request and
 * the check of its response (RFC 6455 §4: Sec-WebSocket-Key and -Accept
 * with mbedTLS SHA-1 and base64), the CONNECT request for a proxy, a plain
 * request (any method, headers and body, for httpc.c), and a response
 * parser on http-parser whose header block is bounded. The parser stops at
 * the end of the header block, or, when asked to, reads the body too
 * (Content-Length, chunked, or until the end of the stream) and hands it to
 * a callback; bounding the body is the callback's job.
 */
#ifndef OA_HTTP_H
#define OA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "rng.h"

#define OA_HTTP_MAX_HEADER 16384 /* bytes of a response's status line and headers */
#define OA_HTTP_WS_KEY_LEN 24    /* base64 of 16 random bytes */
#define OA_HTTP_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* A new Sec-WebSocket-Key: 16 random bytes, base64, NUL-terminated.
 * Returns 0 or OA_ETLS (the RNG failed). */
int oa_http_ws_key(struct oa_rng *rng, char key[OA_HTTP_WS_KEY_LEN + 1]);
/* The Sec-WebSocket-Accept the server must answer for key. Returns 0 or
 * -EINVAL (a key over 64 bytes). */
int oa_http_ws_accept(const char *key, char accept[OA_HTTP_WS_ACCEPT_LEN + 1]);

/* Appends the GET … Upgrade: websocket request. The Host header carries the
 * port only when it is not the scheme's default (80, or 443 when tls). An
 * IPv6 host is written in brackets. Returns 0 or -ENOMEM / OA_ETOOBIG, or
 * -EINVAL for a port outside 1..65535 or a host, path or key holding
 * spaces or control characters. Nothing is appended on failure. */
int oa_http_upgrade_request(struct oa_buf *out, const char *host, int port, bool tls,
                            const char *path, const char *key);

/* Appends "CONNECT host:port HTTP/1.1" with Host and, when userinfo
 * ("user:pass") is given, Proxy-Authorization: Basic. Same returns as
 * oa_http_upgrade_request. */
int oa_http_connect_request(struct oa_buf *out, const char *host, int port, const char *userinfo);

/* A plain request, as oa_http_request writes it. Nothing is owned. */
struct oa_http_req {
    const char *method;         /* a token: "GET", "PUT", … */
    const char *host;           /* for Host; an IPv6 literal without brackets */
    int port;                   /* for Host: left out when the scheme's default */
    bool tls;                   /* https (default port 443) or http (80) */
    const char *path;           /* path and query */
    const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
    const char *body;           /* body_len bytes, or NULL */
    size_t body_len;
};

/* Appends "METHOD path HTTP/1.1", Host (as in the upgrade request),
 * User-Agent: opsagent/VERSION, Connection: close, the caller's headers in
 * order, Content-Length when there is a body or the method is POST, PUT or
 * PATCH, the blank line and the body. Returns 0 or -ENOMEM / OA_ETOOBIG
 * (out's cap), or -EINVAL: the method is not a token, host or path hold
 * spaces or control characters, the port is outside 1..65535, or a header
 * is not "Name: value" with a token name and a value free of control
 * characters other than tab, or names Host, Content-Length,
 * Transfer-Encoding, Connection or User-Agent (written here). Nothing is
 * appended on failure. */
int oa_http_request(struct oa_buf *out, const struct oa_http_req *rq);

/* Receives each piece of a response body (de-chunked), valid during the
 * call. Returns 0 to go on, or a negative code: parsing stops and
 * oa_http_response_feed returns that code. */
typedef int (*oa_http_body_cb)(void *ud, const char *data, size_t len);

/* A response being parsed. Only what the agent needs is kept. */
struct oa_http_response {
    int status;            /* e.g. 101, 200, 407 */
    char *upgrade;         /* the Upgrade header, or NULL */
    char *connection;      /* the Connection header, or NULL */
    char *accept;          /* Sec-WebSocket-Accept, or NULL */
    char *location;        /* the Location header, or NULL */
    bool headers_complete; /* the header block has ended; status and headers are set */
    bool complete;         /* the response has ended: after the header block, or after the
                            * body when oa_http_response_read_body was called */
    size_t header_bytes;   /* bytes fed while the header block was incomplete */
    size_t max_header;
    oa_http_body_cb on_body; /* private: set by oa_http_response_read_body */
    void *body_ud;           /* private */
    void *parser;            /* http-parser state, private */
    char *field;             /* private: the header name being read */
    int err;                 /* private */
};

void oa_http_response_init(struct oa_http_response *r, size_t max_header);
void oa_http_response_done(struct oa_http_response *r);

/* Makes r read the body after the header block and hand it to on_body; r
 * is complete once the body has ended (immediately for 1xx, 204 and 304,
 * which have none). Call after oa_http_response_init, before the first
 * feed. The answer to a HEAD request has no body: do not call this. */
void oa_http_response_read_body(struct oa_http_response *r, oa_http_body_cb on_body, void *ud);

/* Tells the parser that the stream ended (EOF). Returns 0 when the
 * response is complete now (a body delimited by the end of the stream) or
 * was before, or OA_EPROTO with "the connection closed before the end of
 * the header block" or "... of the body" in reterr (or the earlier
 * error). */
int oa_http_response_finish(struct oa_http_response *r, char *reterr, size_t errlen);

/* The status line's reason phrase ("Not Found"), clipped to size - 1 bytes
 * and with anything unprintable replaced by '?'; "" when there is none. */
void oa_http_response_reason(const struct oa_http_response *r, char *buf, size_t size);

/* Feeds bytes of the response. Returns how many were consumed: all of them
 * until the response is complete; then r->complete is set and the bytes
 * after it (already the next protocol's: WebSocket frames, or TLS after
 * CONNECT) are left unconsumed. Returns OA_EPROTO (not HTTP, or a bad
 * chunk), OA_ETOOBIG (the header block exceeds max_header) or -ENOMEM with
 * the reason in reterr, or the code on_body returned. Input may be split
 * anywhere, down to single bytes. */
ssize_t oa_http_response_feed(struct oa_http_response *r, const char *data, size_t len,
                              char *reterr, size_t errlen);

/* Checks a complete response to the upgrade request sent with key: status
 * 101, Upgrade: websocket, Connection: upgrade (case-insensitive, as a token
 * of the list), and the right Sec-WebSocket-Accept. Returns 0 or OA_EPROTO
 * with e.g. "the backend answered 403 Forbidden instead of 101" in reterr. */
int oa_http_check_upgrade(const struct oa_http_response *r, const char *key, char *reterr,
                          size_t errlen);

#endif
