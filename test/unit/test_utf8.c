/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/utf8.h: valid 1- to 4-byte sequences and the edges
 * of each range; overlong forms, surrogates, code points past U+10FFFF,
 * stray continuation bytes and truncated sequences are invalid;
 * oa_utf8_sanitize replaces each invalid byte with U+FFFD and yields valid
 * text; oa_utf8_prefix never cuts a sequence.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "utf8.h"

#define FFFD "\xef\xbf\xbd"

struct seq_row {
    const char *bytes;
    size_t n;        /* bytes available */
    size_t want_len; /* 0: invalid */
};

static void run_seq_rows(const struct seq_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const unsigned char *s = (const unsigned char *)rows[i].bytes;
        size_t got = oa_utf8_seq_len(s, rows[i].n);

        if (got != rows[i].want_len)
            print_error("row %zu: got %zu\n", i, got);
        assert_int_equal(got, rows[i].want_len);
        assert_int_equal(oa_utf8_valid(rows[i].bytes, rows[i].n), rows[i].want_len == rows[i].n);
    }
}

static void test_valid_sequences(void **state)
{
    static const struct seq_row rows[] = {
        {"a", 1, 1},
        {"\x7f", 1, 1},
        {"\xc2\x80", 2, 2},         /* U+0080 */
        {"\xc3\xa9", 2, 2},         /* é */
        {"\xdf\xbf", 2, 2},         /* U+07FF */
        {"\xe0\xa0\x80", 3, 3},     /* U+0800 */
        {"\xe2\x82\xac", 3, 3},     /* € */
        {"\xed\x9f\xbf", 3, 3},     /* U+D7FF, just below the surrogates */
        {"\xee\x80\x80", 3, 3},     /* U+E000, just above them */
        {"\xef\xbf\xbf", 3, 3},     /* U+FFFF */
        {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
        {"\xf0\x9f\x98\x80", 4, 4}, /* 😀 */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
    };

    run_seq_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_invalid_sequences(void **state)
{
    static const struct seq_row rows[] = {
        /* Overlong forms. */
        {"\xc0\x80", 2, 0},
        {"\xc1\xbf", 2, 0},
        {"\xe0\x80\x80", 3, 0},
        {"\xe0\x9f\xbf", 3, 0},
        {"\xf0\x80\x80\x80", 4, 0},
        {"\xf0\x8f\xbf\xbf", 4, 0},
        /* UTF-16 surrogates. */
        {"\xed\xa0\x80", 3, 0},
        {"\xed\xbf\xbf", 3, 0},
        /* Past U+10FFFF. */
        {"\xf4\x90\x80\x80", 4, 0},
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xf7\xbf\xbf\xbf", 4, 0},
        {"\xf8\x88\x80\x80\x80", 5, 0},
        {"\xfe", 1, 0},
        {"\xff", 1, 0},
        /* A continuation byte on its own. */
        {"\x80", 1, 0},
        {"\xbf", 1, 0},
        /* A lead byte followed by something that is not a continuation. */
        {"\xc3\x28", 2, 0},
        {"\xe2\x28\xa1", 3, 0},
        {"\xe2\x82\x28", 3, 0},
        {"\xf0\x9f\x28\x80", 4, 0},
        {"\xf0\x9f\x98\xc0", 4, 0},
    };

    run_seq_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_truncated_sequences(void **state)
{
    /* The bytes exist in memory but lie past n. */
    static const struct seq_row rows[] = {
        {"\xc3\xa9", 1, 0},         {"\xe2\x82\xac", 1, 0},     {"\xe2\x82\xac", 2, 0},
        {"\xf0\x9f\x98\x80", 1, 0}, {"\xf0\x9f\x98\x80", 2, 0}, {"\xf0\x9f\x98\x80", 3, 0},
    };

    run_seq_rows(rows, sizeof(rows) / sizeof(rows[0]));
    assert_false(oa_utf8_valid("abc\xe2\x82", 5));
}

static void test_valid_strings(void **state)
{
    static const char mixed[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";

    assert_true(oa_utf8_valid("", 0));
    assert_true(oa_utf8_valid("plain ascii", 11));
    assert_true(oa_utf8_valid("nul\0inside", 10));
    assert_true(oa_utf8_valid(mixed, sizeof(mixed) - 1));
    assert_false(oa_utf8_valid("ok\xffok", 5));
}

/* Sanitizes in (n bytes) and checks the result against want. */
static void check_sanitize(const char *in, size_t n, const char *want)
{
    size_t len = 12345;
    char *out = oa_utf8_sanitize(in, n, &len);

    assert_non_null(out);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len + 1);
    assert_true(oa_utf8_valid(out, len));
    oa_free(out);
}

static void test_sanitize(void **state)
{
    check_sanitize("", 0, "");
    check_sanitize("valid \xc3\xa9 text", 13, "valid \xc3\xa9 text");
    check_sanitize("a\xff"
                   "b",
                   3, "a" FFFD "b");
    /* Each invalid byte becomes one U+FFFD. */
    check_sanitize("\xc0\x80", 2, FFFD FFFD);
    check_sanitize("\xed\xa0\x80", 3, FFFD FFFD FFFD);
    check_sanitize("x\xe2\x82", 3, "x" FFFD FFFD);
    check_sanitize("\xe2\x82"
                   "\xe2\x82\xac",
                   5, FFFD FFFD "\xe2\x82\xac");
    check_sanitize("\xf4\x90\x80\x80!", 5, FFFD FFFD FFFD FFFD "!");
    /* A valid sequence right after an invalid byte survives. */
    check_sanitize("\x80\xf0\x9f\x98\x80", 5, FFFD "\xf0\x9f\x98\x80");
}

static void test_sanitize_nul_and_null_len(void **state)
{
    char *out = oa_utf8_sanitize("a\0\xff", 3, NULL);

    assert_non_null(out);
    assert_memory_equal(out, "a\0" FFFD, 6);
    oa_free(out);
}

/* Small fixed-seed generator so every run sees the same bytes. */
static uint32_t next_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void test_sanitize_random(void **state)
{
    uint32_t seed = 42;
    unsigned char in[64];

    for (int round = 0; round < 2000; round++) {
        size_t n = next_rand(&seed) % sizeof(in), len, again_len;
        char *out, *again;

        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)next_rand(&seed);
        out = oa_utf8_sanitize((const char *)in, n, &len);
        assert_non_null(out);
        assert_true(oa_utf8_valid(out, len));
        if (oa_utf8_valid((const char *)in, n)) {
            assert_int_equal(len, n);
            assert_memory_equal(out, in, n);
        }
        /* Sanitized text is left alone. */
        again = oa_utf8_sanitize(out, len, &again_len);
        assert_non_null(again);
        assert_int_equal(again_len, len);
        assert_memory_equal(again, out, len);
        oa_free(again);
        oa_free(out);
    }
}

static void test_sanitize_alloc_failure(void **state)
{
    oa_mem_fail_after(1);
    assert_null(oa_utf8_sanitize("abc", 3, NULL));
    oa_mem_fail_after(0);
}

static void test_prefix(void **state)
{
    /* 1 + 2 + 3 + 4 bytes. */
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    static const size_t want[] = {0, 1, 3, 6, 10, 10};

    for (size_t chars = 0; chars < sizeof(want) / sizeof(want[0]); chars++)
        assert_int_equal(oa_utf8_prefix(s, 10, chars), want[chars]);
    assert_int_equal(oa_utf8_prefix("", 0, 5), 0);
    /* An invalid byte counts as one character. */
    assert_int_equal(oa_utf8_prefix("\xff\xc3\xa9", 3, 1), 1);
    assert_int_equal(oa_utf8_prefix("\xff\xc3\xa9", 3, 2), 3);
    /* A truncated sequence at the end is not read past n. */
    assert_int_equal(oa_utf8_prefix("ab\xe2\x82\xac", 4, 3), 3);
    assert_int_equal(oa_utf8_prefix("ab\xe2\x82\xac", 4, 10), 4);
}

static void test_prefix_never_cuts(void **state)
{
    /* Valid text made of random 1- to 4-byte characters. */
    static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    uint32_t seed = 7;
    char text[512];
    size_t n = 0, count = 0;

    while (n + 4 < sizeof(text)) {
        const char *c = chars[next_rand(&seed) % 4];
        memcpy(text + n, c, strlen(c));
        n += strlen(c);
        count++;
    }
    assert_true(oa_utf8_valid(text, n));
    for (size_t max = 0; max <= count + 1; max++) {
        size_t p = oa_utf8_prefix(text, n, max);
        assert_true(p <= n);
        assert_true(oa_utf8_valid(text, p));
        assert_true(oa_utf8_valid(text + p, n - p));
        if (max >= count)
            assert_int_equal(p, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_truncated_sequences),
        cmocka_unit_test(test_valid_strings),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_nul_and_null_len),
        cmocka_unit_test(test_sanitize_random),
        cmocka_unit_test(test_sanitize_alloc_failure),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_prefix_never_cuts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
