/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconnect delays (protocol.md, Connection lifecycle): exponential from
 * reconnect_min to reconnect_max with full jitter, so that a fleet that
 * lost its backend does not come back in one wave. A pure function: the
 * caller supplies the randomness, the tests supply their own.
 */
#ifndef OA_BACKOFF_H
#define OA_BACKOFF_H

#include <stdint.h>

/* The delay before attempt number `attempt` (0 for the first retry):
 * uniform in [0, min(max_ms, min_ms * 2^attempt)], drawn from `random`
 * (any 64-bit value, e.g. from oa_rng_below's source). */
uint64_t oa_backoff_delay_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt, uint64_t random);

/* The upper end of that window, for logs and tests. */
uint64_t oa_backoff_ceiling_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt);

#endif
