/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/ws.h, the wslay client adapter. Server frames are
 * built by hand (unmasked, as a server sends them) and every case is fed
 * whole, one byte at a time and at random split points (fixed seeds); all
 * chunkings must give the same callbacks, result and output. The client's
 * output is parsed here too: every frame masked, payloads round-trip once
 * unmasked. Then sending, the close handshake, the output cap and the k-th
 * allocation failing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "mem.h"
#include "rng.h"
#include "ws.h"

#define MAX_MESSAGE 1000
#define MAX_FRAMES 8

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

/* ---- building server frames ---- */

static void add_frame_rsv(struct oa_buf *in, bool fin, unsigned rsv, unsigned opcode,
                          const void *payload, size_t len, bool mask)
{
    uint8_t h[14], key[4] = {1, 2, 3, 4};
    size_t n = 0;

    h[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    if (len < 126) {
        h[n++] = (uint8_t)((mask ? 0x80 : 0) | len);
    } else if (len < 65536) {
        h[n++] = (uint8_t)((mask ? 0x80 : 0) | 126);
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else {
        h[n++] = (uint8_t)((mask ? 0x80 : 0) | 127);
        for (int i = 7; i >= 0; i--)
            h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask)
        for (int i = 0; i < 4; i++)
            h[n++] = key[i];
    assert_int_equal(oa_buf_append(in, h, n), 0);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = ((const uint8_t *)payload)[i] ^ (mask ? key[i % 4] : 0);
        assert_int_equal(oa_buf_append(in, &c, 1), 0);
    }
}

static void add_frame(struct oa_buf *in, bool fin, unsigned opcode, const void *payload, size_t len)
{
    add_frame_rsv(in, fin, 0, opcode, payload, len, false);
}

static void add_text(struct oa_buf *in, const char *s)
{
    add_frame(in, true, OP_TEXT, s, strlen(s));
}

static void add_close(struct oa_buf *in, uint16_t code, const char *reason)
{
    uint8_t p[128];
    size_t n = strlen(reason);

    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    memcpy(p + 2, reason, n);
    add_frame(in, true, OP_CLOSE, p, n + 2);
}

/* ---- parsing the client's frames ---- */

struct frame {
    bool fin, masked;
    unsigned rsv, opcode;
    size_t len;
    uint8_t *payload; /* unmasked */
};

/* Parses one frame at p (n bytes); returns its size, 0 if incomplete. */
static size_t parse_frame(const uint8_t *p, size_t n, struct frame *f)
{
    size_t off = 2, len;
    const uint8_t *key;

    if (n < 2)
        return 0;
    f->fin = p[0] & 0x80;
    f->rsv = (p[0] >> 4) & 7;
    f->opcode = p[0] & 15;
    f->masked = p[1] & 0x80;
    len = p[1] & 0x7f;
    if (len >= 126) {
        size_t ext = len == 126 ? 2 : 8;
        if (n < 2 + ext)
            return 0;
        len = 0;
        for (size_t i = 0; i < ext; i++)
            len = len << 8 | p[2 + i];
        off += ext;
    }
    key = p + off;
    off += f->masked ? 4 : 0;
    if (n < off || n - off < len)
        return 0;
    f->len = len;
    f->payload = malloc(len + 1);
    assert_non_null(f->payload);
    for (size_t i = 0; i < len; i++)
        f->payload[i] = p[off + i] ^ (f->masked ? key[i % 4] : 0);
    return off + len;
}

/* Parses all of out into frames; every byte must belong to one. */
static int parse_frames(const struct oa_buf *out, struct frame *frames, int max)
{
    size_t off = 0;
    int n = 0;

    while (off < out->len) {
        size_t used;

        assert_true(n < max);
        used = parse_frame((const uint8_t *)out->data + off, out->len - off, &frames[n]);
        assert_true(used > 0);
        /* RFC 6455 §5.3: a client masks every frame. */
        assert_true(frames[n].masked);
        assert_int_equal(frames[n].rsv, 0);
        off += used;
        n++;
    }
    return n;
}

static void frames_free(struct frame *frames, int n)
{
    for (int i = 0; i < n; i++)
        free(frames[i].payload);
}

/* ---- recording callbacks ---- */

struct rec {
    struct oa_ws *ws;
    char texts[4096]; /* each text message, followed by '|' */
    size_t texts_len;
    int ntexts, frames, closes, pongs;
    uint16_t peer_code;
    char reason[128];
    uint8_t pong[125]; /* the last pong's data */
    size_t pong_len;
};

static void on_text(void *ud, const char *msg, size_t len)
{
    struct rec *r = ud;

    assert_true(r->texts_len + len + 1 <= sizeof(r->texts));
    memcpy(r->texts + r->texts_len, msg, len);
    r->texts_len += len;
    r->texts[r->texts_len++] = '|';
    r->ntexts++;
}

static void on_frame(void *ud)
{
    ((struct rec *)ud)->frames++;
}

static void on_close(void *ud, uint16_t code, const char *reason, size_t len)
{
    struct rec *r = ud;

    r->closes++;
    r->peer_code = code;
    assert_true(len < sizeof(r->reason));
    memcpy(r->reason, reason, len);
    r->reason[len] = '\0';
}

static void on_pong(void *ud, const uint8_t *data, size_t len)
{
    struct rec *r = ud;

    r->pongs++;
    assert_true(len <= sizeof(r->pong));
    memcpy(r->pong, data, len);
    r->pong_len = len;
}

static const struct oa_ws_callbacks rec_cb = {on_text, on_frame, on_close, on_pong};

/* ---- feeding in every chunking ---- */

enum chunking { WHOLE, BYTES, RANDOM };

struct result {
    int err;
    struct rec rec;
    uint16_t close_code;
    bool close_done;
    int nout;
    struct frame out[MAX_FRAMES];
};

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static void run(struct oa_rng *rng, const struct oa_buf *in, enum chunking c, uint32_t seed,
                struct result *res)
{
    struct oa_buf out;
    struct oa_ws *ws;
    size_t off = 0;

    memset(res, 0, sizeof(*res));
    assert_int_equal(oa_ws_new(rng, MAX_MESSAGE, &rec_cb, &res->rec, &ws), 0);
    res->rec.ws = ws;
    while (off < in->len && res->err == 0) {
        size_t n = c == WHOLE ? in->len : c == BYTES ? 1 : 1 + lcg(&seed) % 37;

        if (n > in->len - off)
            n = in->len - off;
        res->err = oa_ws_feed(ws, in->data + off, n);
        off += n;
    }
    /* An error sticks. */
    if (res->err)
        assert_int_equal(oa_ws_feed(ws, "\x81\x01x", 3), res->err);
    oa_buf_init(&out, SIZE_MAX);
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    res->nout = parse_frames(&out, res->out, MAX_FRAMES);
    res->close_code = oa_ws_close_code(ws);
    res->close_done = oa_ws_close_done(ws);
    oa_buf_done(&out);
    oa_ws_free(ws);
}

static void assert_same(const struct result *a, const struct result *b)
{
    assert_int_equal(a->err, b->err);
    assert_int_equal(a->rec.texts_len, b->rec.texts_len);
    assert_memory_equal(a->rec.texts, b->rec.texts, a->rec.texts_len);
    assert_int_equal(a->rec.ntexts, b->rec.ntexts);
    assert_int_equal(a->rec.frames, b->rec.frames);
    assert_int_equal(a->rec.closes, b->rec.closes);
    assert_int_equal(a->rec.peer_code, b->rec.peer_code);
    assert_string_equal(a->rec.reason, b->rec.reason);
    assert_int_equal(a->close_code, b->close_code);
    assert_int_equal(a->close_done, b->close_done);
    assert_int_equal(a->nout, b->nout);
    for (int i = 0; i < a->nout; i++) {
        assert_int_equal(a->out[i].opcode, b->out[i].opcode);
        assert_int_equal(a->out[i].len, b->out[i].len);
        assert_memory_equal(a->out[i].payload, b->out[i].payload, a->out[i].len);
    }
}

/* Runs in in every chunking, checks they agree, and leaves the whole
 * feed's result in *res (the caller frees it with result_done). */
static void run_every_way(const struct oa_buf *in, struct result *res)
{
    struct oa_rng *rng;
    struct result other;

    assert_int_equal(oa_rng_new(&rng), 0);
    run(rng, in, WHOLE, 0, res);
    for (uint32_t i = 0; i < 16; i++) {
        run(rng, in, i == 0 ? BYTES : RANDOM, i, &other);
        assert_same(res, &other);
        frames_free(other.out, other.nout);
    }
    oa_rng_free(rng);
}

static void result_done(struct result *res)
{
    frames_free(res->out, res->nout);
}

/* The output is exactly one close frame with code (0: empty). */
static void assert_close_out(const struct result *res, uint16_t code, const char *reason)
{
    assert_int_equal(res->nout, 1);
    assert_int_equal(res->out[0].opcode, OP_CLOSE);
    assert_true(res->out[0].fin);
    if (code == 0) {
        assert_int_equal(res->out[0].len, 0);
        return;
    }
    assert_int_equal(res->out[0].len, 2 + strlen(reason));
    assert_int_equal(res->out[0].payload[0] << 8 | res->out[0].payload[1], code);
    assert_memory_equal(res->out[0].payload + 2, reason, strlen(reason));
}

/* ---- cases ---- */

static void test_text(void **state)
{
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_text(&in, "hello");
    add_text(&in, "");
    add_text(&in, "{\"code\":\"Test\",\"x\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.ntexts, 3);
    assert_int_equal(res.rec.frames, 3);
    assert_memory_equal(res.rec.texts, "hello||{\"code\":\"Test\"", 21);
    assert_int_equal(res.nout, 0);
    assert_int_equal(res.close_code, 0);
    result_done(&res);
    oa_buf_done(&in);
}

static void test_fragmented_text(void **state)
{
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_frame(&in, false, OP_TEXT, "hel", 3);
    /* A ping may come between the fragments; the euro sign is cut too. */
    add_frame(&in, false, OP_CONT, "lo \xe2\x82", 5);
    add_frame(&in, true, OP_PING, "p", 1);
    add_frame(&in, true, OP_CONT, "\xac", 1);
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.ntexts, 1);
    assert_int_equal(res.rec.frames, 4);
    assert_int_equal(res.rec.texts_len, 10);
    assert_memory_equal(res.rec.texts, "hello \xe2\x82\xac|", 10);
    assert_int_equal(res.nout, 1);
    assert_int_equal(res.out[0].opcode, OP_PONG);
    result_done(&res);
    oa_buf_done(&in);
}

static void test_ping(void **state)
{
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_frame(&in, true, OP_PING, "abc", 3);
    add_frame(&in, true, OP_PONG, "", 0);
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.frames, 2);
    assert_int_equal(res.rec.ntexts, 0);
    /* wslay answered with a masked pong carrying the same payload. */
    assert_int_equal(res.nout, 1);
    assert_int_equal(res.out[0].opcode, OP_PONG);
    assert_int_equal(res.out[0].len, 3);
    assert_memory_equal(res.out[0].payload, "abc", 3);
    result_done(&res);
    oa_buf_done(&in);
}

