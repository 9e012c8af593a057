/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded growable buffer. */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "mem.h"

void oa_buf_init(struct oa_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max;
}

void oa_buf_done(struct oa_buf *b)
{
    oa_free(b->data);
    oa_buf_init(b, b->max);
}

void oa_buf_reset(struct oa_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(struct oa_buf *b, size_t need)
{
    size_t alloc = b->alloc ? b->alloc : 64;
    char *p;

    while (alloc < need + 1 && alloc <= SIZE_MAX / 2)
        alloc *= 2;
    if (alloc < need + 1)
        alloc = need + 1;
    /* Never more than the cap allows (max + 1 for the NUL; no overflow). */
    if (b->max < SIZE_MAX && alloc > b->max + 1)
        alloc = b->max + 1;
    p = oa_realloc(b->data, alloc);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->alloc = alloc;
    return 0;
}

int oa_buf_reserve(struct oa_buf *b, size_t n)
{
    if (n > b->max - b->len)
        return OA_ETOOBIG;
    return b->len + n + 1 > b->alloc ? grow(b, b->len + n) : 0;
}

int oa_buf_append(struct oa_buf *b, const void *p, size_t n)
{
    int r;

    if (n > b->max - b->len)
        return OA_ETOOBIG;
    if ((!b->data || b->len + n + 1 > b->alloc) && (r = grow(b, b->len + n)) < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int oa_buf_puts(struct oa_buf *b, const char *s)
{
    return oa_buf_append(b, s, strlen(s));
}

int oa_buf_printf(struct oa_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n, r;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return oa_buf_append(b, small, (size_t)n);

    if ((size_t)n > b->max - b->len)
        return OA_ETOOBIG;
    if (b->len + (size_t)n + 1 > b->alloc && (r = grow(b, b->len + (size_t)n)) < 0)
        return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *oa_buf_steal(struct oa_buf *b, size_t *ret_len)
{
    char *p;

    if (!b->data && oa_buf_append(b, "", 0) < 0)
        return NULL;
    p = b->data;
    if (ret_len)
        *ret_len = b->len;
    oa_buf_init(b, b->max);
    return p;
}
