/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.svn: the argv of every svn call (never
 * interactive, never caching credentials, the password only as
 * --password-from-stdin, -r and --force where they apply), module.json's
 * misspelt COMMITED, peg-revision escaping of operands holding '@', and
 * URL comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common_svn.h"

static const char *joined(char **argv)
{
    static char line[1024];

    line[0] = '\0';
    for (size_t i = 0; argv[i]; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "", argv[i]);
    return line;
}

static void every_call_has_its_argv(void **unused)
{
    struct oa_svn_args plain = {"svn://h/r", "/srv/wc", NULL, NULL, false, false};
    struct oa_svn_args all = {"https://h/r", "/srv/wc", "PREV", "deploy", true, true};
    char *argv[OA_SVN_ARGV_MAX];

    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_REVISION, &plain, argv)),
                        "svn info --non-interactive --no-auth-cache --show-item revision -- "
                        "/srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_URL, &all, argv)),
                        "svn info --non-interactive --no-auth-cache --username deploy "
                        "--password-from-stdin --show-item url -- /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_TARGET, &plain, argv)),
                        "svn info --non-interactive --no-auth-cache --show-item revision -r HEAD "
                        "-- /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_TARGET, &all, argv)),
                        "svn info --non-interactive --no-auth-cache --username deploy "
                        "--password-from-stdin --show-item revision -r PREV -- /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_UPDATE, &plain, argv)),
                        "svn update --non-interactive --no-auth-cache -- /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_UPDATE, &all, argv)),
                        "svn update --non-interactive --no-auth-cache --username deploy "
                        "--password-from-stdin -r PREV --force -- /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_SWITCH, &plain, argv)),
                        "svn switch --non-interactive --no-auth-cache -- svn://h/r /srv/wc");
    assert_string_equal(joined(oa_common_svn_argv(OA_SVN_CHECKOUT, &all, argv)),
                        "svn checkout --non-interactive --no-auth-cache --username deploy "
                        "--password-from-stdin -r PREV --force -- https://h/r /srv/wc");
}

static void revisions_operands_urls(void **unused)
{
    char buf[64];

    assert_string_equal(oa_common_svn_revision("COMMITED", buf, sizeof(buf)), "COMMITTED");
    assert_string_equal(oa_common_svn_revision("commited", buf, sizeof(buf)), "COMMITTED");
    assert_string_equal(oa_common_svn_revision("HEAD", buf, sizeof(buf)), "HEAD");
    assert_string_equal(oa_common_svn_revision("42", buf, sizeof(buf)), "42");
    assert_string_equal(oa_common_svn_operand("/srv/a@b", buf, sizeof(buf)), "/srv/a@b@");
    assert_string_equal(oa_common_svn_operand("/srv/a@b/c", buf, sizeof(buf)), "/srv/a@b/c");
    assert_string_equal(oa_common_svn_operand("svn+ssh://me@h/r", buf, sizeof(buf)),
                        "svn+ssh://me@h/r");
    assert_null(oa_common_svn_operand("/a/very/long/path", buf, 8));
    assert_true(oa_common_svn_same_url("file:///r/trunk", "file:///r/trunk/"));
    assert_false(oa_common_svn_same_url("file:///r/trunk", "file:///r/branches/b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_call_has_its_argv),
        cmocka_unit_test(revisions_operands_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
