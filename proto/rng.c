/* SPDX-License-Identifier: Apache-2.0 */
/* CTR-DRBG from mbedTLS, seeded from the platform entropy source. */
#include "rng.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "err.h"
#include "mem.h"

struct oa_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

int oa_rng_new(struct oa_rng **ret)
{
    static const unsigned char personalization[] = "opsagent";
    struct oa_rng *rng = oa_calloc(1, sizeof(*rng));

    if (!rng)
        return -ENOMEM;
    mbedtls_entropy_init(&rng->entropy);
    mbedtls_ctr_drbg_init(&rng->drbg);
    if (mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy, personalization,
                              sizeof(personalization) - 1) != 0) {
        oa_rng_free(rng);
        return OA_ETLS;
    }
    *ret = rng;
    return 0;
}

void oa_rng_free(struct oa_rng *rng)
{
    if (!rng)
        return;
    mbedtls_ctr_drbg_free(&rng->drbg);
    mbedtls_entropy_free(&rng->entropy);
    oa_free(rng);
}

int oa_rng_bytes(struct oa_rng *rng, void *buf, size_t len)
{
    unsigned char *p = buf;

    /* mbedtls_ctr_drbg_random gives at most MBEDTLS_CTR_DRBG_MAX_REQUEST
     * bytes per call. */
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&rng->drbg, p, n) != 0)
            return OA_ETLS;
        p += n;
        len -= n;
    }
    return 0;
}

uint64_t oa_rng_below(struct oa_rng *rng, uint64_t bound)
{
    uint64_t v, limit = UINT64_MAX - UINT64_MAX % bound;

    /* Rejection sampling keeps the result uniform. */
    do {
        if (oa_rng_bytes(rng, &v, sizeof(v)) < 0)
            return 0;
    } while (v >= limit);
    return v % bound;
}

int oa_rng_mbedtls(void *p_rng, unsigned char *buf, size_t len)
{
    return oa_rng_bytes(p_rng, buf, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}
