/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Manager (protocol.md, Connection lifecycle): the connection state
 * machine. It connects to the backend, sends the Handshake on every new
 * connection, decodes and validates what the backend sends and hands it to
 * its owner (the StatesWorker, through the callbacks below), keeps the
 * outgoing StateLog queue, pings, notices a dead peer, and reconnects with
 * exponential backoff and full jitter.
 *
 *   DISCONNECTED → RESOLVING → CONNECTING → TLS_HANDSHAKE → UPGRADING
 *     → HANDSHAKING → READY ⇄ RETRY_WAIT (AppNotReady)
 *   any failure or close → BACKOFF → RESOLVING …;  stop → CLOSING → CLOSED
 *
 * The Manager reaches the connection only through the transport table (the
 * real one wraps proto/conn; unit tests use a fake) and its owner only
 * through struct oa_mgr_ops.
 */
#ifndef OA_MGR_H
#define OA_MGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "conn.h"
#include "ident.h"
#include "msg.h"
#include "rng.h"

/* What the Manager tells its owner. Each call only hands data over; the
 * owner must not call back into the Manager's transitions from inside. */
struct oa_mgr_ops {
    /* READY: StateLogs can be submitted again (the worker resumes). */
    void (*ready)(void *ud);
    /* A validated recipe; ownership passes. */
    void (*recipe)(void *ud, struct oa_recipe *r);
    /* A waited state is done (State, or one entry of WaitList). */
    void (*wait_done)(void *ud, int64_t version, const char *id);
    /* An AgentUpdate; the strings are valid during the call. */
    void (*update)(void *ud, const char *version, const char *url);
    /* TestAns arrived. */
    void (*test_answer)(void *ud, bool result, const char *error);
    /* AppNotReady: refresh *ident (instance id, app id, token) before the
     * next Handshake. */
    void (*reload_identity)(void *ud);
    /* The recipe version whose meta.wait is pending, or 0: decides whether a
     * WaitQuery follows the Handshake. */
    int64_t (*waiting_version)(void *ud);
    /* A connection failed or was lost; the Manager backs off. Optional. */
    void (*lost)(void *ud, const char *why);
    /* CLOSED, after oa_mgr_stop. */
    void (*closed)(void *ud);
    /* The Manager changed state (for systemd's STATUS=). Optional. */
    void (*changed)(void *ud);
};

/* The connection as the Manager sees it. */
struct oa_mgr_transport {
    int (*start)(void *tud, const struct oa_conn_events *ev, void *ev_ud, void **ret_conn);
    int64_t (*send_text)(void *conn, const char *msg, size_t len);
    int (*ping)(void *conn);
    void (*close)(void *conn, uint16_t code, const char *reason);
    void (*abort)(void *conn, int err, const char *why);
    void *tud;
};

struct oa_mgr_settings {
    const char *target; /* ws_uri, for log lines */
    bool insecure;      /* TLS checks are off: warn at every connection */
    uint64_t connect_timeout_ms;
    uint64_t keepalive_ms;
    uint64_t dead_after_ms;
    uint64_t reconnect_min_ms;
    uint64_t reconnect_max_ms;
    uint64_t handshake_retry_ms;
    uint64_t ready_reset_ms; /* READY this long resets the backoff (60 s) */
    struct oa_msg_limits limits;
};

struct oa_mgr;

/* ident, rng, ops and transport are borrowed and must outlive the Manager.
 * Returns a Manager in DISCONNECTED, or NULL when out of memory. */
struct oa_mgr *oa_mgr_new(uv_loop_t *loop, const struct oa_mgr_settings *s,
                          const struct oa_ident *ident, struct oa_rng *rng,
                          const struct oa_mgr_ops *ops, void *ud,
                          const struct oa_mgr_transport *transport);
/* Closes the timers and frees the Manager from their close callbacks. Only in
 * DISCONNECTED or CLOSED. Accepts NULL. */
void oa_mgr_close(struct oa_mgr *m);

/* Starts connecting. */
void oa_mgr_start(struct oa_mgr *m);
/* Closes the connection (close frame 1001) and ends in CLOSED. */
void oa_mgr_stop(struct oa_mgr *m);
/* Drops the connection and connects again at once (SIGHUP). */
void oa_mgr_reconnect(struct oa_mgr *m);
/* Sends the Handshake again on the open connection (protocol.md: a
 * re-handshake), so that the backend learns a changed identity or new
 * init_errors now; when not READY the next connection's Handshake carries
 * them anyway. Sends only: no transition, safe from the owner's callbacks. */
void oa_mgr_rehandshake(struct oa_mgr *m);

/* Hands a StateLog to the outgoing queue, which takes it (whatever the
 * return). Returns 0 when accepted (READY), -EAGAIN when not READY: the
 * worker keeps its own copy and submits again after ops->ready. */
int oa_mgr_submit_statelog(struct oa_mgr *m, struct oa_statelog *log);

/* The recipe version the backend last pushed (0: none). */
int64_t oa_mgr_recipe_version(const struct oa_mgr *m);

const char *oa_mgr_state_name(const struct oa_mgr *m);
bool oa_mgr_ready(const struct oa_mgr *m);
/* StateLogs queued and not yet written. */
size_t oa_mgr_queue_length(const struct oa_mgr *m);

#endif