static void test_peer_close(void **state)
{
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_text(&in, "before");
    add_close(&in, 1001, "going away");
    /* Nothing after the close is parsed. */
    add_text(&in, "after");
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.ntexts, 1);
    assert_int_equal(res.rec.closes, 1);
    assert_int_equal(res.rec.frames, 2);
    assert_int_equal(res.rec.peer_code, 1001);
    assert_string_equal(res.rec.reason, "going away");
    /* Our reply echoes the code (RFC 6455 §5.5.1). */
    assert_close_out(&res, 1001, "going away");
    assert_int_equal(res.close_code, 1001);
    assert_true(res.close_done);
    result_done(&res);
    oa_buf_done(&in);
}

/* wslay 1.1.1 checks a close reason per read and skips two bytes of each:
 * whatever the split, a valid reason must pass and an invalid one fail
 * (the latter is in test_violations). */
static void test_peer_close_utf8_reason(void **state)
{
    static const char reason[] = "adi\xc3\xb3s \xe2\x98\x83 \xf0\x9f\x98\x80 \xc3\xa9\xc3\xa9";
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_text(&in, "x");
    add_close(&in, 4000, reason);
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.closes, 1);
    assert_int_equal(res.rec.peer_code, 4000);
    assert_string_equal(res.rec.reason, reason);
    assert_close_out(&res, 4000, reason);
    result_done(&res);
    oa_buf_done(&in);
}

