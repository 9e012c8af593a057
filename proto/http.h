/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 on the client side, sans-I/O: the WebSocket upgrade request and
 * the check of its response (RFC 6455 §4: Sec-WebSocket-Key and -Accept
 * with mbedTLS SHA-1 and base64), the CONNECT request for a proxy, and a
 * response parser on http-parser whose header block is bounded.
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

/* A response being parsed. Only what the agent needs is kept. */
struct oa_http_response {
    int status;       /* e.g. 101, 200, 407 */
    char *upgrade;    /* the Upgrade header, or NULL */
    char *connection; /* the Connection header, or NULL */
    char *accept;     /* Sec-WebSocket-Accept, or NULL */
    bool complete;    /* the header block has ended */
    size_t header_bytes;
    size_t max_header;
    void *parser; /* http-parser state, private */
    char *field;  /* private: the header name being read */
    int err;      /* private */
};

void oa_http_response_init(struct oa_http_response *r, size_t max_header);
void oa_http_response_done(struct oa_http_response *r);

/* Feeds bytes of the response. Returns how many were consumed: all of them
 * until the header block ends; then r->complete is set and the bytes after
 * it (already the next protocol's: WebSocket frames, or TLS after CONNECT)
 * are left unconsumed. Returns OA_EPROTO (not HTTP), or OA_ETOOBIG (the
 * header block exceeds max_header), with the reason in reterr. Input may be
 * split anywhere, down to single bytes. */
ssize_t oa_http_response_feed(struct oa_http_response *r, const char *data, size_t len,
                              char *reterr, size_t errlen);

/* Checks a complete response to the upgrade request sent with key: status
 * 101, Upgrade: websocket, Connection: upgrade (case-insensitive, as a token
 * of the list), and the right Sec-WebSocket-Accept. Returns 0 or OA_EPROTO
 * with e.g. "the backend answered 403 Forbidden instead of 101" in reterr. */
int oa_http_check_upgrade(const struct oa_http_response *r, const char *key, char *reterr,
                          size_t errlen);

#endif
