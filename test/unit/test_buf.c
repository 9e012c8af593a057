/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/buf.h, the growable buffer with a cap fixed at
 * creation: appends within, at and over the cap (over the cap changes
 * nothing), printf of short and long text, steal, NUL termination, reset,
 * a SIZE_MAX cap and failing allocations.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "mem.h"

/* The buffer holds exactly want (len bytes) followed by a NUL. */
static void assert_contents(const struct oa_buf *b, const char *want, size_t len)
{
    assert_int_equal(b->len, len);
    assert_non_null(b->data);
    assert_memory_equal(b->data, want, len);
    assert_int_equal(b->data[len], '\0');
    assert_true(b->alloc > len);
}

static void test_append_within_cap(void **state)
{
    struct oa_buf b;

    oa_buf_init(&b, 10);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(oa_buf_append(&b, "abc", 3), 0);
    assert_contents(&b, "abc", 3);
    assert_int_equal(oa_buf_puts(&b, "de"), 0);
    assert_contents(&b, "abcde", 5);
    assert_int_equal(oa_buf_append(&b, "", 0), 0);
    assert_contents(&b, "abcde", 5);
    oa_buf_done(&b);
    assert_null(b.data);
    assert_int_equal(b.max, 10);
}

static void test_append_exactly_at_cap(void **state)
{
    struct oa_buf b;

    oa_buf_init(&b, 10);
    assert_int_equal(oa_buf_append(&b, "0123", 4), 0);
    assert_int_equal(oa_buf_append(&b, "456789", 6), 0);
    assert_contents(&b, "0123456789", 10);
    /* Never more memory than the cap and its NUL. */
    assert_true(b.alloc <= 11);
    /* Appending nothing at the cap is fine. */
    assert_int_equal(oa_buf_append(&b, "", 0), 0);
    oa_buf_done(&b);
}

static void test_append_over_cap(void **state)
{
    struct oa_buf b;

    oa_buf_init(&b, 10);
    assert_int_equal(oa_buf_append(&b, "hello", 5), 0);
    assert_int_equal(oa_buf_append(&b, "world!", 6), OA_ETOOBIG);
    assert_contents(&b, "hello", 5);
    assert_int_equal(oa_buf_puts(&b, "0123456789"), OA_ETOOBIG);
    assert_contents(&b, "hello", 5);
    assert_int_equal(oa_buf_printf(&b, "%s", "123456"), OA_ETOOBIG);
    assert_contents(&b, "hello", 5);
    oa_buf_done(&b);

    /* Over the cap on an empty buffer allocates nothing. */
    oa_buf_init(&b, 3);
    assert_int_equal(oa_buf_append(&b, "abcd", 4), OA_ETOOBIG);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    oa_buf_done(&b);
}

static void test_reserve(void **state)
{
    struct oa_buf b;
    char *data;

    oa_buf_init(&b, 100);
    assert_int_equal(oa_buf_append(&b, "ab", 2), 0);
    /* Room for exactly what is announced, within the cap... */
    assert_int_equal(oa_buf_reserve(&b, 98), 0);
    assert_true(b.alloc >= 101);
    data = b.data;
    for (int i = 0; i < 98; i++)
        assert_int_equal(oa_buf_append(&b, "x", 1), 0);
    assert_ptr_equal(b.data, data); /* no reallocation while it arrives */
    assert_int_equal(b.len, 100);
    /* ...and nothing past it. */
    assert_int_equal(oa_buf_reserve(&b, 1), OA_ETOOBIG);
    assert_int_equal(oa_buf_reserve(&b, 0), 0);
    oa_buf_done(&b);
}

static void test_zero_cap(void **state)
{
    struct oa_buf b;

    oa_buf_init(&b, 0);
    assert_int_equal(oa_buf_append(&b, "x", 1), OA_ETOOBIG);
    assert_int_equal(oa_buf_append(&b, "", 0), 0);
    assert_contents(&b, "", 0);
    oa_buf_done(&b);
}

static void test_printf_short(void **state)
{
    struct oa_buf b;

    oa_buf_init(&b, 100);
    assert_int_equal(oa_buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_int_equal(oa_buf_printf(&b, "[%5.1f]", 2.25), 0);
    assert_contents(&b, "42-x[  2.2]", 11);
    oa_buf_done(&b);
}

/* Text of n bytes, cycling through the alphabet. Caller frees. */
static char *make_text(size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + i % 26);
    s[n] = '\0';
    return s;
}