static void test_peer_close_without_code(void **state)
{
    struct oa_buf in;
    struct result res;

    oa_buf_init(&in, SIZE_MAX);
    add_frame(&in, true, OP_CLOSE, "", 0);
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.closes, 1);
    assert_int_equal(res.rec.peer_code, 1005);
    assert_string_equal(res.rec.reason, "");
    assert_close_out(&res, 0, NULL);
    assert_true(res.close_done);
    result_done(&res);
    oa_buf_done(&in);
}

/* A stream that breaks the protocol: OA_EPROTO, one close with code in the
 * output, and nothing after the offending frame delivered. Short streams are
 * written out byte for byte (unmasked server frames: FIN|opcode, length,
 * payload); long ones are built. */
struct violation {
    const char *name;
    const char *bytes; /* the stream, or NULL and build */
    size_t len;
    void (*build)(struct oa_buf *in);
    uint16_t code;    /* in oa_ws_close_code() */
    bool empty_close; /* wslay's framing errors close without a code */
    int frames;       /* on_frame calls before the violation */
};

static void build_too_big(struct oa_buf *in)
{
    static char big[MAX_MESSAGE + 1];

    memset(big, 'a', sizeof(big));
    add_frame(in, true, OP_TEXT, big, MAX_MESSAGE + 1);
}

