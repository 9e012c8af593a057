/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.gem.package (modules.md §6.3): what a value asks
 * for, gem names, the regular expression `gem list` gets, and the parsing
 * of `gem list --local` and `gem outdated` (samples of RubyGems 3.3's
 * output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common_gem.h"
#include "langpkg.h"

static void values_and_names(void **unused)
{
    bool (*v)(const char *) = oa_common_gem_is_version;
    char re[64];

    assert_int_equal(oa_langpkg_want("", v), OA_LANGPKG_INSTALLED);
    assert_int_equal(oa_langpkg_want("LATEST", v), OA_LANGPKG_LATEST);
    assert_int_equal(oa_langpkg_want("removed", v), OA_LANGPKG_REMOVED);
    assert_int_equal(oa_langpkg_want("1.0", v), OA_LANGPKG_VERSION);
    assert_int_equal(oa_langpkg_want("3.2.0.rc1", v), OA_LANGPKG_VERSION);
    assert_int_equal(oa_langpkg_want("~> 1.2", v), OA_LANGPKG_SPEC);
    assert_int_equal(oa_langpkg_want(">= 1.0, < 2", v), OA_LANGPKG_SPEC);
    assert_int_equal(oa_langpkg_want("-v", v), OA_LANGPKG_INVALID);

    assert_true(oa_common_gem_name_ok("a2ws"));
    assert_true(oa_common_gem_name_ok("oa-tiny"));
    assert_true(oa_common_gem_name_ok("net-http_persistent.x"));
    assert_true(oa_common_gem_name_ok("_underscore"));
    assert_false(oa_common_gem_name_ok(""));
    assert_false(oa_common_gem_name_ok("-x"));
    assert_false(oa_common_gem_name_ok(".x"));
    assert_false(oa_common_gem_name_ok("a b"));
    assert_false(oa_common_gem_name_ok("a/b"));
    assert_false(oa_common_gem_name_ok("a$"));

    assert_string_equal(oa_common_gem_name_regex("oa-tiny", re, sizeof(re)), "^oa-tiny$");
    assert_string_equal(oa_common_gem_name_regex("a.b.c", re, sizeof(re)), "^a\\.b\\.c$");
}

static void list_and_outdated(void **unused)
{
    const char *list = "abbrev (default: 0.1.0)\n"
                       "bigdecimal (default: 3.1.1)\n"
                       "nokogiri (1.13.0 x86_64-linux, 1.12.5 x86_64-linux)\n"
                       "oa-tiny (1.1.0, 1.0.0)\n"
                       "oa-tiny-extra (2.0)\n"
                       "power_assert (2.0.1)\n";
    const char *outdated = "oa-tiny (1.0.0 < 1.1.0)\nrake (13.0.6 < 13.1.0)\n";
    char ver[128];

    assert_true(oa_common_gem_list_find(list, "oa-tiny", ver, sizeof(ver)));
    assert_string_equal(ver, "1.1.0, 1.0.0");
    assert_true(oa_common_gem_list_find(list, "oa-tiny-extra", ver, sizeof(ver)));
    assert_string_equal(ver, "2.0");
    assert_true(oa_common_gem_list_find(list, "abbrev", ver, sizeof(ver)));
    assert_string_equal(ver, "0.1.0");
    assert_true(oa_common_gem_list_find(list, "nokogiri", ver, sizeof(ver)));
    assert_string_equal(ver, "1.13.0, 1.12.5");
    assert_true(oa_common_gem_list_find(list, "power_assert", ver, sizeof(ver)));
    assert_string_equal(ver, "2.0.1");
    assert_false(oa_common_gem_list_find(list, "oa", ver, sizeof(ver)));
    assert_false(oa_common_gem_list_find(list, "rake", ver, sizeof(ver)));
    assert_false(oa_common_gem_list_find("", "rake", ver, sizeof(ver)));
    /* Cut to fit. */
    assert_true(oa_common_gem_list_find(list, "oa-tiny", ver, 8));
    assert_string_equal(ver, "1.1.0, ");

    assert_true(oa_common_gem_outdated_find(outdated, "oa-tiny", ver, sizeof(ver)));
    assert_string_equal(ver, "1.1.0");
    assert_true(oa_common_gem_outdated_find(outdated, "rake", ver, sizeof(ver)));
    assert_string_equal(ver, "13.1.0");
    assert_false(oa_common_gem_outdated_find(outdated, "oa", ver, sizeof(ver)));
    assert_false(oa_common_gem_outdated_find("", "oa-tiny", ver, sizeof(ver)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_names),
        cmocka_unit_test(list_and_outdated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
