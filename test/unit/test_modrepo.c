/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for builtins/modrepo.h, the pure parts of the module
 * repository: version comparison (numeric components, missing ones as 0,
 * suffixes as text, numbers beyond 64 bits), the compat.txt check (every
 * operator met and unmet, optional blanks, comments and blank lines,
 * malformed lines with their number) and the lookup of external module
 * executables in a scratch directory. Table-driven; a failing row is named.
 * The git side is tested through `opsagent exec-prepare`
 * (test/integration/once/021-exec-prepare.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "modrepo.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct cmp_row {
    const char *a, *b;
    int want; /* -1, 0 or 1 */
};

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void test_version_cmp(void **state)
{
    static const struct cmp_row rows[] = {
        {"1.10", "1.9", 1},
        {"1.2", "1.2.0", 0},
        {"1.2.0.0", "1.2", 0},
        {"0.1.0", "2.0", -1},
        {"2", "10", -1},
        {"2.0", "10.0", -1},
        {"01.002", "1.2", 0},
        {"1.0.0", "1", 0},
        {"0", "", 0},
        {"", "0.0.1", -1},
        {"1.2.3", "1.2.4", -1},
        {"1.3", "1.2.99", 1},
        /* Beyond 64 bits: compared as digit strings, no overflow. */
        {"99999999999999999999999", "99999999999999999999998", 1},
        {"1.100000000000000000000", "1.99999999999999999999", 1},
        /* Suffixes compare as text after the numbers. */
        {"1.2-rc1", "1.2", 1},
        {"1.2-rc1", "1.2-rc2", -1},
        {"1.2.0-rc1", "1.2-rc1", 0},
        {"1.2.1-rc1", "1.2-rc9", 1},
        {"1.0a", "1.0b", -1},
        {"1.2.x", "1.2", 1},
        {"1..2", "1", 1},
        {"abc", "1", -1},
        {"abc", "abd", -1},
        {"v1.2", "v1.2", 0},
    };

    for (size_t i = 0; i < N(rows); i++) {
        int got = sign(oa_modrepo_version_cmp(rows[i].a, rows[i].b));
        int back = sign(oa_modrepo_version_cmp(rows[i].b, rows[i].a));
        if (got != rows[i].want || back != -rows[i].want)
            fail_msg("row %zu: cmp(\"%s\", \"%s\") = %d, reversed %d; expected %d", i, rows[i].a,
                     rows[i].b, got, back, rows[i].want);
    }
}

struct compat_row {
    const char *text;
    const char *agent; /* the agent's version */
    int want_r;
    const char *want_why; /* exact text for a failure */
};

static void run_compat_rows(const struct compat_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[512] = "";
        int r = oa_modrepo_compat_check(rows[i].text, rows[i].agent, why, sizeof(why));
        if (r != rows[i].want_r)
            fail_msg("row %zu (\"%s\" for %s): returned %d (%s), expected %d", i, rows[i].text,
                     rows[i].agent, r, why, rows[i].want_r);
        if (rows[i].want_why && strcmp(why, rows[i].want_why) != 0)
            fail_msg("row %zu (\"%s\"): why \"%s\", expected \"%s\"", i, rows[i].text, why,
                     rows[i].want_why);
        /* why may be NULL. */
        assert_int_equal(oa_modrepo_compat_check(rows[i].text, rows[i].agent, NULL, 0), r);
    }
}

#define UNMET(op, v, agent)                                                                        \
    "the module repository needs agent version " op " " v " (this agent is " agent ")"

static void test_compat_operators(void **state)
{
    static const struct compat_row rows[] = {
        {">= 0.1", "0.1.0", 0, NULL},
        {">= 0.2", "0.1.0", OA_ESCHEMA, UNMET(">=", "0.2", "0.1.0")},
        {"> 0.0.9", "0.1.0", 0, NULL},
        {"> 0.1", "0.1.0", OA_ESCHEMA, UNMET(">", "0.1", "0.1.0")},
        {"< 1.0", "0.1.0", 0, NULL},
        {"< 0.1", "0.1.0", OA_ESCHEMA, UNMET("<", "0.1", "0.1.0")},
        {"<= 0.1", "0.1.0", 0, NULL},
        {"<= 0.0.9", "0.1.0", OA_ESCHEMA, UNMET("<=", "0.0.9", "0.1.0")},
        {"== 0.1", "0.1.0", 0, NULL},
        {"== 0.1.1", "0.1.0", OA_ESCHEMA, UNMET("==", "0.1.1", "0.1.0")},
        {"!= 0.2", "0.1.0", 0, NULL},
        {"!= 0.1", "0.1.0", OA_ESCHEMA, UNMET("!=", "0.1", "0.1.0")},
        {">= 2.0", "0.1.0", OA_ESCHEMA, UNMET(">=", "2.0", "0.1.0")},
        /* Numeric, not textual: 1.10 is after 1.9. */
        {">= 1.9", "1.10", 0, NULL},
        {"< 1.9", "1.10", OA_ESCHEMA, UNMET("<", "1.9", "1.10")},
        {"> 1.9.9", "1.10.0", 0, NULL},
        /* A suffix compares as text after the numbers. */
        {">= 1.2.0-rc1", "1.2.0", OA_ESCHEMA, UNMET(">=", "1.2.0-rc1", "1.2.0")},
        {">= 1.2.0", "1.2.0-rc1", 0, NULL},
        {"== 1.2+build.7", "1.2.0+build.7", 0, NULL},
    };

    run_compat_rows(rows, N(rows));
}