static void build_too_big_fragmented(struct oa_buf *in)
{
    static char big[MAX_MESSAGE];

    memset(big, 'a', sizeof(big));
    add_frame(in, false, OP_TEXT, big, 600);
    add_frame(in, false, OP_CONT, big, 400);
    add_frame(in, true, OP_CONT, "x", 1);
}

static void build_long_ping(struct oa_buf *in)
{
    static char p[126];

    add_frame(in, true, OP_PING, p, sizeof(p));
}

#define RAW(s) s, sizeof(s) - 1, NULL
#define BUILT(f) NULL, 0, f

static const struct violation violations[] = {
    {"binary", RAW("\x82\x02\x00\x01"), 1003, false, 1},
    /* Text frames reach wslay as binary ones (ws.c): a real binary frame is
     * still told apart, wherever it comes. */
    {"binary after a text message", RAW("\x81\x02ok\x82\x01x"), 1003, false, 2},
    {"binary after a fragmented text message", RAW("\x01\x01o\x80\x01k\x82\x01x"), 1003, false, 3},
    {"binary inside a fragmented text message",
     RAW("\x01\x01"
         "a\x82\x01"
         "b"),
     1002, false, 1},
    {"invalid UTF-8",
     RAW("\x81\x02ok\x81\x0a"
         "bad \xff here"),
     1007, false, 2},
    {"invalid UTF-8 across fragments", RAW("\x01\x02\xe2\x82\x80\x01("), 1007, false, 2},
    {"truncated UTF-8",
     RAW("\x81\x06"
         "end \xe2\x82"),
     1007, false, 1},
    {"surrogate", RAW("\x81\x03\xed\xa0\x80"), 1007, false, 1},
    {"invalid UTF-8 in a close reason", RAW("\x88\x04\x03\xe8\xc0\xaf"), 1007, false, 1},
    {"one byte over max_message", BUILT(build_too_big), 1009, false, 0},
    {"one byte over max_message, fragmented", BUILT(build_too_big_fragmented), 1009, false, 2},
    /* Refused from the header alone: the payload never has to arrive. */
    {"a 1 TiB message announced", RAW("\x81\x7f\0\0\x01\0\0\0\0\0"), 1009, false, 0},
    {"a 64-bit length with its top bit set", RAW("\x81\x7f\x80\0\0\0\0\0\0\x01"), 1005, true, 0},
    {"reserved opcode", RAW("\x83\x01x"), 1002, false, 0},
    {"reserved control opcode", RAW("\x8b\x01x"), 1002, false, 0},
    {"RSV1", RAW("\xc1\x01x"), 1002, false, 0},
    {"RSV3", RAW("\x91\x01x"), 1002, false, 0},
    {"masked by the server", RAW("\x81\x81\x01\x02\x03\x04y"), 1002, false, 0},
    {"continuation without a start", RAW("\x80\x01x"), 1002, false, 0},
    {"new message inside a fragmented one",
     RAW("\x01\x01"
         "a\x81\x01"
         "b"),
     1002, false, 1},
    {"invalid close code", RAW("\x88\x02\x03\xe7"), 1002, false, 1},
    {"ping over 125 bytes", BUILT(build_long_ping), 1005, true, 0},
    {"fragmented ping", RAW("\x09\x01x"), 1005, true, 0},
};

