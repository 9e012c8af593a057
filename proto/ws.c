/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WebSocket client adapter on wslay's event API, sans-I/O. wslay reads
 * from the bytes given to oa_ws_feed (its recv callback says "would block"
 * when they are used up) and writes into a buffer of ours that
 * oa_ws_take_output hands to the caller. This module owns the wslay context
 * and that buffer; it never touches a socket and never lets a wslay code out.
 *
 * wslay 1.1.1 already enforces most of RFC 6455: masking rules, reserved bits
 * and opcodes (close 1002), UTF-8 of close reasons (1007),
 * max_recv_msg_length per frame header (1009), pongs and the close echo.
 * Checked here: UTF-8 of each whole text message (1007, see below), and
 * what the agent's protocol adds: binary messages are refused (1003).
 *
 * Messages are assembled here, not by wslay (no_buffering): wslay would keep
 * a message as a list of chunks, then copy it into one block, so that a
 * 5 MB recipe would briefly take 10 MB. Here each data frame's payload goes
 * straight into one buffer, grown by the frame's announced length.
 *
 * Two wslay quirks are worked around. It checks a close frame's reason as
 * UTF-8 chunk by chunk, skipping the first two bytes of every chunk instead
 * of only the status code, so a close frame split across reads can be
 * refused although valid, or accepted although not. oa_ws_feed therefore
 * follows frame boundaries (headers only; wslay still parses everything) and
 * hands wslay each close frame in one read, holding back an incomplete one.
 * And it checks text payloads with a byte-at-a-time decoder that took most
 * of the time of receiving a 5 MB recipe (11 of 14 ms): the header of a
 * text frame is handed to wslay alone, as a binary frame's, and the whole
 * message is checked here, a word at a time over ASCII.
 */
#include "ws.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <wslay/wslay.h>

#include "err.h"
#include "mem.h"
#include "utf8.h"

/* RFC 6455 §7.4.1. */
#define WS_CLOSE_NO_STATUS 1005
#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_INVALID_DATA 1007
#define WS_CLOSE_TOO_BIG 1009
/* The longest piece held back: a close frame with the longest header a
 * peer can send (2 bytes, a 64-bit length although 125 is the most a close
 * frame may carry, and a mask key, which wslay then refuses) and 125 bytes
 * of payload. Longer than any header. */
#define WS_HOLD_MAX (2 + 8 + 4 + 125)

struct oa_ws {
    wslay_event_context_ptr ctx;
    struct oa_rng *rng;
    const struct oa_ws_callbacks *cb;
    void *ud;
    const uint8_t *in; /* the bytes of the current oa_ws_feed */
    size_t in_len;
    struct oa_buf out; /* frames wslay wrote, from out_off on not yet taken */
    size_t out_off;
    uint8_t hold[WS_HOLD_MAX]; /* the start of a piece not yet complete */
    size_t hold_len;
    uint64_t skip;       /* payload bytes of the current frame still to pass */
    int cb_err;          /* what failed inside one of our wslay callbacks */
    int failed;          /* sticky result of oa_ws_feed once it failed */
    bool violation;      /* we refused a message and queued a close */
    uint16_t close_code; /* of the close we queued, when we know it */
    struct oa_buf msg;   /* the data message being received (wslay buffers
                          * only control frames) */
    bool data_frame;     /* the frame being received is part of msg */
    bool text_next;      /* the next binary frame wslay starts was a text frame */
};

/* A message buffer larger than this is given back after its message; a
 * smaller one is kept for the next. */
#define WS_MSG_KEEP (64 * 1024)

