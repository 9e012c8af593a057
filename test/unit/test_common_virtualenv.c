/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.virtualenv (modules.md §6.4): the virtualenv
 * argv, what changed between two `pip freeze` outputs, and what `pip
 * install --dry-run` says it would install.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common_virtualenv.h"

static void args(void **unused)
{
    char *dirs[] = {"/srv/wheels", "/opt/more"};
    struct oa_pkg_argv a = {0}, b = {0};
    char line[256];

    oa_common_virtualenv_args(&a, "/srv/env", NULL, false, NULL, 0);
    assert_string_equal(oa_pkg_argv_join(&a, line, sizeof(line)), "-- /srv/env");
    oa_common_virtualenv_args(&b, "/srv/env", "/usr/bin/python3", true, dirs, 2);
    assert_string_equal(oa_pkg_argv_join(&b, line, sizeof(line)),
                        "-p /usr/bin/python3 --system-site-packages --extra-search-dir "
                        "/srv/wheels /opt/more -- /srv/env");
    oa_pkg_argv_done(&a);
    oa_pkg_argv_done(&b);
}

static void freeze_differences(void **unused)
{
    const char *before = "pip==23.0.1\nsetuptools==66.1.1\noa-tiny==1.0\nold==3.0\n";
    const char *after = "oa_tiny==1.1\npip==23.0.1\nsetuptools==66.1.1\nnew-one==2.0\n";
    char what[256];

    assert_true(oa_common_virtualenv_freeze_diff(before, after, what, sizeof(what)));
    assert_string_equal(what, "oa_tiny 1.0 → 1.1, installed new-one 2.0, removed old 3.0");
    assert_false(oa_common_virtualenv_freeze_diff(before, before, what, sizeof(what)));
    assert_string_equal(what, "");
    assert_true(oa_common_virtualenv_freeze_diff("", "a==1\n", what, sizeof(what)));
    assert_string_equal(what, "installed a 1");
    /* Lines that are not name==version count as text. */
    assert_true(oa_common_virtualenv_freeze_diff("a==1\n", "a==1\n-e git+https://x#egg=b\n", what,
                                                 sizeof(what)));
    assert_false(oa_common_virtualenv_freeze_diff("-e x\n", "-e x\n", what, sizeof(what)));
    /* Cut to fit. */
    assert_true(oa_common_virtualenv_freeze_diff("", "aaaa==1\nbbbb==2\n", what, 20));
    assert_string_equal(what, "installed aaaa 1, i");
}

static void dry_run_output(void **unused)
{
    char buf[128];

    assert_string_equal(
        oa_common_virtualenv_would_install("Looking in links: /w\nProcessing ./a.whl\nWould "
                                           "install a-1.0 b-2.0\n",
                                           buf, sizeof(buf)),
        "a-1.0 b-2.0");
    assert_string_equal(
        oa_common_virtualenv_would_install("Requirement already satisfied: a\n", buf, sizeof(buf)),
        "");
    assert_string_equal(oa_common_virtualenv_would_install(NULL, buf, sizeof(buf)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(args),
        cmocka_unit_test(freeze_differences),
        cmocka_unit_test(dry_run_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
