/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The head+tail cap on a state's output (design.md: keep up to output_limit
 * bytes, the head and the tail, and mark the cut). Memory stays within the
 * limit however much a child prints: the head is kept as it comes, the tail
 * in a ring that overwrites itself.
 */
#ifndef OA_OUTCAP_H
#define OA_OUTCAP_H

#include <stddef.h>
#include <stdint.h>

struct oa_outcap {
    size_t head_max, tail_max;
    char *head;
    size_t head_len, head_alloc;
    char *tail;        /* ring of tail_max bytes, allocated on first overflow */
    size_t tail_start; /* index of the oldest byte */
    size_t tail_len;
    uint64_t total; /* bytes fed */
    int err;        /* -ENOMEM once an allocation failed */
};

/* limit: bytes kept at most (the head gets half, the tail the rest). */
void oa_outcap_init(struct oa_outcap *c, size_t limit);
void oa_outcap_feed(struct oa_outcap *c, const char *p, size_t n);
/* The kept output: the head, then "\n[... N bytes of output cut ...]\n" when
 * something was dropped, then the tail; NUL-terminated, owned by the caller.
 * NULL when out of memory. The cap is emptied. */
char *oa_outcap_finish(struct oa_outcap *c, size_t *ret_len);
void oa_outcap_done(struct oa_outcap *c);

#endif
