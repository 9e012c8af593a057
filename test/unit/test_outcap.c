/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for agent/outcap.h, the head+tail cap on a state's output:
 * output within the limit is kept whole; longer output keeps the first
 * limit/2 and the last limit - limit/2 bytes around a marker that counts
 * the bytes cut. The result does not depend on how the output was split
 * into feeds, and memory stays bounded however much is fed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "outcap.h"

/* The byte at position i of the test output: varied, and not periodic
 * within any limit used here, so a misplaced byte shows. */
static char byte_at(uint64_t i)
{
    return (char)((i * 131 + (i >> 9) * 7 + (i >> 17)) & 0xff);
}

static char *make_input(size_t n)
{
    char *s = malloc(n ? n : 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = byte_at(i);
    return s;
}

static void marker_for(uint64_t cut, char *buf, size_t len)
{
    snprintf(buf, len, "\n[... %llu bytes of output cut ...]\n", (unsigned long long)cut);
}

/* What the cap must return for in (n bytes) under limit. */
static char *expected(const char *in, size_t n, size_t limit, size_t *ret_len)
{
    size_t head = limit / 2, tail = limit - head, mlen;
    char marker[80], *out;

    if (n <= limit) {
        out = malloc(n + 1);
        assert_non_null(out);
        memcpy(out, in, n);
        *ret_len = n;
        return out;
    }
    marker_for(n - limit, marker, sizeof(marker));
    mlen = strlen(marker);
    out = malloc(limit + mlen);
    assert_non_null(out);
    memcpy(out, in, head);
    memcpy(out + head, marker, mlen);
    memcpy(out + head + mlen, in + n - tail, tail);
    *ret_len = limit + mlen;
    return out;
}

/* Finishes c and compares with the expected result for in. */
static void check_result(struct oa_outcap *c, const char *in, size_t n, size_t limit)
{
    size_t len = 0, want_len;
    char *want = expected(in, n, limit, &want_len);
    char *got = oa_outcap_finish(c, &len);

    assert_non_null(got);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    assert_int_equal(got[len], '\0');
    oa_free(got);
    free(want);
}

static void feed_all(const char *in, size_t n, size_t limit)
{
    struct oa_outcap c;

    oa_outcap_init(&c, limit);
    oa_outcap_feed(&c, in, n);
    check_result(&c, in, n, limit);
}

static void feed_bytewise(const char *in, size_t n, size_t limit)
{
    struct oa_outcap c;

    oa_outcap_init(&c, limit);
    for (size_t i = 0; i < n; i++)
        oa_outcap_feed(&c, in + i, 1);
    check_result(&c, in, n, limit);
}

static uint32_t next_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Feeds in chunks of random size, up to 3 * limit (including empty ones). */
static void feed_random(const char *in, size_t n, size_t limit, uint32_t seed)
{
    struct oa_outcap c;
    size_t i = 0;

    oa_outcap_init(&c, limit);
    while (i < n) {
        size_t k = next_rand(&seed) % (3 * limit + 2);
        if (k > n - i)
            k = n - i;
        oa_outcap_feed(&c, in + i, k);
        i += k;
    }
    check_result(&c, in, n, limit);
}

static void test_under_limit(void **state)
{
    char *in = make_input(100);
    struct oa_outcap c;
    size_t len;
    char *got;

    feed_all(in, 5, 100);
    feed_all(in, 99, 100);
    feed_all(in, 100, 100); /* exactly the limit: no marker */
    /* Nothing fed at all. */
    oa_outcap_init(&c, 100);
    got = oa_outcap_finish(&c, &len);
    assert_non_null(got);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    oa_free(got);
    free(in);
}

static void test_over_limit(void **state)
{
    char *in = make_input(1000);
    struct oa_outcap c;
    char marker[80];
    size_t len;
    char *got;

    feed_all(in, 101, 100);
    feed_all(in, 1000, 100);
    feed_all(in, 1000, 101); /* odd limit: head 50, tail 51 */
    feed_all(in, 1000, 1);   /* no head, a tail of one byte */
    /* Spelled out once: head, marker with the count, tail. */
    oa_outcap_init(&c, 10);
    oa_outcap_feed(&c, "0123456789abcdefghij", 20);
    got = oa_outcap_finish(&c, &len);
    marker_for(10, marker, sizeof(marker));
    assert_string_equal(marker, "\n[... 10 bytes of output cut ...]\n");
    assert_int_equal(len, 10 + strlen(marker));
    assert_memory_equal(got, "01234", 5);
    assert_memory_equal(got + 5, marker, strlen(marker));
    assert_string_equal(got + 5 + strlen(marker), "fghij");
    oa_free(got);
    free(in);
}

static void test_zero_limit(void **state)
{
    struct oa_outcap c;
    size_t len;
    char *got;

    oa_outcap_init(&c, 0);
    oa_outcap_feed(&c, "abc", 3);
    got = oa_outcap_finish(&c, &len);
    assert_non_null(got);
    assert_string_equal(got, "\n[... 3 bytes of output cut ...]\n");
    assert_int_equal(len, strlen(got));
    oa_free(got);
}

static void test_split_independent(void **state)
{
    static const size_t limits[] = {1, 2, 7, 64, 100, 1000};
    static const size_t sizes[] = {0, 1, 50, 99, 100, 101, 199, 200, 201, 999, 5000};
    char *in = make_input(5000);

    for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            feed_all(in, sizes[s], limits[l]);
            feed_bytewise(in, sizes[s], limits[l]);
            for (uint32_t seed = 1; seed <= 5; seed++)
                feed_random(in, sizes[s], limits[l], seed);
        }
    }
    free(in);
}