static void test_printf_long(void **state)
{
    char *text = make_text(1000);
    struct oa_buf b;

    oa_buf_init(&b, 2000);
    assert_int_equal(oa_buf_puts(&b, "<"), 0);
    assert_int_equal(oa_buf_printf(&b, "%s>", text), 0);
    assert_int_equal(b.len, 1002);
    assert_int_equal(b.data[0], '<');
    assert_memory_equal(b.data + 1, text, 1000);
    assert_int_equal(b.data[1001], '>');
    assert_int_equal(b.data[1002], '\0');
    /* Exactly 256 bytes: one more than the stack buffer can take. */
    oa_buf_reset(&b);
    assert_int_equal(oa_buf_printf(&b, "%.256s", text), 0);
    assert_contents(&b, text, 256);
    /* Long text over the cap: nothing changes. */
    assert_int_equal(oa_buf_printf(&b, "%s%s", text, text), OA_ETOOBIG);
    assert_contents(&b, text, 256);
    oa_buf_done(&b);
    free(text);
}

static void test_printf_long_exactly_at_cap(void **state)
{
    char *text = make_text(300);
    struct oa_buf b;

    oa_buf_init(&b, 300);
    assert_int_equal(oa_buf_printf(&b, "%s", text), 0);
    assert_contents(&b, text, 300);
    assert_int_equal(oa_buf_printf(&b, "%s", "x"), OA_ETOOBIG);
    oa_buf_done(&b);
    free(text);
}

static void test_steal(void **state)
{
    struct oa_buf b;
    size_t len = 99;
    char *s;

    oa_buf_init(&b, 50);
    assert_int_equal(oa_buf_puts(&b, "stolen"), 0);
    s = oa_buf_steal(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 6);
    assert_string_equal(s, "stolen");
    /* The buffer is empty again and keeps its cap. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 50);
    oa_free(s);

    /* Stealing an empty buffer gives "" rather than NULL. */
    s = oa_buf_steal(&b, NULL);
    assert_non_null(s);
    assert_string_equal(s, "");
    oa_free(s);
    oa_buf_done(&b);
}

static void test_reset(void **state)
{
    struct oa_buf b;
    size_t alloc;

    oa_buf_init(&b, 100);
    oa_buf_reset(&b); /* on a buffer that never allocated */
    assert_null(b.data);
    assert_int_equal(oa_buf_puts(&b, "first contents"), 0);
    alloc = b.alloc;
    oa_buf_reset(&b);
    assert_contents(&b, "", 0);
    assert_int_equal(b.alloc, alloc);
    assert_int_equal(oa_buf_puts(&b, "second"), 0);
    assert_contents(&b, "second", 6);
    oa_buf_done(&b);
}

static void test_size_max_cap(void **state)
{
    char *text = make_text(100000);
    struct oa_buf b;

    oa_buf_init(&b, SIZE_MAX);
    for (int i = 0; i < 10; i++)
        assert_int_equal(oa_buf_append(&b, text + (size_t)i * 10000, 10000), 0);
    assert_contents(&b, text, 100000);
    assert_int_equal(oa_buf_printf(&b, "%s", text), 0);
    assert_int_equal(b.len, 200000);
    assert_memory_equal(b.data + 100000, text, 100000);
    assert_int_equal(b.data[200000], '\0');
    oa_buf_done(&b);
    free(text);
}

static void test_alloc_failure(void **state)
{
    char *text = make_text(500);
    struct oa_buf b;

    oa_buf_init(&b, 1000);
    assert_int_equal(oa_buf_puts(&b, "kept"), 0);
    oa_mem_fail_after(1);
    assert_int_equal(oa_buf_append(&b, text, 500), -ENOMEM);
    assert_int_equal(oa_buf_printf(&b, "%s", text), -ENOMEM);
    oa_mem_fail_after(0);
    assert_contents(&b, "kept", 4);
    oa_buf_done(&b);

    oa_mem_fail_after(1);
    assert_null(oa_buf_steal(&b, NULL));
    oa_mem_fail_after(0);
    oa_buf_done(&b);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_within_cap),
        cmocka_unit_test(test_append_exactly_at_cap),
        cmocka_unit_test(test_append_over_cap),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_zero_cap),
        cmocka_unit_test(test_printf_short),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_printf_long_exactly_at_cap),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_size_max_cap),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
