/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arbitrary chunkings for the stream parsers' fuzz targets (fuzz_http,
 * fuzz_ws): bytes as they would arrive from a socket, in reads of any size.
 * The first OA_CHUNKS_HEADER bytes of an input are the lengths of the
 * successive reads, used in turn (a 0 is "everything left"); the rest of
 * the input is the stream. So the fuzzer mutates the split points like any
 * other byte, and a corpus file replays the same reads every time.
 */
#ifndef OA_FUZZ_CHUNKS_H
#define OA_FUZZ_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OA_CHUNKS_HEADER 4

struct oa_chunks {
    uint8_t lens[OA_CHUNKS_HEADER];
    size_t n_lens; /* fewer than OA_CHUNKS_HEADER for a short input */
    size_t turn;
    const uint8_t *data; /* the stream: borrowed */
    size_t size, off;
};

/* Splits data (size bytes, header included) into the header and the stream.
 * Nothing is copied: data must outlive c. */
void oa_chunks_init(struct oa_chunks *c, const uint8_t *data, size_t size);

/* The next read: false when the stream is used up. A read is never empty. */
bool oa_chunks_next(struct oa_chunks *c, const uint8_t **ret, size_t *ret_len);

#endif
