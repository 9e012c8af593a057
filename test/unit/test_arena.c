/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/arena.h: blocks are 8-byte aligned, do not overlap
 * and keep what was written into them while more are made (small ones,
 * many chunks' worth, and one larger than any chunk), a failed chunk
 * allocation gives NULL and leaves the arena usable, and freeing NULL is
 * fine. The sanitizer build checks that oa_arena_free gives back everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "mem.h"

static void blocks_are_aligned_and_keep_their_bytes(void **state)
{
    enum { N = 20000 };
    static unsigned char *blocks[N];
    struct oa_arena *a = oa_arena_new();

    assert_non_null(a);
    for (size_t i = 0; i < N; i++) {
        size_t size = 1 + i % 61;
        blocks[i] = oa_arena_alloc(a, size);
        assert_non_null(blocks[i]);
        assert_int_equal((uintptr_t)blocks[i] % 8, 0);
        memset(blocks[i], (int)(i & 0xff), size);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < 1 + i % 61; j++)
            assert_int_equal(blocks[i][j], i & 0xff);
    oa_arena_free(a);
}

static void a_block_larger_than_a_chunk(void **state)
{
    struct oa_arena *a = oa_arena_new();
    char *small = oa_arena_alloc(a, 16), *big = oa_arena_alloc(a, 1 << 20);
    char *after = oa_arena_alloc(a, 16);

    assert_non_null(small);
    assert_non_null(big);
    assert_non_null(after);
    memset(big, 'b', 1 << 20);
    memset(small, 's', 16);
    memset(after, 'a', 16);
    assert_int_equal(big[0], 'b');
    assert_int_equal(big[(1 << 20) - 1], 'b');
    assert_null(oa_arena_alloc(a, SIZE_MAX - 3));
    oa_arena_free(a);
}

static void out_of_memory(void **state)
{
    struct oa_arena *a;
    void *p;

    oa_mem_fail_after(1);
    assert_null(oa_arena_new());
    oa_mem_fail_after(0);
    a = oa_arena_new();
    assert_non_null(a);
    oa_mem_fail_after(1);
    assert_null(oa_arena_alloc(a, 8)); /* its first chunk */
    oa_mem_fail_after(0);
    p = oa_arena_alloc(a, 8);
    assert_non_null(p);
    oa_arena_free(a);
    oa_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_are_aligned_and_keep_their_bytes),
        cmocka_unit_test(a_block_larger_than_a_chunk),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