/* wslay's codes overlap errno values; none of them leaves this file. */
static int from_wslay(int r)
{
    switch (r) {
    case 0:
        return 0;
    case WSLAY_ERR_NOMEM:
        return -ENOMEM;
    case WSLAY_ERR_NO_MORE_MSG:
        return OA_ECLOSED;
    case WSLAY_ERR_INVALID_ARGUMENT:
        return -EINVAL;
    default:
        return OA_EPROTO;
    }
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    struct oa_ws *ws = ud;
    size_t n = len < ws->in_len ? len : ws->in_len;

    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    struct oa_ws *ws = ud;
    int r = oa_buf_append(&ws->out, data, len);

    if (r < 0) {
        /* "Would block" keeps wslay's send state resumable: the next
         * oa_ws_take_output carries on where this one stopped. */
        ws->cb_err = r;
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return (ssize_t)len;
}

static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
    struct oa_ws *ws = ud;
    int r = oa_rng_bytes(ws->rng, buf, len);

    if (r < 0)
        ws->cb_err = r;
    return r < 0 ? -1 : 0;
}

/* Refuses the message being received: queue a close with code and read
 * nothing more. */
static void refuse(struct oa_ws *ws, uint16_t code)
{
    int r = wslay_event_queue_close(ws->ctx, code, NULL, 0);

    /* A close queued before (ours) keeps its code. */
    if (r == 0)
        ws->close_code = code;
    else if (r != WSLAY_ERR_NO_MORE_MSG)
        ws->cb_err = from_wslay(r);
    wslay_event_shutdown_read(ws->ctx);
    ws->violation = true;
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *ud)
{
    struct oa_ws *ws = ud;
    bool was_text = ws->text_next && arg->opcode == WSLAY_BINARY_FRAME;

    if (arg->opcode == WSLAY_BINARY_FRAME)
        ws->text_next = false;
    if (ws->violation)
        return;
    ws->data_frame = !(arg->opcode & 0x8);
    /* wslay checks each frame against max_message, but without its own
     * buffering not the sum of a fragmented message's frames. Room for the
     * frame's payload is made at once: an address range, whose pages only
     * become memory as the payload arrives. */
    if (ws->data_frame) {
        int r = oa_buf_reserve(&ws->msg, arg->payload_length);
        if (r < 0) {
            if (r != OA_ETOOBIG)
                ws->cb_err = r;
            refuse(ws, WS_CLOSE_TOO_BIG);
            return;
        }
    }
    if (ws->cb->on_frame)
        ws->cb->on_frame(ws->ud);
    /* Refused from its header on: a binary message is never buffered. */
    if (arg->opcode == WSLAY_BINARY_FRAME && !was_text)
        refuse(ws, WS_CLOSE_UNSUPPORTED);
}

static void on_chunk(wslay_event_context_ptr ctx,
                     const struct wslay_event_on_frame_recv_chunk_arg *arg, void *ud)
{
    struct oa_ws *ws = ud;
    int r;

    (void)ctx;
    if (ws->violation || !ws->data_frame || arg->data_length == 0)
        return;
    /* on_frame_start checked the message's length against max_message. */
    if ((r = oa_buf_append(&ws->msg, arg->data, arg->data_length)) < 0) {
        ws->cb_err = r;
        refuse(ws, WS_CLOSE_TOO_BIG);
    }
}

static void message_done(struct oa_ws *ws)
{
    if (ws->msg.alloc > WS_MSG_KEEP)
        oa_buf_done(&ws->msg);
    else
        oa_buf_reset(&ws->msg);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *ud)
{
    struct oa_ws *ws = ud;
    const char *msg = arg->msg ? (const char *)arg->msg : "";
    uint16_t code = arg->status_code ? arg->status_code : WS_CLOSE_NO_STATUS;

    if (ws->violation)
        return;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME: { /* a text message (on_frame_start refused binary ones) */
        const char *text = ws->msg.data ? ws->msg.data : "";
        if (!oa_utf8_valid(text, ws->msg.len))
            refuse(ws, WS_CLOSE_INVALID_DATA);
        else if (ws->cb->on_text)
            ws->cb->on_text(ws->ud, text, ws->msg.len);
        message_done(ws);
        break;
    }
    case WSLAY_CONNECTION_CLOSE:
        /* wslay has queued the echo of the peer's code, unless we had
         * queued a close of our own. */
        if (!ws->close_code)
            ws->close_code = code;
        if (ws->cb->on_close)
            ws->cb->on_close(ws->ud, code, arg->msg_length >= 2 ? msg + 2 : "",
                             arg->msg_length >= 2 ? arg->msg_length - 2 : 0);
        break;
    case WSLAY_PONG:
        if (ws->cb->on_pong)
            ws->cb->on_pong(ws->ud, (const uint8_t *)msg, arg->msg_length);
        break;
    default:
        /* A ping: wslay queued the pong, on_frame said enough. */
        break;
    }
}

