/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WebSocket client framing through wslay's event API, sans-I/O: wslay reads
 * from the bytes fed with oa_ws_feed and writes into an output buffer the
 * caller sends. Text messages (fragmented or not), ping/pong (answered by
 * wslay), the close handshake with codes, masks from the agent's RNG.
 *
 * Hostile input never crashes: a protocol violation queues a close frame
 * with the RFC 6455 code and makes oa_ws_feed fail — 1002 protocol error,
 * 1003 a binary message (the protocol only has text), 1007 a text message
 * that is not UTF-8, 1009 a message over max_message (wslay's own default is
 * 2 GiB, so it is always set, and enforced while receiving).
 *
 * wslay codes stop here; functions return 0 or negative project codes.
 */
#ifndef OA_WS_H
#define OA_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rng.h"

struct oa_ws_callbacks {
    /* A complete text message: valid UTF-8, at most max_message bytes. msg
     * is valid during the call only. */
    void (*on_text)(void *ud, const char *msg, size_t len);
    /* Any frame arrived (data, ping, pong or close): the peer is alive. */
    void (*on_frame)(void *ud);
    /* The peer sent a close frame. code 1005 when it carried none. */
    void (*on_close)(void *ud, uint16_t code, const char *reason, size_t reason_len);
    /* A pong, with the application data it carried (valid during the call;
     * RFC 6455 §5.5.3: a pong echoes the ping it answers). Optional. */
    void (*on_pong)(void *ud, const uint8_t *data, size_t len);
};

struct oa_ws;

/* rng and cb are borrowed. Returns 0 or -ENOMEM. */
int oa_ws_new(struct oa_rng *rng, size_t max_message, const struct oa_ws_callbacks *cb, void *ud,
              struct oa_ws **ret);
void oa_ws_free(struct oa_ws *ws);

/* Parses bytes from the transport and calls the callbacks synchronously
 * (the caller must not free ws from inside them). Returns 0, or OA_EPROTO
 * when the stream broke the protocol: a close frame with the code of
 * oa_ws_close_code() is queued and nothing more is parsed. -ENOMEM when out
 * of memory. */
int oa_ws_feed(struct oa_ws *ws, const void *data, size_t len);

/* Queue a message or a control frame. Return 0, or OA_ECLOSED once a close
 * frame was queued or sent, or -ENOMEM; -EINVAL for a close reason over
 * 123 bytes or ping data over 125 (RFC 6455 §5.5). data is copied. */
int oa_ws_send_text(struct oa_ws *ws, const char *msg, size_t len);
int oa_ws_send_ping(struct oa_ws *ws);
int oa_ws_send_ping_data(struct oa_ws *ws, const void *data, size_t len);
int oa_ws_send_close(struct oa_ws *ws, uint16_t code, const char *reason);

/* Serialises what is queued (frames, pongs, a close) into out, masked.
 * Returns 0 or -ENOMEM / OA_ETOOBIG (out's cap). On OA_ETOOBIG out was
 * filled to its cap and the rest stays queued, in order: send out and call
 * again. After -ENOMEM a later call carries on where this one stopped.
 * OA_ETLS if the RNG failed to give a mask (the stream is then unusable). */
int oa_ws_take_output(struct oa_ws *ws, struct oa_buf *out);

/* The code of the close frame we queued or sent, or 0. 1005 when that
 * frame carries no code (our echo of a close without one, or the close
 * wslay sends after a broken frame header). */
uint16_t oa_ws_close_code(const struct oa_ws *ws);
/* Both close frames have been exchanged: the transport may be closed. */
bool oa_ws_close_done(const struct oa_ws *ws);

#endif
