/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/rng.h, the CTR-DRBG: two draws differ, long requests
 * (over mbedTLS's per-call limit) are filled, oa_rng_below stays in range
 * for small, odd and huge bounds and is roughly uniform, the mbedTLS
 * callback works, and a failed allocation is reported. The statistical
 * bounds are loose enough that a correct generator cannot fail them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "mem.h"
#include "rng.h"

static int setup(void **state)
{
    struct oa_rng *rng = NULL;

    if (oa_rng_new(&rng) != 0)
        return -1;
    *state = rng;
    return 0;
}

static int teardown(void **state)
{
    oa_rng_free(*state);
    return 0;
}

static void test_bytes_differ(void **state)
{
    unsigned char a[32], b[32], zero[32] = {0};

    assert_int_equal(oa_rng_bytes(*state, a, sizeof(a)), 0);
    assert_int_equal(oa_rng_bytes(*state, b, sizeof(b)), 0);
    /* Equal by chance with probability 2^-256. */
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
}

static void test_long_request(void **state)
{
    /* Over MBEDTLS_CTR_DRBG_MAX_REQUEST (1024): filled in several calls. */
    size_t len = 10000, i, zeros = 0;
    unsigned char *p = calloc(1, len);

    assert_non_null(p);
    assert_int_equal(oa_rng_bytes(*state, p, len), 0);
    /* Expected about 39 zero bytes; the tail must be filled too. */
    for (i = 0; i < len; i++)
        zeros += p[i] == 0;
    assert_true(zeros < 200);
    for (i = len - 64, zeros = 0; i < len; i++)
        zeros += p[i] == 0;
    assert_true(zeros < 16);
    assert_int_equal(oa_rng_bytes(*state, p, 0), 0);
    free(p);
}

static void test_below_range(void **state)
{
    static const uint64_t bounds[] = {1, 2, 3, 7, 1000, (1ull << 63) + 1, UINT64_MAX};
    size_t i, k;

    for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        for (k = 0; k < 1000; k++)
            assert_true(oa_rng_below(*state, bounds[i]) < bounds[i]);
    }
}

static void test_below_uniform(void **state)
{
    enum { BUCKETS = 10, DRAWS = 10000 };
    unsigned count[BUCKETS] = {0};
    double expected = (double)DRAWS / BUCKETS, chi2 = 0;
    unsigned high = 0;
    size_t i;

    for (i = 0; i < DRAWS; i++) {
        uint64_t v = oa_rng_below(*state, BUCKETS);
        assert_true(v < BUCKETS);
        count[v]++;
    }
    for (i = 0; i < BUCKETS; i++) {
        double d = count[i] - expected;
        chi2 += d * d / expected;
        /* Each bucket expects 1000 with a standard deviation of 30. */
        assert_in_range(count[i], 700, 1300);
    }
    /* Chi-square with 9 degrees of freedom: P(chi2 > 100) is about 1e-16. */
    assert_true(chi2 < 100.0);

    /* A bound just over 2^63 rejects about half of the draws; both halves
     * of the range must still come out. */
    for (i = 0; i < 1000; i++)
        high += oa_rng_below(*state, (1ull << 63) + 1) >= (1ull << 62);
    assert_in_range(high, 300, 700);
}

static void test_mbedtls_callback(void **state)
{
    unsigned char a[48] = {0}, b[48] = {0};

    assert_int_equal(oa_rng_mbedtls(*state, a, sizeof(a)), 0);
    assert_int_equal(oa_rng_mbedtls(*state, b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_alloc_failure(void **state)
{
    struct oa_rng *rng = NULL;

    oa_mem_fail_after(1);
    assert_int_equal(oa_rng_new(&rng), -ENOMEM);
    oa_mem_fail_after(0);
    assert_null(rng);
    oa_rng_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_differ),     cmocka_unit_test(test_long_request),
        cmocka_unit_test(test_below_range),      cmocka_unit_test(test_below_uniform),
        cmocka_unit_test(test_mbedtls_callback), cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