/* Fills chunk with the test output from position pos on. */
static void fill_chunk(char *chunk, size_t n, uint64_t pos)
{
    for (size_t i = 0; i < n; i++)
        chunk[i] = byte_at(pos + i);
}

static void test_huge_feed(void **state)
{
    const size_t limit = 1 << 20, chunk_size = (size_t)64 * 1024;
    const uint64_t total = 50ull * 1024 * 1024;
    char *chunk = malloc(chunk_size), marker[80], *got;
    struct oa_outcap c;
    size_t len, mlen;

    assert_non_null(chunk);
    oa_outcap_init(&c, limit);
    for (uint64_t pos = 0; pos < total; pos += chunk_size) {
        fill_chunk(chunk, chunk_size, pos);
        oa_outcap_feed(&c, chunk, chunk_size);
        /* Memory never grows past the limit. */
        assert_true(c.head_alloc <= c.head_max);
        assert_true(c.head_len + c.tail_len <= limit);
    }
    assert_int_equal(c.total, total);
    got = oa_outcap_finish(&c, &len);
    assert_non_null(got);
    marker_for(total - limit, marker, sizeof(marker));
    mlen = strlen(marker);
    assert_int_equal(len, limit + mlen);
    for (size_t i = 0; i < limit / 2; i++)
        assert_int_equal(got[i], byte_at(i));
    assert_memory_equal(got + limit / 2, marker, mlen);
    for (size_t i = 0; i < limit - limit / 2; i++)
        assert_int_equal(got[limit / 2 + mlen + i], byte_at(total - (limit - limit / 2) + i));
    oa_free(got);
    free(chunk);
}

static void test_done_without_finish(void **state)
{
    char *in = make_input(300);
    struct oa_outcap c;

    oa_outcap_init(&c, 100);
    oa_outcap_feed(&c, in, 300);
    oa_outcap_done(&c);
    oa_outcap_done(&c); /* twice is harmless */
    free(in);
}

static void test_alloc_failure(void **state)
{
    struct oa_outcap c;
    size_t len = 7;

    oa_outcap_init(&c, 100);
    oa_mem_fail_after(1);
    oa_outcap_feed(&c, "abc", 3);
    oa_mem_fail_after(0);
    assert_int_equal(c.err, -ENOMEM);
    oa_outcap_feed(&c, "def", 3);
    assert_int_equal(c.total, 6);
    assert_null(oa_outcap_finish(&c, &len));
    oa_outcap_done(&c);

    /* The tail ring's allocation fails once the head is full. */
    oa_outcap_init(&c, 10);
    oa_outcap_feed(&c, "01234", 5);
    oa_mem_fail_after(1);
    oa_outcap_feed(&c, "56789", 5);
    oa_mem_fail_after(0);
    assert_int_equal(c.err, -ENOMEM);
    assert_null(oa_outcap_finish(&c, NULL));
    oa_outcap_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_limit),   cmocka_unit_test(test_over_limit),
        cmocka_unit_test(test_zero_limit),    cmocka_unit_test(test_split_independent),
        cmocka_unit_test(test_huge_feed),     cmocka_unit_test(test_done_without_finish),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
