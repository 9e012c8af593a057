/* SPDX-License-Identifier: Apache-2.0 */
/* Exponential backoff with full jitter. */
#include "backoff.h"

uint64_t oa_backoff_ceiling_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt)
{
    uint64_t ceiling = min_ms;

    for (unsigned i = 0; i < attempt && ceiling < max_ms; i++)
        ceiling = ceiling > max_ms / 2 ? max_ms : ceiling * 2;
    return ceiling < max_ms ? ceiling : max_ms;
}

uint64_t oa_backoff_delay_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt, uint64_t random)
{
    uint64_t ceiling = oa_backoff_ceiling_ms(min_ms, max_ms, attempt);

    return ceiling == UINT64_MAX ? random : random % (ceiling + 1);
}
