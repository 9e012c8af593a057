/* SPDX-License-Identifier: Apache-2.0 */
/* Head + tail output cap. */
#include "outcap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void oa_outcap_init(struct oa_outcap *c, size_t limit)
{
    memset(c, 0, sizeof(*c));
    c->head_max = limit / 2;
    c->tail_max = limit - c->head_max;
}

void oa_outcap_done(struct oa_outcap *c)
{
    oa_free(c->head);
    oa_free(c->tail);
    oa_outcap_init(c, 0);
}

static void feed_head(struct oa_outcap *c, const char *p, size_t n)
{
    if (c->head_len + n > c->head_alloc) {
        size_t alloc = c->head_alloc ? c->head_alloc : 1024;
        while (alloc < c->head_len + n)
            alloc *= 2;
        if (alloc > c->head_max)
            alloc = c->head_max;
        char *h = oa_realloc(c->head, alloc);
        if (!h) {
            c->err = -ENOMEM;
            return;
        }
        c->head = h;
        c->head_alloc = alloc;
    }
    memcpy(c->head + c->head_len, p, n);
    c->head_len += n;
}

static void feed_tail(struct oa_outcap *c, const char *p, size_t n)
{
    if (c->tail_max == 0)
        return;
    if (!c->tail && !(c->tail = oa_malloc(c->tail_max))) {
        c->err = -ENOMEM;
        return;
    }
    /* Only the last tail_max bytes of this chunk can survive. */
    if (n > c->tail_max) {
        p += n - c->tail_max;
        n = c->tail_max;
    }
    while (n > 0) {
        size_t end = (c->tail_start + c->tail_len) % c->tail_max;
        size_t room = c->tail_max - end;
        size_t k = n < room ? n : room;
        memcpy(c->tail + end, p, k);
        p += k;
        n -= k;
        c->tail_len += k;
        if (c->tail_len > c->tail_max) {
            c->tail_start = (c->tail_start + c->tail_len - c->tail_max) % c->tail_max;
            c->tail_len = c->tail_max;
        }
    }
}

void oa_outcap_feed(struct oa_outcap *c, const char *p, size_t n)
{
    size_t to_head = c->head_max - c->head_len;

    c->total += n;
    if (c->err)
        return;
    if (to_head > n)
        to_head = n;
    if (to_head)
        feed_head(c, p, to_head);
    if (n > to_head)
        feed_tail(c, p + to_head, n - to_head);
}

char *oa_outcap_finish(struct oa_outcap *c, size_t *ret_len)
{
    uint64_t cut = c->total - c->head_len - c->tail_len;
    char marker[80] = "";
    size_t mlen = 0, len;
    char *out;

    if (c->err) {
        oa_outcap_done(c);
        return NULL;
    }
    if (cut > 0)
        mlen = (size_t)snprintf(marker, sizeof(marker), "\n[... %llu bytes of output cut ...]\n",
                                (unsigned long long)cut);
    len = c->head_len + mlen + c->tail_len;
    out = oa_malloc(len + 1);
    if (!out) {
        oa_outcap_done(c);
        return NULL;
    }
    memcpy(out, c->head ? c->head : "", c->head_len);
    memcpy(out + c->head_len, marker, mlen);
    for (size_t i = 0; i < c->tail_len; i++)
        out[c->head_len + mlen + i] = c->tail[(c->tail_start + i) % c->tail_max];
    out[len] = '\0';
    if (ret_len)
        *ret_len = len;
    oa_outcap_done(c);
    return out;
}