static const struct oa_ws_callbacks no_callbacks;

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .genmask_callback = on_genmask,
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_chunk,
    .on_msg_recv_callback = on_msg,
};

int oa_ws_new(struct oa_rng *rng, size_t max_message, const struct oa_ws_callbacks *cb, void *ud,
              struct oa_ws **ret)
{
    struct oa_ws *ws = oa_calloc(1, sizeof(*ws));

    if (!ws)
        return -ENOMEM;
    ws->rng = rng;
    ws->cb = cb ? cb : &no_callbacks;
    ws->ud = ud;
    oa_buf_init(&ws->out, SIZE_MAX);
    oa_buf_init(&ws->msg, max_message);
    if (wslay_event_context_client_init(&ws->ctx, &callbacks, ws) != 0) {
        oa_free(ws);
        return -ENOMEM;
    }
    /* wslay's default is 2 GiB; the check runs on each frame header. */
    wslay_event_config_set_max_recv_msg_length(ws->ctx, max_message);
    wslay_event_config_set_no_buffering(ws->ctx, 1);
    *ret = ws;
    return 0;
}

void oa_ws_free(struct oa_ws *ws)
{
    if (!ws)
        return;
    wslay_event_context_free(ws->ctx);
    oa_buf_done(&ws->out);
    oa_buf_done(&ws->msg);
    oa_free(ws);
}

static int take_cb_err(struct oa_ws *ws)
{
    int r = ws->cb_err;

    ws->cb_err = 0;
    return r;
}

/* Lets wslay serialise what is queued into ws->out. */
static int pump(struct oa_ws *ws)
{
    int r;

    if (!wslay_event_want_write(ws->ctx))
        return 0;
    r = wslay_event_send(ws->ctx);
    if (ws->cb_err)
        return take_cb_err(ws);
    return from_wslay(r);
}

/* The result of a wslay_event_recv that returned r. */
static int recv_result(struct oa_ws *ws, int r)
{
    if (ws->cb_err)
        return take_cb_err(ws);
    if (r == WSLAY_ERR_NOMEM)
        return -ENOMEM;
    /* Anything else wslay returns means the stream broke framing (it then
     * queues a close without a code); reading stops silently when it queued
     * 1002, 1007 or 1009, and after our own refusals. */
    if (r != 0 || ws->violation)
        return OA_EPROTO;
    if (!wslay_event_get_read_enabled(ws->ctx) && !wslay_event_get_close_received(ws->ctx))
        return OA_EPROTO;
    return 0;
}

/* Bytes before a frame's payload (2, the extended length, the mask key)
 * and the payload's length; 0 while the header is not all at p. */
static size_t header_len(const uint8_t *p, size_t n, uint64_t *ret_payload)
{
    size_t ext, len;
    uint64_t payload;

    if (n < 2)
        return 0;
    payload = p[1] & 0x7f;
    ext = payload == 126 ? 2 : payload == 127 ? 8 : 0;
    len = 2 + ext + (p[1] & 0x80 ? 4 : 0);
    if (n < len)
        return 0;
    if (ext)
        payload = 0;
    for (size_t i = 0; i < ext; i++)
        payload = payload << 8 | p[2 + i];
    *ret_payload = payload;
    return len;
}