static void test_compat_layout(void **state)
{
    static const struct compat_row rows[] = {
        {"", "0.1.0", 0, NULL},
        {"\n\n", "0.1.0", 0, NULL},
        {"# only a comment", "0.1.0", 0, NULL},
        /* Blanks around the operator are optional. */
        {">=0.1", "0.1.0", 0, NULL},
        {"  >=\t0.1  ", "0.1.0", 0, NULL},
        {"\t!=0.2\t", "0.1.0", 0, NULL},
        /* Windows line ends. */
        {">= 0.1\r\n< 1\r\n", "0.1.0", 0, NULL},
        /* Every constraint must hold; the first unmet one is named. */
        {">= 0.1\n< 2.0\n", "0.1.0", 0, NULL},
        {">= 0.1\n< 0.1.0\n>= 9\n", "0.1.0", OA_ESCHEMA, UNMET("<", "0.1.0", "0.1.0")},
        /* Comments (even indented ones) and blank lines are skipped. */
        {"# needs the new fd-3 protocol\n\n   \n  # >= 9\n>= 0.1\n", "0.1.0", 0, NULL},
        /* No newline at the end. */
        {"# a\n>= 3", "0.1.0", OA_ESCHEMA, UNMET(">=", "3", "0.1.0")},
    };

    run_compat_rows(rows, N(rows));
}

#define MALFORMED(line, text)                                                                      \
    "compat.txt line " #line " is malformed: '" text "' (expected OP VERSION, OP one of > >= < "   \
    "<= == !=)"

