/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A client byte stream on libuv: tcp → (proxy CONNECT) → (TLS). It is the
 * transport under conn.c (the WebSocket to the backend) and httpc.c (the
 * small HTTP client), and with them the only part of proto/ that touches
 * the loop. It owns the uv_tcp_t, resolves the name with uv_getaddrinfo
 * (IPv4 and IPv6, each address tried in turn), speaks CONNECT to an http://
 * proxy and drives the sans-I/O layers of http.h (the proxy's answer) and
 * tls.h. What flows over it once it is ready is the caller's business.
 *
 * It has no timers: deadlines belong to the layer above. Bytes accepted for
 * writing but not yet written are capped (64 MiB): a peer that stops
 * reading fails the stream instead of growing the agent.
 *
 * Callbacks never run from inside an oa_stream_* call; they all come from
 * the loop. Lifetime: oa_stream_start creates the stream; on_closed is
 * called exactly once, from a libuv close callback, after every handle and
 * request of the stream has finished; the stream frees itself right after
 * on_closed returns, so the owner forgets its pointer there. No callback
 * follows on_closed, and none but on_closed follows a teardown.
 */
#ifndef OA_STREAM_H
#define OA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls.h"
#include "url.h"

enum oa_stream_phase {
    OA_STREAM_RESOLVING,  /* uv_getaddrinfo; the phase on return from oa_stream_start */
    OA_STREAM_CONNECTING, /* TCP connect (to the proxy when there is one) */
    OA_STREAM_PROXY,      /* CONNECT sent, waiting for the proxy's answer */
    OA_STREAM_TLS,        /* TLS handshake */
};

struct oa_stream_events {
    /* Entering CONNECTING, PROXY or TLS (RESOLVING is the phase the stream
     * starts in and is not reported). May be NULL. */
    void (*on_phase)(void *ud, enum oa_stream_phase phase);
    /* The stream carries application bytes from now on (after TCP, the
     * proxy and the TLS handshake, whichever come last). Called once. */
    void (*on_ready)(void *ud);
    /* Application bytes from the peer (decrypted), valid during the call.
     * Only after on_ready. */
    void (*on_data)(void *ud, const char *data, size_t len);
    /* The bytes of the oa_stream_write numbered seq (seq > 0), and all those
     * before, were handed to the kernel. Not called once closing. May be
     * NULL. */
    void (*on_written)(void *ud, uint64_t seq);
    /* The peer ended the stream after on_ready: TLS close_notify
     * (close_notify true) or TCP end of file (false; for TLS that is an end
     * without close_notify). Unless the handler aborts with a reason of its
     * own, the stream then closes with OA_ECLOSED and "<peer> ended the TLS
     * session" or "<peer> closed the connection". May be NULL. Before
     * on_ready the end of the stream is simply a failure. */
    void (*on_eof)(void *ud, bool close_notify);
    /* The stream is over. err and why are the first reason recorded: the
     * stream's own failure (a libuv or project code, and one line such as
     * "cannot connect to 10.0.0.1:443: connection refused"), or what
     * oa_stream_abort was given; after oa_stream_close_when_flushed alone,
     * err is 0 and why is "". why is never NULL. Called once. */
    void (*on_closed)(void *ud, int err, const char *why);
};

struct oa_stream_params {
    const char *host; /* DNS name or IP literal (no brackets); the TLS name */
    int port;         /* 1..65535 */
    bool tls;
    struct oa_tls_config *tls_cfg; /* needed when tls; borrowed, must outlive the stream */
    const struct oa_url *proxy;    /* http:// proxy for CONNECT, or NULL; its host, port and
                                    * userinfo (Proxy-Authorization: Basic) are used */
    const char *peer; /* how messages name the peer, e.g. "the backend"; NULL: "host:port" */
};

struct oa_stream;

/* Starts resolving and connecting. Strings in p are copied. Returns 0 (all
 * later failures, even immediate ones, come through on_closed), -ENOMEM
 * (nothing started, no callback), or -EINVAL (host NULL or empty, port out
 * of range, tls without tls_cfg, a proxy URL that is not http://; no
 * callback). *ret is written only on success. */
int oa_stream_start(uv_loop_t *loop, const struct oa_stream_params *p,
                    const struct oa_stream_events *ev, void *ud, struct oa_stream **ret);

/* Sends len bytes (copied; encrypted first when TLS is on). seq, when not 0,
 * is reported by on_written once these bytes are written; it should
 * increase from one write to the next. Returns 0, -ENOTCONN before
 * on_ready, OA_ECLOSED once the stream is closing, or -ENOMEM: on a plain
 * stream nothing was sent and the stream goes on; with TLS the session is
 * broken and the stream fails. A write over the backlog cap, a failed
 * encryption or a failed uv_write fail the stream too (on_closed follows)
 * and return their code. */
int oa_stream_write(struct oa_stream *s, const void *data, size_t len, uint64_t seq);

/* Queues a TLS close_notify alert and sends it (nothing for a plain
 * stream). The caller closes the stream next. Returns 0, or OA_ECLOSED /
 * -ENOTCONN as oa_stream_write, or OA_ETLS. */
int oa_stream_close_notify(struct oa_stream *s);

/* Closes the stream once every write accepted so far was handed to the
 * kernel (at once when none waits). No reason is recorded: unless something
 * fails first, on_closed reports 0 and "". */
void oa_stream_close_when_flushed(struct oa_stream *s);

/* Closes the stream now; pending writes are cancelled. err and why (NULL:
 * "") are reported by on_closed unless a reason was recorded before. Does
 * nothing once the stream is closing. */
void oa_stream_abort(struct oa_stream *s, int err, const char *why);

/* Whether the stream is tearing down (on_closed will follow). */
bool oa_stream_closing(const struct oa_stream *s);

#endif