enum piece {
    PIECE_RUN,         /* payload or a header: may go to wslay with what follows */
    PIECE_CLOSE,       /* a whole close frame, for wslay alone */
    PIECE_TEXT_HEADER, /* a text frame's header, for wslay alone as a binary one */
};

/* The next piece of the stream at p that may go to wslay, and its kind.
 * 0 when it is not all there yet: an incomplete header or close frame. */
static size_t next_piece(struct oa_ws *ws, const uint8_t *p, size_t n, enum piece *ret_kind)
{
    uint64_t payload;
    size_t h;

    *ret_kind = PIECE_RUN;
    if (ws->skip > 0) {
        size_t k = ws->skip < n ? (size_t)ws->skip : n;
        ws->skip -= k;
        return k;
    }
    h = header_len(p, n, &payload);
    if (h == 0)
        return 0;
    if ((p[0] & 0x0f) == WSLAY_CONNECTION_CLOSE && payload <= 125) {
        *ret_kind = PIECE_CLOSE;
        return n - h >= payload ? h + (size_t)payload : 0;
    }
    if ((p[0] & 0x0f) == WSLAY_TEXT_FRAME)
        *ret_kind = PIECE_TEXT_HEADER;
    ws->skip = payload;
    return h;
}

/* Hands n bytes to wslay in one wslay_event_recv. */
static int deliver(struct oa_ws *ws, const uint8_t *p, size_t n)
{
    int r;

    if (n == 0 || !wslay_event_get_read_enabled(ws->ctx))
        return 0;
    ws->in = p;
    ws->in_len = n;
    r = wslay_event_recv(ws->ctx);
    ws->in = NULL;
    ws->in_len = 0;
    return recv_result(ws, r);
}

/* Hands wslay one piece as it is, but a text frame's header as a binary
 * frame's (on_frame_start knows). */
static int deliver_piece(struct oa_ws *ws, const uint8_t *p, size_t n, enum piece kind)
{
    uint8_t header[2 + 8 + 4];

    if (kind != PIECE_TEXT_HEADER)
        return deliver(ws, p, n);
    assert(n <= sizeof(header));
    memcpy(header, p, n);
    header[0] = (uint8_t)((header[0] & 0xf0) | WSLAY_BINARY_FRAME);
    ws->text_next = true;
    return deliver(ws, header, n);
}

/* Delivers p in runs that end before each piece that goes alone, and each
 * of those alone. Returns how many bytes were taken (the rest, a piece not
 * yet complete, is for ws->hold) or a negative code. */
static ssize_t deliver_pieces(struct oa_ws *ws, const uint8_t *p, size_t n)
{
    size_t start = 0, run = 0, piece;
    enum piece kind;
    int r;

    while (start + run < n && (piece = next_piece(ws, p + start + run, n - start - run, &kind))) {
        if (kind == PIECE_RUN) {
            run += piece;
            continue;
        }
        if ((r = deliver(ws, p + start, run)) < 0 ||
            (r = deliver_piece(ws, p + start + run, piece, kind)) < 0)
            return r;
        start += run + piece;
        run = 0;
    }
    r = deliver(ws, p + start, run);
    return r < 0 ? r : (ssize_t)(start + run);
}

/* Keeps the n bytes at p, the start of a piece not yet complete. */
static void hold(struct oa_ws *ws, const uint8_t *p, size_t n)
{
    /* next_piece stops only before an incomplete header or close frame. */
    assert(n <= WS_HOLD_MAX - ws->hold_len);
    memcpy(ws->hold + ws->hold_len, p, n);
    ws->hold_len += n;
}

/* Completes the held piece with the first bytes of p and delivers it.
 * Returns how many bytes of p that took (all of them when the piece is
 * still incomplete, then held) or a negative code. */