static void test_compat_malformed(void **state)
{
    static const struct compat_row rows[] = {
        {"0.1", "0.1.0", OA_ESYNTAX, MALFORMED(1, "0.1")},
        {"=> 0.1", "0.1.0", OA_ESYNTAX, MALFORMED(1, "=> 0.1")},
        {"= 0.1", "0.1.0", OA_ESYNTAX, MALFORMED(1, "= 0.1")},
        {"! 0.1", "0.1.0", OA_ESYNTAX, MALFORMED(1, "! 0.1")},
        {"=< 0.1", "0.1.0", OA_ESYNTAX, MALFORMED(1, "=< 0.1")},
        {">=", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">=")},
        {">=   ", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">=   ")},
        {">= abc", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= abc")},
        {">= v1.0", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= v1.0")},
        {">= 1.0 2.0", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= 1.0 2.0")},
        {">= 1.0 # inline", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= 1.0 # inline")},
        {">= 1.0$", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= 1.0$")},
        {">= >= 1.0", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= >= 1.0")},
        {"agent >= 1.0", "0.1.0", OA_ESYNTAX, MALFORMED(1, "agent >= 1.0")},
        /* The line number counts comments and blank lines. */
        {"# c\n\n>= 0.1\nfoo\n", "0.1.0", OA_ESYNTAX, MALFORMED(4, "foo")},
        /* Control characters are shown as '?'. */
        {">= 1\x01", "0.1.0", OA_ESYNTAX, MALFORMED(1, ">= 1?")},
        /* Lines run in order: an unmet constraint before a bad line wins. */
        {">= 9\nfoo", "0.1.0", OA_ESCHEMA, UNMET(">=", "9", "0.1.0")},
    };

    run_compat_rows(rows, N(rows));
}

static void test_compat_long_line(void **state)
{
    char text[300], want[100], why[512];

    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(oa_modrepo_compat_check(text, "0.1.0", why, sizeof(why)), OA_ESYNTAX);
    /* The quote is cut at 80 characters and says so. */
    want[0] = '\'';
    memset(want + 1, 'x', 80);
    memcpy(want + 81, "...'", 5);
    if (!strstr(why, want))
        fail_msg("why \"%s\" does not quote %s", why, want);
    /* A version of 64 characters is fine, 65 is not. */
    snprintf(text, sizeof(text), ">= 1.%062d", 0);
    assert_int_equal(oa_modrepo_compat_check(text, "1", why, sizeof(why)), 0);
    snprintf(text, sizeof(text), ">= 1.%063d", 0);
    assert_int_equal(oa_modrepo_compat_check(text, "1", why, sizeof(why)), OA_ESYNTAX);
    /* A small why buffer stays a string. */
    assert_int_equal(oa_modrepo_compat_check(">= 9", "0.1.0", why, 10), OA_ESCHEMA);
    assert_string_equal(why, "the modul");
}

/* A scratch directory with a few files, removed by the teardown. */
struct scratch {
    char a[64], b[64];
};

static void make_file(const char *dir, const char *name, mode_t mode)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static int scratch_setup(void **state)
{
    struct scratch *s = calloc(1, sizeof(*s));

    if (!s)
        return -1;
    snprintf(s->a, sizeof(s->a), "/tmp/oa-modrepo-a.XXXXXX");
    snprintf(s->b, sizeof(s->b), "/tmp/oa-modrepo-b.XXXXXX");
    if (!mkdtemp(s->a) || !mkdtemp(s->b)) {
        free(s);
        return -1;
    }
    make_file(s->a, "linux.nginx.site", 0755);
    make_file(s->a, "linux.noexec", 0644);
    make_file(s->a, ".hidden", 0755);
    make_file(s->b, "linux.nginx.site", 0755);
    make_file(s->b, "only.second", 0700);
    make_file(s->b, "linux.noexec", 0755);
    *state = s;
    return 0;
}

static int scratch_teardown(void **state)
{
    struct scratch *s = *state;
    const char *names[] = {"linux.nginx.site", "linux.noexec", ".hidden", "only.second", "adir"};
    char path[256];

    for (size_t i = 0; i < N(names); i++) {
        snprintf(path, sizeof(path), "%s/%s", s->a, names[i]);
        (void)remove(path);
        snprintf(path, sizeof(path), "%s/%s", s->b, names[i]);
        (void)remove(path);
    }
    (void)rmdir(s->a);
    (void)rmdir(s->b);
    free(s);
    return 0;
}

static void expect_found(const char *dirs[], size_t n, const char *module, const char *dir)
{
    char buf[256], want[256];
    const char *got = oa_modrepo_find_module(dirs, n, module, buf, sizeof(buf));

    snprintf(want, sizeof(want), "%s/%s", dir, module);
    if (!got)
        fail_msg("%s: not found, expected %s", module, want);
    assert_ptr_equal(got, buf);
    assert_string_equal(got, want);
}

static void expect_none(const char *dirs[], size_t n, const char *module)
{
    char buf[256];
    const char *got = oa_modrepo_find_module(dirs, n, module, buf, sizeof(buf));

    if (got)
        fail_msg("%s: found %s, expected nothing", module, got);
}

static void test_find_module(void **state)
{
    struct scratch *s = *state;
    const char *both[] = {s->a, s->b};
    const char *gaps[] = {NULL, "", s->b};
    char adir[256], buf[16];

    /* The first directory wins. */
    expect_found(both, 2, "linux.nginx.site", s->a);
    expect_found(both, 2, "only.second", s->b);
    /* Not executable in the first: the executable one in the second. */
    expect_found(both, 2, "linux.noexec", s->b);
    expect_none(both, 1, "linux.noexec");
    /* NULL and empty directories are skipped. */
    expect_found(gaps, 3, "linux.nginx.site", s->b);
    /* Missing, or no directories at all. */
    expect_none(both, 2, "linux.missing");
    expect_none(both, 0, "linux.nginx.site");
    /* A directory is not a module, even with its x bits. */
    snprintf(adir, sizeof(adir), "%s/adir", s->a);
    assert_int_equal(mkdir(adir, 0755), 0);
    expect_none(both, 1, "adir");
    /* The path does not fit. */
    assert_null(oa_modrepo_find_module(both, 2, "linux.nginx.site", buf, sizeof(buf)));
}

static void test_find_module_unsafe_names(void **state)
{
    struct scratch *s = *state;
    const char *both[] = {s->a, s->b};
    char escape[128];

    /* .hidden exists and is executable, but a leading '.' is refused. */
    expect_none(both, 2, ".hidden");
    expect_none(both, 2, "");
    expect_none(both, 2, "..");
    expect_none(both, 2, "./linux.nginx.site");
    expect_none(both, 2, "../sh");
    expect_none(both, 2, "/bin/sh");
    expect_none(both, 2, "linux/nginx");
    /* A path that would reach an existing executable in the other
     * directory through '/'. */
    snprintf(escape, sizeof(escape), "..%s/only.second", strrchr(s->b, '/'));
    expect_none(both, 1, escape);
    assert_null(oa_modrepo_find_module(both, 2, NULL, escape, sizeof(escape)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_cmp),
        cmocka_unit_test(test_compat_operators),
        cmocka_unit_test(test_compat_layout),
        cmocka_unit_test(test_compat_malformed),
        cmocka_unit_test(test_compat_long_line),
        cmocka_unit_test_setup_teardown(test_find_module, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_find_module_unsafe_names, scratch_setup,
                                        scratch_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
