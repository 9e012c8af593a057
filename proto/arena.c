/* SPDX-License-Identifier: Apache-2.0 */
#include "arena.h"

#include <stdint.h>

#include "mem.h"

struct chunk {
    struct chunk *next;
    size_t used, size;
    uint64_t data[]; /* 8-byte aligned blocks */
};

struct oa_arena {
    struct chunk *head; /* the chunk being filled; older ones follow */
};

/* Chunks double from 4 KiB to 256 KiB: a small message takes little, a
 * large recipe few mallocs. A block larger than that gets its own chunk. */
#define CHUNK_MIN 4096
#define CHUNK_MAX (256 * 1024)

struct oa_arena *oa_arena_new(void)
{
    return oa_calloc(1, sizeof(struct oa_arena));
}

void *oa_arena_alloc(struct oa_arena *a, size_t size)
{
    struct chunk *c = a->head;
    void *p;

    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + 7) & ~(size_t)7;
    if (!c || c->size - c->used < size) {
        size_t want = c ? (c->size < CHUNK_MAX ? c->size * 2 : CHUNK_MAX) : CHUNK_MIN;
        if (want < size)
            want = size;
        c = oa_malloc(sizeof(*c) + want);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = want;
        c->next = a->head;
        a->head = c;
    }
    p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

void oa_arena_free(struct oa_arena *a)
{
    if (!a)
        return;
    for (struct chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        oa_free(c);
    }
    oa_free(a);
}
