/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/ws.c, the WebSocket receive path through the real
 * wslay callbacks: the input is what the backend's socket delivers after
 * the upgrade, fed to oa_ws_feed in reads of the sizes its first bytes
 * choose (chunks.h), each read followed by oa_ws_take_output as conn.c
 * does. Byte 0 holds options: bit 0 sets max_message to the config's
 * minimum (1024) instead of its default (16 MiB), so that 1009 is within
 * reach; bit 1 queues a text message and a numbered ping first (the
 * Handshake and conn.c's keep-alive); bit 2 starts our closing handshake
 * first (SIGTERM).
 *
 * Checked: every message delivered is valid UTF-8 (by a decoder written
 * apart from proto/utf8.c) and at most max_message bytes, and none comes
 * after the peer's close; a close reason is valid UTF-8 of at most 123
 * bytes; a pong's data is at most 125 bytes, all readable; oa_ws_feed
 * returns only 0, OA_EPROTO (then a close code is set and the failure
 * sticks) or -ENOMEM; what we send is whole masked client frames with
 * known opcodes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "chunks.h"
#include "err.h"
#include "fuzz.h"
#include "log.h"
#include "rng.h"
#include "ws.h"

#define OPT_SMALL_MAX 0x01
#define OPT_SEND_FIRST 0x02
#define OPT_CLOSE_FIRST 0x04

struct run {
    size_t max_message;
    size_t fed;       /* bytes given to oa_ws_feed so far */
    size_t delivered; /* bytes of the messages delivered */
    bool peer_closed;
};

static struct oa_rng *rng;

/* RFC 3629 by arithmetic: decode each code point, then refuse overlong
 * forms, surrogates and anything past U+10FFFF. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};

    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;

        if (len == 0 || len > n - i)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += len;
    }
    return true;
}

static void on_text(void *ud, const char *msg, size_t len)
{
    struct run *run = ud;

    if (run->peer_closed || len > run->max_message || !utf8_ok((const unsigned char *)msg, len))
        __builtin_trap();
    /* A message is made of bytes fed, never more. */
    run->delivered += len;
    if (run->delivered > run->fed)
        __builtin_trap();
}

static void on_frame(void *ud) {}

static void on_close(void *ud, uint16_t code, const char *reason, size_t reason_len)
{
    struct run *run = ud;

    if (run->peer_closed || reason_len > 123 || !utf8_ok((const unsigned char *)reason, reason_len))
        __builtin_trap();
    run->peer_closed = true;
}

/* A pong's data is a control frame's payload: at most 125 bytes. */
static void on_pong(void *ud, const uint8_t *data, size_t len)
{
    struct run *run = ud;

    if (run->peer_closed || len > 125 || (len > 0 && !data))
        __builtin_trap();
    for (size_t i = 0; i < len; i++)
        (void)*(volatile const uint8_t *)&data[i];
}

static const struct oa_ws_callbacks callbacks = {
    .on_text = on_text, .on_frame = on_frame, .on_close = on_close, .on_pong = on_pong};

/* Walks what we sent: whole frames, masked, with the opcodes a client
 * sends (text, close, ping, pong), each final (we never fragment). */
static void check_output(const struct oa_buf *out)
{
    const uint8_t *p = (const uint8_t *)out->data;
    size_t off = 0;

    while (off < out->len) {
        size_t n = out->len - off, ext, head;
        uint64_t payload;
        uint8_t op;

        if (n < 2)
            __builtin_trap();
        op = p[off] & 0x0f;
        if (!(p[off] & 0x80) || (p[off] & 0x70) || !(p[off + 1] & 0x80))
            __builtin_trap();
        if (op != 0x1 && op != 0x8 && op != 0x9 && op != 0xA)
            __builtin_trap();
        payload = p[off + 1] & 0x7f;
        ext = payload == 126 ? 2 : payload == 127 ? 8 : 0;
        head = 2 + ext + 4;
        if (n < head)
            __builtin_trap();
        if (ext)
            payload = 0;
        for (size_t i = 0; i < ext; i++)
            payload = payload << 8 | p[off + 2 + i];
        if (payload > n - head || (op >= 0x8 && payload > 125))
            __builtin_trap();
        off += head + (size_t)payload;
    }
}

static void start(struct oa_ws *ws, uint8_t opt)
{
    static const char hello[] = "{\"code\":\"Handshake\",\"protocol_version\":1}";
    /* conn.c numbers its pings: 8 bytes, big-endian. */
    static const uint8_t seq[8] = {0, 0, 0, 0, 0, 0, 0, 1};

    if ((opt & OPT_SEND_FIRST) && (oa_ws_send_text(ws, hello, sizeof(hello) - 1) < 0 ||
                                   oa_ws_send_ping_data(ws, seq, sizeof(seq)) < 0))
        __builtin_trap();
    if ((opt & OPT_CLOSE_FIRST) && oa_ws_send_close(ws, 1001, "") < 0)
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    if (oa_rng_new(&rng) < 0)
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = size > 0 ? data[0] : 0;
    struct run run = {opt & OPT_SMALL_MAX ? 1024 : 16u << 20, 0, 0, false};
    struct oa_chunks chunks;
    struct oa_buf out;
    struct oa_ws *ws;
    const uint8_t *piece;
    size_t len;
    int failed = 0;

    if (oa_ws_new(rng, run.max_message, &callbacks, &run, &ws) < 0)
        __builtin_trap();
    oa_buf_init(&out, SIZE_MAX);
    start(ws, opt);
    oa_chunks_init(&chunks, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
    while (oa_chunks_next(&chunks, &piece, &len)) {
        int r;

        run.fed += len;
        r = oa_ws_feed(ws, piece, len);
        if (r != 0 && r != OA_EPROTO && r != -ENOMEM)
            __builtin_trap();
        /* A failure sticks: the next feed says the same. */
        if (failed && r != failed)
            __builtin_trap();
        if (oa_ws_take_output(ws, &out) < 0)
            __builtin_trap();
        if (r == OA_EPROTO && oa_ws_close_code(ws) == 0)
            __builtin_trap();
        failed = r;
    }
    check_output(&out);
    oa_buf_done(&out);
    oa_ws_free(ws);
    return 0;
}
