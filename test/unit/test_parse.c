/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/parse.h: oa_parse_u64 (digits only, bounds),
 * oa_parse_duration_ms (units, blanks, bounds), oa_parse_bool (every
 * spelling, any case) and oa_format_duration. Table-driven; a failed parse
 * must leave *ret untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "parse.h"

#define UNTOUCHED 0xdeadbeefULL

struct u64_row {
    const char *text;
    uint64_t max;
    int want_r;
    uint64_t want;
};

static void run_u64_rows(const struct u64_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = UNTOUCHED;
        int r = oa_parse_u64(rows[i].text, rows[i].max, &v);

        if (r != rows[i].want_r)
            print_error("row %zu: \"%s\" max %llu\n", i, rows[i].text,
                        (unsigned long long)rows[i].max);
        assert_int_equal(r, rows[i].want_r);
        assert_int_equal(v, r == 0 ? rows[i].want : UNTOUCHED);
    }
}

static void test_u64_digits(void **state)
{
    static const struct u64_row rows[] = {
        {"0", UINT64_MAX, 0, 0},
        {"7", UINT64_MAX, 0, 7},
        {"1000", UINT64_MAX, 0, 1000},
        {"007", UINT64_MAX, 0, 7},
        {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
    };

    run_u64_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_u64_syntax(void **state)
{
    static const struct u64_row rows[] = {
        {"", UINT64_MAX, OA_ESYNTAX, 0},     {"+1", UINT64_MAX, OA_ESYNTAX, 0},
        {"-1", UINT64_MAX, OA_ESYNTAX, 0},   {" 1", UINT64_MAX, OA_ESYNTAX, 0},
        {"1 ", UINT64_MAX, OA_ESYNTAX, 0},   {"1a", UINT64_MAX, OA_ESYNTAX, 0},
        {"0x10", UINT64_MAX, OA_ESYNTAX, 0}, {"1.5", UINT64_MAX, OA_ESYNTAX, 0},
        {"1e3", UINT64_MAX, OA_ESYNTAX, 0},  {"abc", UINT64_MAX, OA_ESYNTAX, 0},
    };

    run_u64_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_u64_range(void **state)
{
    static const struct u64_row rows[] = {
        /* One past UINT64_MAX, and far past it. */
        {"18446744073709551616", UINT64_MAX, OA_ERANGE, 0},
        {"99999999999999999999999", UINT64_MAX, OA_ERANGE, 0},
        /* The max bound: at it passes, one more fails. */
        {"100", 100, 0, 100},
        {"101", 100, OA_ERANGE, 0},
        {"1000", 100, OA_ERANGE, 0},
        {"9223372036854775807", INT64_MAX, 0, INT64_MAX},
        {"9223372036854775808", INT64_MAX, OA_ERANGE, 0},
        /* A single digit above a small max. */
        {"3", 3, 0, 3},
        {"5", 3, OA_ERANGE, 0},
        {"9", 0, OA_ERANGE, 0},
        {"0", 0, 0, 0},
        {"19", 15, OA_ERANGE, 0},
        {"15", 15, 0, 15},
    };

    run_u64_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

struct dur_row {
    const char *text;
    uint64_t unit, max;
    int want_r;
    uint64_t want;
};

static void run_dur_rows(const struct dur_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = UNTOUCHED;
        int r = oa_parse_duration_ms(rows[i].text, rows[i].unit, rows[i].max, &v);

        if (r != rows[i].want_r)
            print_error("row %zu: \"%s\"\n", i, rows[i].text);
        assert_int_equal(r, rows[i].want_r);
        assert_int_equal(v, r == 0 ? rows[i].want : UNTOUCHED);
    }
}

static void test_duration_units(void **state)
{
    static const struct dur_row rows[] = {
        {"10", 1000, UINT64_MAX, 0, 10000}, /* bare number: default unit */
        {"10", 1, UINT64_MAX, 0, 10},          {"10", 60000, UINT64_MAX, 0, 600000},
        {"0", 1000, UINT64_MAX, 0, 0},         {"250ms", 1000, UINT64_MAX, 0, 250},
        {"10s", 1, UINT64_MAX, 0, 10000},      {"2min", 1000, UINT64_MAX, 0, 120000},
        {"3h", 1000, UINT64_MAX, 0, 10800000}, {"10 s", 1000, UINT64_MAX, 0, 10000},
        {"10  ms", 1000, UINT64_MAX, 0, 10},   {"5\tmin", 1000, UINT64_MAX, 0, 300000},
    };

    run_dur_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_duration_syntax(void **state)
{
    static const struct dur_row rows[] = {
        {"", 1000, UINT64_MAX, OA_ESYNTAX, 0},        {"s", 1000, UINT64_MAX, OA_ESYNTAX, 0},
        {"10x", 1000, UINT64_MAX, OA_ESYNTAX, 0},     {"10 sec", 1000, UINT64_MAX, OA_ESYNTAX, 0},
        {"10 m", 1000, UINT64_MAX, OA_ESYNTAX, 0},    {"10 s x", 1000, UINT64_MAX, OA_ESYNTAX, 0},
        {"-10s", 1000, UINT64_MAX, OA_ESYNTAX, 0},    {" 10s", 1000, UINT64_MAX, OA_ESYNTAX, 0},
        {"1.5s", 1000, UINT64_MAX, OA_ESYNTAX, 0},    {"10ss", 1000, UINT64_MAX, OA_ESYNTAX, 0},
        {"10 mins", 1000, UINT64_MAX, OA_ESYNTAX, 0},
    };

    run_dur_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_duration_overflow(void **state)
{
    static const struct dur_row rows[] = {
        {"3600s", 1000, 3600000, 0, 3600000}, /* exactly the max */
        {"1h", 1000, 3600000, 0, 3600000},
        {"3601s", 1000, 3600000, OA_ERANGE, 0},
        {"3600001ms", 1000, 3600000, OA_ERANGE, 0},
        {"3601", 1000, 3600000, OA_ERANGE, 0},
        {"61min", 1000, 3600000, OA_ERANGE, 0},
        /* The product would wrap around 64 bits. */
        {"5124095576030432h", 1000, UINT64_MAX, OA_ERANGE, 0},
        {"18446744073709551615s", 1000, UINT64_MAX, OA_ERANGE, 0},
        {"18446744073709551616", 1, UINT64_MAX, OA_ERANGE, 0},
        {"18446744073709551615ms", 1000, UINT64_MAX, 0, UINT64_MAX},
    };

    run_dur_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_bool(void **state)
{
    static const struct {
        const char *text;
        bool want;
    } ok[] = {
        {"true", true}, {"TRUE", true}, {"True", true}, {"yes", true},    {"Yes", true},
        {"on", true},   {"ON", true},   {"1", true},    {"false", false}, {"False", false},
        {"no", false},  {"NO", false},  {"off", false}, {"Off", false},   {"0", false},
    };
    static const char *const bad[] = {"", "2", "y", "n", "truee", " true", "true ", "01", "nope"};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        bool v = !ok[i].want;
        assert_int_equal(oa_parse_bool(ok[i].text, &v), 0);
        assert_int_equal(v, ok[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool v = true;
        assert_int_equal(oa_parse_bool(bad[i], &v), OA_ESYNTAX);
        assert_true(v);
    }
}

static void test_format_duration(void **state)
{
    static const struct {
        uint64_t ms;
        const char *want;
    } rows[] = {
        {0, "0 s"},
        {250, "250 ms"},
        {1500, "1500 ms"},
        {1000, "1 s"},
        {60000, "60 s"},
        {599000, "599 s"},
        {630000, "630 s"},
        {660000, "11 min"},
        {3600000, "60 min"},
        {86400000, "1440 min"},
        {UINT64_MAX, "18446744073709551615 ms"},
    };
    char buf[40];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_ptr_equal(oa_format_duration(rows[i].ms, buf, sizeof(buf)), buf);
        assert_string_equal(buf, rows[i].want);
    }
    /* A short buffer truncates but stays a string. */
    assert_string_equal(oa_format_duration(250, buf, 4), "250");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_digits),
        cmocka_unit_test(test_u64_syntax),
        cmocka_unit_test(test_u64_range),
        cmocka_unit_test(test_duration_units),
        cmocka_unit_test(test_duration_syntax),
        cmocka_unit_test(test_duration_overflow),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_format_duration),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
