/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The random generator of the agent: mbedTLS's CTR-DRBG seeded from the
 * system's entropy. Used for the TLS handshake, WebSocket masks and keys,
 * the instance token and the backoff jitter. One per process, created by
 * main and passed down (no global).
 */
#ifndef OA_RNG_H
#define OA_RNG_H

#include <stddef.h>
#include <stdint.h>

struct oa_rng;

/* Returns 0 or -ENOMEM / OA_ETLS (the entropy source failed). */
int oa_rng_new(struct oa_rng **ret);
void oa_rng_free(struct oa_rng *rng);

/* Fills buf with len random bytes. Returns 0 or OA_ETLS. */
int oa_rng_bytes(struct oa_rng *rng, void *buf, size_t len);

/* A uniform number in [0, bound) (bound > 0), for jitter. */
uint64_t oa_rng_below(struct oa_rng *rng, uint64_t bound);

/* The mbedTLS f_rng signature, for mbedtls_ssl_conf_rng and friends: p_rng
 * is the struct oa_rng. */
int oa_rng_mbedtls(void *p_rng, unsigned char *buf, size_t len);

#endif