static ssize_t deliver_held(struct oa_ws *ws, const uint8_t *p, size_t n)
{
    uint8_t stitch[WS_HOLD_MAX];
    size_t held = ws->hold_len, take = n < WS_HOLD_MAX - held ? n : WS_HOLD_MAX - held, piece;
    enum piece kind;
    int r;

    memcpy(stitch, ws->hold, held);
    memcpy(stitch + held, p, take);
    piece = next_piece(ws, stitch, held + take, &kind);
    if (piece == 0) {
        /* A piece is at most WS_HOLD_MAX bytes, so all of p fitted. */
        hold(ws, p, take);
        return (ssize_t)take;
    }
    ws->hold_len = 0;
    r = deliver_piece(ws, stitch, piece, kind);
    return r < 0 ? r : (ssize_t)(piece - held);
}

int oa_ws_feed(struct oa_ws *ws, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t used = 0;
    ssize_t k = 0;

    if (ws->failed)
        return ws->failed;
    /* After the peer's close (or our refusal) nothing more is parsed. */
    if (!wslay_event_get_read_enabled(ws->ctx))
        return 0;
    if (ws->hold_len > 0 && len > 0) {
        k = deliver_held(ws, p, len);
        used = k > 0 ? (size_t)k : 0;
    }
    if (k >= 0 && used < len) {
        k = deliver_pieces(ws, p + used, len - used);
        if (k >= 0)
            hold(ws, p + used + k, len - used - (size_t)k);
    }
    if (k == OA_EPROTO && !ws->close_code) {
        /* wslay queued the close; its code is only known once it is
         * serialised. A failure here is retried by oa_ws_take_output. */
        (void)pump(ws);
    }
    if (k < 0)
        ws->failed = (int)k;
    return k < 0 ? (int)k : 0;
}

static int queue(struct oa_ws *ws, uint8_t opcode, const void *msg, size_t len)
{
    struct wslay_event_msg m = {.opcode = opcode, .msg = msg, .msg_length = len};

    return from_wslay(wslay_event_queue_msg(ws->ctx, &m));
}

int oa_ws_send_text(struct oa_ws *ws, const char *msg, size_t len)
{
    return queue(ws, WSLAY_TEXT_FRAME, msg, len);
}

int oa_ws_send_ping(struct oa_ws *ws)
{
    return queue(ws, WSLAY_PING, NULL, 0);
}

int oa_ws_send_ping_data(struct oa_ws *ws, const void *data, size_t len)
{
    return queue(ws, WSLAY_PING, data, len);
}

int oa_ws_send_close(struct oa_ws *ws, uint16_t code, const char *reason)
{
    size_t len = reason ? strlen(reason) : 0;
    int r = from_wslay(wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, len));

    if (r == 0)
        ws->close_code = code ? code : WS_CLOSE_NO_STATUS;
    return r;
}

/* Moves as much of ws->out as out can still hold. */
static int move_output(struct oa_ws *ws, struct oa_buf *out)
{
    size_t pending = ws->out.len - ws->out_off;
    size_t room = out->max - out->len;
    size_t n = pending < room ? pending : room;
    int r = n ? oa_buf_append(out, ws->out.data + ws->out_off, n) : 0;

    if (r < 0)
        return r;
    ws->out_off += n;
    if (ws->out_off == ws->out.len) {
        oa_buf_reset(&ws->out);
        ws->out_off = 0;
    }
    return n < pending ? OA_ETOOBIG : 0;
}

int oa_ws_take_output(struct oa_ws *ws, struct oa_buf *out)
{
    int r = pump(ws);
    int m = move_output(ws, out);

    return r < 0 ? r : m;
}

uint16_t oa_ws_close_code(const struct oa_ws *ws)
{
    if (ws->close_code)
        return ws->close_code;
    if (wslay_event_get_close_sent(ws->ctx))
        return wslay_event_get_status_code_sent(ws->ctx);
    return 0;
}

bool oa_ws_close_done(const struct oa_ws *ws)
{
    return wslay_event_get_close_sent(ws->ctx) && wslay_event_get_close_received(ws->ctx);
}