static void test_violations(void **state)
{
    for (size_t i = 0; i < sizeof(violations) / sizeof(violations[0]); i++) {
        const struct violation *v = &violations[i];
        struct oa_buf in;
        struct result res;

        print_message("%s\n", v->name);
        oa_buf_init(&in, SIZE_MAX);
        if (v->build)
            v->build(&in);
        else
            assert_int_equal(oa_buf_append(&in, v->bytes, v->len), 0);
        /* Whatever follows is not parsed. */
        add_text(&in, "after");
        run_every_way(&in, &res);
        assert_int_equal(res.err, OA_EPROTO);
        assert_int_equal(res.close_code, v->code);
        assert_close_out(&res, v->empty_close ? 0 : v->code, "");
        assert_int_equal(res.rec.frames, v->frames);
        assert_null(memmem(res.rec.texts, res.rec.texts_len, "after", 5));
        assert_int_equal(res.rec.closes, 0);
        assert_false(res.close_done);
        result_done(&res);
        oa_buf_done(&in);
    }
}

/* Exactly max_message is fine, whole or fragmented. */
static void test_max_message(void **state)
{
    static char big[MAX_MESSAGE];
    struct oa_buf in;
    struct result res;

    memset(big, 'z', sizeof(big));
    oa_buf_init(&in, SIZE_MAX);
    add_frame(&in, true, OP_TEXT, big, MAX_MESSAGE);
    add_frame(&in, false, OP_TEXT, big, 1);
    add_frame(&in, true, OP_CONT, big, MAX_MESSAGE - 1);
    run_every_way(&in, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.rec.ntexts, 2);
    assert_int_equal(res.rec.texts_len, 2 * (MAX_MESSAGE + 1));
    result_done(&res);
    oa_buf_done(&in);
}

/* ---- sending ---- */

static void setup_ws(struct oa_rng **rng, struct rec *rec, struct oa_ws **ws)
{
    memset(rec, 0, sizeof(*rec));
    assert_int_equal(oa_rng_new(rng), 0);
    assert_int_equal(oa_ws_new(*rng, MAX_MESSAGE, &rec_cb, rec, ws), 0);
}

