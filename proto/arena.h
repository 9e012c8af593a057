/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator for many small blocks given back together: the nodes of
 * a parsed recipe (one malloc each would cost more time than the parse and
 * a header per node). Blocks are 8-byte aligned and not zeroed. Chunks come
 * from oa_malloc, so allocation failure tests reach them.
 */
#ifndef OA_ARENA_H
#define OA_ARENA_H

#include <stddef.h>

struct oa_arena;

/* A new empty arena, or NULL when out of memory. */
struct oa_arena *oa_arena_new(void);
/* size bytes that live until oa_arena_free, or NULL when out of memory. */
void *oa_arena_alloc(struct oa_arena *a, size_t size);
/* Gives back every block and the arena; accepts NULL. */
void oa_arena_free(struct oa_arena *a);

#endif
