/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.npm.package (modules.md §6.2) and of the
 * language package driver it shares with common.gem.package: what a value
 * asks for, package names, npm's semver ranges (checked against the
 * examples of node-semver's documentation), the JSON of `npm ls` and `npm
 * outdated`, and the argv of every npm call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common_npm.h"
#include "langpkg.h"

static void values_and_names(void **unused)
{
    bool (*v)(const char *) = oa_common_npm_is_version;

    assert_int_equal(oa_langpkg_want("", v), OA_LANGPKG_INSTALLED);
    assert_int_equal(oa_langpkg_want("latest", v), OA_LANGPKG_LATEST);
    assert_int_equal(oa_langpkg_want("Removed", v), OA_LANGPKG_REMOVED);
    assert_int_equal(oa_langpkg_want("1.2.3", v), OA_LANGPKG_VERSION);
    assert_int_equal(oa_langpkg_want("v1.2.3-rc.1+b7", v), OA_LANGPKG_VERSION);
    assert_int_equal(oa_langpkg_want("^1.2", v), OA_LANGPKG_SPEC);
    assert_int_equal(oa_langpkg_want(">=1.0 <2", v), OA_LANGPKG_SPEC);
    assert_int_equal(oa_langpkg_want("next", v), OA_LANGPKG_SPEC);
    assert_int_equal(oa_langpkg_want("--registry=x", v), OA_LANGPKG_INVALID);
    assert_int_equal(oa_langpkg_want("1.0\n2.0", v), OA_LANGPKG_INVALID);
    assert_int_equal(oa_langpkg_want("  ", v), OA_LANGPKG_INVALID);

    assert_true(oa_common_npm_name_ok("is-number"));
    assert_true(oa_common_npm_name_ok("express"));
    assert_true(oa_common_npm_name_ok("@types/node"));
    assert_true(oa_common_npm_name_ok("lodash.merge"));
    assert_true(oa_common_npm_name_ok("JSONStream"));
    assert_false(oa_common_npm_name_ok(""));
    assert_false(oa_common_npm_name_ok("-g"));
    assert_false(oa_common_npm_name_ok(".hidden"));
    assert_false(oa_common_npm_name_ok("_private"));
    assert_false(oa_common_npm_name_ok("a/b"));
    assert_false(oa_common_npm_name_ok("@scope/"));
    assert_false(oa_common_npm_name_ok("@scope/a/b"));
    assert_false(oa_common_npm_name_ok("a b"));
    assert_false(oa_common_npm_name_ok("../x"));
}

static void semver_ranges(void **unused)
{
    static const struct {
        const char *version, *range;
        int want;
    } cases[] = {
        {"1.2.3", "1.2.3", 1},
        {"1.2.3", "=1.2.3", 1},
        {"1.2.4", "1.2.3", 0},
        {"1.2.3", "1.2", 1},
        {"1.3.0", "1.2", 0},
        {"1.9.9", "1.x", 1},
        {"2.0.0", "1.x", 0},
        {"5.0.0", "*", 1},
        {"1.2.3", "", 1},
        {"1.2.3", "^1.2.3", 1},
        {"1.9.0", "^1.2.3", 1},
        {"2.0.0", "^1.2.3", 0},
        {"1.2.2", "^1.2.3", 0},
        {"0.2.5", "^0.2.3", 1},
        {"0.3.0", "^0.2.3", 0},
        {"0.0.3", "^0.0.3", 1},
        {"0.0.4", "^0.0.3", 0},
        {"0.0.9", "^0.0", 1},
        {"0.1.0", "^0.0", 0},
        {"1.5.0", "^1.x", 1},
        {"0.9.0", "^0.x", 1},
        {"1.0.0", "^0.x", 0},
        {"1.2.9", "~1.2.3", 1},
        {"1.3.0", "~1.2.3", 0},
        {"1.2.0", "~1.2", 1},
        {"1.9.0", "~1", 1},
        {"2.0.0", "~1", 0},
        {"2.0.0", ">1.2.3", 1},
        {"1.2.3", ">1.2.3", 0},
        {"1.2.3", ">=1.2.3", 1},
        {"1.2.3", ">= 1.2.3", 1},
        {"1.2.2", "<1.2.3", 1},
        {"1.2.3", "<=1.2.3", 1},
        {"1.3.0", ">1.2", 1},
        {"1.2.9", ">1.2", 0},
        {"1.2.9", "<=1.2", 1},
        {"1.3.0", "<=1.2", 0},
        {"1.1.9", "<1.2", 1},
        {"1.2.0", "<1.2", 0},
        {"1.5.0", ">=1.2.7 <1.3.0", 0},
        {"1.2.8", ">=1.2.7 <1.3.0", 1},
        {"1.2.8", "1.2.7 || >=1.2.9 <2.0.0", 0},
        {"1.4.6", "1.2.7 || >=1.2.9 <2.0.0", 1},
        {"1.2.7", "1.2.7 || >=1.2.9 <2.0.0", 1},
        {"2.3.4", "1.2.3 - 2.3.4", 1},
        {"2.3.5", "1.2.3 - 2.3.4", 0},
        {"2.3.9", "1.2 - 2.3", 1},
        {"2.4.0", "1.2 - 2.3", 0},
        {"1.1.0", "1.2 - 2.3", 0},
        {"1.2.3", ">=1.2.3-beta.1", 1},
        {"1.2.3", "<1.2.3-beta.1", 0},
        /* npm decides */
        {"1.2.3", "next", -1},
        {"1.2.3-rc.1", "^1.2.3-rc.0", -1},
        {"1.2.3", "git+https://example.com/x.git", -1},
        {"1.2.3", "1.x.3", -1},
        {"not a version", "1.2.3", -1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = oa_common_npm_satisfies(cases[i].version, cases[i].range);
        if (got != cases[i].want)
            fail_msg("%s against '%s': %d, expected %d", cases[i].version, cases[i].range, got,
                     cases[i].want);
    }
}

static void ls_and_outdated(void **unused)
{
    const char *ls = "{\"name\": \"lib\", \"dependencies\": {"
                     "\"is-number\": {\"version\": \"7.0.0\", \"overridden\": false},"
                     "\"@types/node\": {\"version\": \"20.1.0\"},"
                     "\"gone\": {\"required\": \"^1.0.0\", \"missing\": true}}}";
    const char *outdated = "{\"is-number\": {\"current\": \"6.0.0\", \"wanted\": \"6.0.0\", "
                           "\"latest\": \"7.0.0\", \"location\": \"/x\"}}";
    char ver[64] = "", why[256] = "";

    assert_true(oa_common_npm_ls_find(ls, "is-number", ver, sizeof(ver)));
    assert_string_equal(ver, "7.0.0");
    assert_true(oa_common_npm_ls_find(ls, "@types/node", ver, sizeof(ver)));
    assert_string_equal(ver, "20.1.0");
    assert_false(oa_common_npm_ls_find(ls, "gone", ver, sizeof(ver)));
    assert_false(oa_common_npm_ls_find(ls, "express", ver, sizeof(ver)));
    assert_false(oa_common_npm_ls_find("{}", "express", ver, sizeof(ver)));
    assert_false(oa_common_npm_ls_find("npm error", "express", ver, sizeof(ver)));
    assert_false(oa_common_npm_ls_find(NULL, "express", ver, sizeof(ver)));

    assert_int_equal(oa_common_npm_outdated(outdated, "is-number", ver, sizeof(ver), why, 256), 1);
    assert_string_equal(ver, "7.0.0");
    assert_int_equal(oa_common_npm_outdated(outdated, "other", ver, sizeof(ver), why, 256), 0);
    assert_int_equal(oa_common_npm_outdated("", "is-number", ver, sizeof(ver), why, 256), 0);
    assert_int_equal(oa_common_npm_outdated(NULL, "is-number", ver, sizeof(ver), why, 256), 0);
    assert_int_equal(oa_common_npm_outdated("{\"x\": {\"current\": \"1.0.0\", \"latest\": "
                                            "\"1.0.0\"}}",
                                            "x", ver, sizeof(ver), why, 256),
                     0);
    assert_int_equal(oa_common_npm_outdated("{\"error\": {\"code\": \"ENOTFOUND\", \"summary\": "
                                            "\"request failed\"}}",
                                            "x", ver, sizeof(ver), why, 256),
                     -1);
    assert_string_equal(why, "npm outdated failed: request failed");
    assert_int_equal(oa_common_npm_outdated("oops", "x", ver, sizeof(ver), why, 256), -1);
    assert_string_equal(why, "npm outdated failed: its output is not JSON");
}

static void args(void **unused)
{
    static const struct {
        enum oa_npm_call call;
        const char *path, *arg, *want;
    } cases[] = {
        {OA_NPM_LS, NULL, NULL, "ls -g --depth=0 --json --loglevel=silent"},
        {OA_NPM_LS, "/srv/app", NULL, "ls --prefix /srv/app --depth=0 --json --loglevel=silent"},
        {OA_NPM_OUTDATED, NULL, "is-number", "outdated -g --json --loglevel=silent is-number"},
        {OA_NPM_INSTALL, NULL, "is-number@6.0.0", "install -g is-number@6.0.0"},
        {OA_NPM_INSTALL, "/srv/app", "is-number@latest",
         "install --prefix /srv/app is-number@latest"},
        {OA_NPM_UNINSTALL, NULL, "is-number", "uninstall -g is-number"},
    };
    char line[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct oa_pkg_argv a = {0};
        oa_common_npm_args(&a, cases[i].call, cases[i].path, cases[i].arg);
        assert_true(oa_pkg_argv_ok(&a));
        assert_string_equal(oa_pkg_argv_join(&a, line, sizeof(line)), cases[i].want);
        oa_pkg_argv_done(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_names),
        cmocka_unit_test(semver_ranges),
        cmocka_unit_test(ls_and_outdated),
        cmocka_unit_test(args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