static void test_send_round_trip(void **state)
{
    static char big[70000];
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    struct oa_buf out;
    struct frame f[MAX_FRAMES];
    int n;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    setup_ws(&rng, &rec, &ws);
    oa_buf_init(&out, SIZE_MAX);
    /* Nothing queued, nothing written. */
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(oa_ws_send_text(ws, "{\"code\":\"Handshake\"}", 20), 0);
    assert_int_equal(oa_ws_send_text(ws, "", 0), 0);
    assert_int_equal(oa_ws_send_text(ws, big, 200), 0);
    assert_int_equal(oa_ws_send_text(ws, big, sizeof(big)), 0);
    assert_int_equal(oa_ws_send_ping(ws), 0);
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    n = parse_frames(&out, f, MAX_FRAMES);
    assert_int_equal(n, 5);
    /* wslay sends control frames first. */
    assert_int_equal(f[0].opcode, OP_PING);
    assert_int_equal(f[0].len, 0);
    assert_int_equal(f[1].opcode, OP_TEXT);
    assert_true(f[1].fin);
    assert_memory_equal(f[1].payload, "{\"code\":\"Handshake\"}", 20);
    assert_int_equal(f[2].len, 0);
    assert_int_equal(f[3].len, 200);
    assert_memory_equal(f[3].payload, big, 200);
    assert_int_equal(f[4].len, sizeof(big));
    assert_memory_equal(f[4].payload, big, sizeof(big));
    frames_free(f, n);
    oa_buf_done(&out);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

/* A ping carries data (the connection numbers its messages with it), and
 * the pong that echoes it is reported with that data. */
static void test_ping_data_and_pong(void **state)
{
    static const uint8_t seq[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x02};
    uint8_t big[126] = {0};
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    struct oa_buf out, in;
    struct frame f[MAX_FRAMES];
    int n;

    setup_ws(&rng, &rec, &ws);
    oa_buf_init(&out, SIZE_MAX);
    oa_buf_init(&in, SIZE_MAX);
    assert_int_equal(oa_ws_send_ping_data(ws, big, sizeof(big)), -EINVAL);
    assert_int_equal(oa_ws_send_ping_data(ws, seq, sizeof(seq)), 0);
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    n = parse_frames(&out, f, MAX_FRAMES);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].opcode, OP_PING);
    assert_int_equal(f[0].len, sizeof(seq));
    assert_memory_equal(f[0].payload, seq, sizeof(seq));
    frames_free(f, n);
    add_frame(&in, true, OP_PONG, seq, sizeof(seq));
    add_frame(&in, true, OP_PONG, "", 0);
    assert_int_equal(oa_ws_feed(ws, in.data, in.len), 0);
    assert_int_equal(rec.pongs, 2);
    assert_int_equal(rec.frames, 2);
    assert_int_equal(rec.pong_len, 0);
    oa_buf_done(&in);
    oa_buf_done(&out);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

/* Our close first: nothing can be sent after it, the peer's reply finishes
 * the handshake, and our close is not repeated. */
static void test_close_handshake(void **state)
{
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    struct oa_buf out, in;
    struct frame f[MAX_FRAMES];
    int n;

    setup_ws(&rng, &rec, &ws);
    oa_buf_init(&out, SIZE_MAX);
    oa_buf_init(&in, SIZE_MAX);
    assert_int_equal(oa_ws_send_close(ws, 1000, "bye"), 0);
    assert_int_equal(oa_ws_close_code(ws), 1000);
    assert_int_equal(oa_ws_send_text(ws, "late", 4), OA_ECLOSED);
    assert_int_equal(oa_ws_send_ping(ws), OA_ECLOSED);
    assert_int_equal(oa_ws_send_close(ws, 1001, NULL), OA_ECLOSED);
    assert_false(oa_ws_close_done(ws));
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    n = parse_frames(&out, f, MAX_FRAMES);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].opcode, OP_CLOSE);
    assert_memory_equal(f[0].payload,
                        "\x03\xe8"
                        "bye",
                        5);
    frames_free(f, n);
    assert_false(oa_ws_close_done(ws));
    /* Messages the peer sent before its close still arrive. */
    add_text(&in, "last");
    add_close(&in, 1000, "");
    assert_int_equal(oa_ws_feed(ws, in.data, in.len), 0);
    assert_int_equal(rec.ntexts, 1);
    assert_int_equal(rec.closes, 1);
    assert_true(oa_ws_close_done(ws));
    oa_buf_reset(&out);
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(oa_ws_close_code(ws), 1000);
    assert_int_equal(oa_ws_send_close(ws, 1000, "x"), OA_ECLOSED);
    oa_buf_done(&in);
    oa_buf_done(&out);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

