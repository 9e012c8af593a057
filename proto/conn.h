/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One WebSocket connection to the backend, on libuv: the HTTP upgrade and
 * the WebSocket layer (http.h, ws.h) on top of a byte stream (stream.h:
 * tcp → (proxy CONNECT) → (TLS), names resolved with uv_getaddrinfo, IPv4
 * and IPv6, each address tried in turn).
 *
 * It has no timers of its own except the bound on the closing handshake:
 * the attempt deadline and the keep-alive belong to the Manager.
 *
 * Lifetime: oa_conn_start creates it; on_closed is called exactly once, from
 * the loop, when every handle is closed; the connection frees itself right
 * after on_closed returns, so the owner forgets its pointer there.
 */
#ifndef OA_CONN_H
#define OA_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "rng.h"
#include "tls.h"
#include "url.h"

enum oa_conn_phase {
    OA_CONN_RESOLVING,  /* uv_getaddrinfo */
    OA_CONN_CONNECTING, /* TCP connect (to the proxy when there is one) */
    OA_CONN_PROXY,      /* CONNECT sent, waiting for the proxy's answer */
    OA_CONN_TLS,        /* TLS handshake */
    OA_CONN_UPGRADING,  /* HTTP upgrade sent, waiting for 101 */
    OA_CONN_OPEN,       /* WebSocket open: messages flow */
    OA_CONN_CLOSING,    /* closing handshake or teardown */
};

struct oa_conn_events {
    /* Progress through the phases (OPEN: messages may be sent). */
    void (*on_phase)(void *ud, enum oa_conn_phase phase);
    /* A text message from the backend, valid during the call. */
    void (*on_text)(void *ud, const char *msg, size_t len);
    /* Any frame arrived: the backend is alive. */
    void (*on_frame)(void *ud);
    /* Every message up to the one numbered seq (oa_conn_send_text) has
     * reached the backend: it answered a ping sent after them. Being handed
     * to the kernel is not enough: a half-open connection takes bytes that
     * never arrive. */
    void (*on_sent)(void *ud, uint64_t seq);
    /* The connection is over. err is 0 after a clean closing handshake,
     * else a libuv or project code; ws_code is the close code exchanged (0
     * when none); why is one line for the log. Called once. */
    void (*on_closed)(void *ud, int err, uint16_t ws_code, const char *why);
};

struct oa_conn_params {
    const struct oa_url *url;   /* ws:// or wss:// */
    const struct oa_url *proxy; /* http:// proxy for CONNECT, or NULL */
    struct oa_tls_config *tls;  /* needed for wss */
    struct oa_rng *rng;
    size_t max_message;
    uint64_t close_timeout_ms; /* bound on the closing handshake */
};

struct oa_conn;

/* Starts connecting. Strings in p are copied; tls and rng are borrowed.
 * Returns 0 (on_closed will follow, even for an immediate failure, from the
 * loop) or -ENOMEM (no callback). */
int oa_conn_start(uv_loop_t *loop, const struct oa_conn_params *p, const struct oa_conn_events *ev,
                  void *ud, struct oa_conn **ret);

/* Sends one text message. Returns its sequence number (> 0, increasing) or
 * OA_ECLOSED when the connection is not OPEN, -ENOMEM. */
int64_t oa_conn_send_text(struct oa_conn *c, const char *msg, size_t len);
int oa_conn_ping(struct oa_conn *c);

/* Starts the closing handshake with code (1000, 1001, 1007, …); the socket is
 * closed when the peer answers or after close_timeout_ms. Before OPEN it is
 * the same as oa_conn_abort. */
void oa_conn_close(struct oa_conn *c, uint16_t code, const char *reason);
/* Closes the socket now, without a close frame; err and why are reported. */
void oa_conn_abort(struct oa_conn *c, int err, const char *why);

const char *oa_conn_phase_name(enum oa_conn_phase phase);

#endif
