/* SPDX-License-Identifier: Apache-2.0 */
/* Line-preserving config edits and their atomic write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgedit.h"
#include "err.h"

static void check(const char *in, const struct oa_cfgedit *e, size_t n, const char *want)
{
    struct oa_buf out;

    oa_buf_init(&out, 1 << 20);
    assert_int_equal(oa_cfgedit_apply(in, strlen(in), e, n, &out), 0);
    assert_string_equal(out.data ? out.data : "", want);
    oa_buf_done(&out);
}

static void replaces_keeps_adds(void **unused)
{
    const struct oa_cfgedit tag = {"module", "mod_tag", "v2"};
    const struct oa_cfgedit both[] = {{"module", "mod_repo", "https://x/r.git"},
                                      {"module", "mod_tag", "v3"}};

    /* The value changes; comments, blanks and other keys stay. */
    check("# top\n[module]\nmod_repo = a ; c\n  mod_tag=v1\n\n[network]\nx = 1\n", &tag, 1,
          "# top\n[module]\nmod_repo = a ; c\nmod_tag = v2\n\n[network]\nx = 1\n");
    /* A missing key goes at the end of its section, before its blank lines. */
    check("[module]\nname = repo\n\n[network]\nx = 1\n", both, 2,
          "[module]\nname = repo\nmod_repo = https://x/r.git\nmod_tag = v3\n\n[network]\nx = 1\n");
    /* A missing section goes at the end. */
    check("[global]\nloglvl = INFO", &tag, 1,
          "[global]\nloglvl = INFO\n\n[module]\nmod_tag = v2\n");
    check("", &tag, 1, "\n[module]\nmod_tag = v2\n");
    /* A key of the same name in another section is not touched. */
    check("[other]\nmod_tag = keep\n[module]\nmod_tag = old\n", &tag, 1,
          "[other]\nmod_tag = keep\n[module]\nmod_tag = v2\n");
}

static void refuses_newlines(void **unused)
{
    const struct oa_cfgedit bad = {"module", "mod_tag", "v1\n[global]"};
    struct oa_buf out;

    oa_buf_init(&out, 1024);
    assert_int_equal(oa_cfgedit_apply("", 0, &bad, 1, &out), OA_ESCHEMA);
    oa_buf_done(&out);
}

/* A value that would read back otherwise (inih strips blanks, cuts at " ;"
 * and refuses long lines) is refused: the next start must read what was
 * written (found by fuzz_userdata). */
static void refuses_what_would_not_read_back(void **unused)
{
    char long_value[200];
    const char *bad[] = {"a\rb", " x", "x\t", "a ;b", ";b", long_value};
    const char *good[] = {"a;b", "a b",     "a=b:c # d", "https://example.com/x?y=1&z=2",
                          "",    long_value};
    struct oa_buf out;

    /* "base_remote = ", the value and a newline must stay under inih's 200
     * bytes: 184 fit, 185 do not. */
    memset(long_value, 'x', sizeof(long_value));
    long_value[185] = '\0';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct oa_cfgedit e = {"userdata", "base_remote", bad[i]};
        oa_buf_init(&out, 1024);
        assert_int_equal(oa_cfgedit_apply("", 0, &e, 1, &out), OA_ESCHEMA);
        oa_buf_done(&out);
    }
    long_value[184] = '\0';
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const struct oa_cfgedit e = {"userdata", "base_remote", good[i]};
        oa_buf_init(&out, 1024);
        assert_int_equal(oa_cfgedit_apply("", 0, &e, 1, &out), 0);
        oa_buf_done(&out);
    }
}

static void writes_atomically_keeping_the_mode(void **unused)
{
    char dir[] = "/tmp/oa-cfgedit.XXXXXX", path[256], why[256], buf[256];
    const struct oa_cfgedit e = {"module", "mod_tag", "v9"};
    struct stat st;
    FILE *f;
    size_t n;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/opsagent.conf", dir);
    f = fopen(path, "w");
    fputs("[module]\nmod_tag = v1\n", f);
    fclose(f);
    chmod(path, 0640);
    assert_int_equal(oa_cfgedit_file(path, &e, 1, why, sizeof(why)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    f = fopen(path, "r");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "[module]\nmod_tag = v9\n");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0); /* no temp file left */
    assert_true(oa_cfgedit_file("/nonexistent/x.conf", &e, 1, why, sizeof(why)) < 0);
    assert_non_null(strstr(why, "/nonexistent/x.conf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replaces_keeps_adds),
        cmocka_unit_test(refuses_newlines),
        cmocka_unit_test(refuses_what_would_not_read_back),
        cmocka_unit_test(writes_atomically_keeping_the_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