static void test_send_after_peer_close(void **state)
{
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    struct oa_buf in, out;

    setup_ws(&rng, &rec, &ws);
    oa_buf_init(&in, SIZE_MAX);
    oa_buf_init(&out, SIZE_MAX);
    add_close(&in, 1000, "");
    assert_int_equal(oa_ws_feed(ws, in.data, in.len), 0);
    /* The echo is queued: nothing else may be. */
    assert_int_equal(oa_ws_send_text(ws, "x", 1), OA_ECLOSED);
    assert_false(oa_ws_close_done(ws));
    assert_int_equal(oa_ws_take_output(ws, &out), 0);
    assert_true(oa_ws_close_done(ws));
    assert_int_equal(oa_ws_send_text(ws, "x", 1), OA_ECLOSED);
    /* Further input is ignored. */
    assert_int_equal(oa_ws_feed(ws, "\x81\x01x", 3), 0);
    assert_int_equal(rec.ntexts, 0);
    oa_buf_done(&in);
    oa_buf_done(&out);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

static void test_send_close_bad_reason(void **state)
{
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    char reason[200];

    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    setup_ws(&rng, &rec, &ws);
    /* A close frame holds at most 123 bytes of reason. */
    assert_int_equal(oa_ws_send_close(ws, 1000, reason), -EINVAL);
    assert_int_equal(oa_ws_close_code(ws), 0);
    assert_int_equal(oa_ws_send_text(ws, "still open", 10), 0);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

/* A small output buffer: what does not fit stays queued, in order. */
static void test_output_cap(void **state)
{
    struct oa_rng *rng;
    struct oa_ws *ws;
    struct rec rec;
    struct oa_buf out, all;
    struct frame f[MAX_FRAMES];
    int n, r;

    setup_ws(&rng, &rec, &ws);
    oa_buf_init(&out, 10);
    oa_buf_init(&all, SIZE_MAX);
    assert_int_equal(oa_ws_send_text(ws, "0123456789abcdefghij", 20), 0);
    assert_int_equal(oa_ws_send_text(ws, "second", 6), 0);
    do {
        r = oa_ws_take_output(ws, &out);
        assert_true(r == 0 || r == OA_ETOOBIG);
        assert_true(out.len <= 10);
        assert_int_equal(oa_buf_append(&all, out.data ? out.data : "", out.len), 0);
        oa_buf_reset(&out);
    } while (r == OA_ETOOBIG);
    n = parse_frames(&all, f, MAX_FRAMES);
    assert_int_equal(n, 2);
    assert_memory_equal(f[0].payload, "0123456789abcdefghij", 20);
    assert_memory_equal(f[1].payload, "second", 6);
    frames_free(f, n);
    oa_buf_done(&out);
    oa_buf_done(&all);
    oa_ws_free(ws);
    oa_rng_free(rng);
}

/* Only allocations through oa_malloc fail: wslay 1.1.1 calls malloc itself
 * and has no allocator hook. */
static void test_failing_alloc(void **state)
{
    struct oa_rng *rng;
    struct oa_buf in;
    bool done = false;

    assert_int_equal(oa_rng_new(&rng), 0);
    oa_buf_init(&in, SIZE_MAX);
    add_text(&in, "hello");
    add_frame(&in, true, OP_PING, "p", 1);
    for (unsigned long k = 1; !done; k++) {
        struct oa_ws *ws = NULL;
        struct oa_buf out;
        struct rec rec = {0};
        int r;

        assert_true(k < 100);
        oa_buf_init(&out, SIZE_MAX);
        oa_mem_fail_after(k);
        r = oa_ws_new(rng, MAX_MESSAGE, &rec_cb, &rec, &ws);
        if (r == 0)
            r = oa_ws_feed(ws, in.data, in.len);
        if (r == 0)
            r = oa_ws_send_text(ws, "reply", 5);
        if (r == 0)
            r = oa_ws_take_output(ws, &out);
        oa_mem_fail_after(0);
        if (r == 0) {
            assert_int_equal(rec.ntexts, 1);
            assert_true(out.len > 0);
            done = true;
        } else {
            assert_int_equal(r, -ENOMEM);
            /* Only oa_ws_new and oa_ws_take_output allocate here, and the
             * output can be taken again once memory is back. */
            if (ws) {
                assert_int_equal(oa_ws_take_output(ws, &out), 0);
                assert_true(out.len > 0);
            }
        }
        oa_buf_done(&out);
        oa_ws_free(ws);
    }
    oa_buf_done(&in);
    oa_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_fragmented_text),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_peer_close),
        cmocka_unit_test(test_peer_close_utf8_reason),
        cmocka_unit_test(test_peer_close_without_code),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_max_message),
        cmocka_unit_test(test_send_round_trip),
        cmocka_unit_test(test_ping_data_and_pong),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_send_after_peer_close),
        cmocka_unit_test(test_send_close_bad_reason),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_failing_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
