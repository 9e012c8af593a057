/* SPDX-License-Identifier: Apache-2.0 */
/* The reads of a stream, as the input's first bytes choose them (chunks.h). */
#include "chunks.h"

#include <string.h>

void oa_chunks_init(struct oa_chunks *c, const uint8_t *data, size_t size)
{
    memset(c, 0, sizeof(*c));
    c->n_lens = size < OA_CHUNKS_HEADER ? size : OA_CHUNKS_HEADER;
    memcpy(c->lens, data, c->n_lens);
    c->data = data + c->n_lens;
    c->size = size - c->n_lens;
}

bool oa_chunks_next(struct oa_chunks *c, const uint8_t **ret, size_t *ret_len)
{
    size_t left = c->size - c->off, n = left;

    if (left == 0)
        return false;
    if (c->n_lens > 0) {
        size_t want = c->lens[c->turn++ % c->n_lens];
        /* 0 is "the rest", so that one read can carry a whole stream. */
        if (want > 0 && want < left)
            n = want;
    }
    *ret = c->data + c->off;
    *ret_len = n;
    c->off += n;
    return true;
}
