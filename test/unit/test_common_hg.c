/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.hg: the argv of every hg call (never
 * interactive, options before "--", the repository and path after it, a
 * conflict failing rather than opening a merge tool), ids compared without
 * the '+' of local changes, `hg incoming` lines counted, and "error:" in
 * the output of a pull that exited 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common_hg.h"

static const char *joined(char **argv)
{
    static char line[512];

    line[0] = '\0';
    for (size_t i = 0; argv[i]; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "", argv[i]);
    return line;
}

static void every_call_has_its_argv(void **unused)
{
    char *argv[OA_HG_ARGV_MAX];

    assert_string_equal(joined(oa_common_hg_argv(OA_HG_CLONE, "ssh://h/r", "/srv/r", "v1", argv)),
                        "hg --noninteractive clone --noupdate -- ssh://h/r /srv/r");
    assert_string_equal(joined(oa_common_hg_argv(OA_HG_PULL, "-r", "/srv/r", NULL, argv)),
                        "hg --noninteractive pull -- -r");
    assert_string_equal(joined(oa_common_hg_argv(OA_HG_INCOMING, "/src", NULL, NULL, argv)),
                        "hg --noninteractive incoming --quiet --template {node}\n -- /src");
    assert_string_equal(joined(oa_common_hg_argv(OA_HG_UPDATE, NULL, NULL, "tip", argv)),
                        "hg --noninteractive --config ui.merge=internal:fail update --rev tip");
    assert_string_equal(joined(oa_common_hg_argv(OA_HG_ID, NULL, NULL, NULL, argv)),
                        "hg --noninteractive identify --id");
    assert_string_equal(joined(oa_common_hg_argv(OA_HG_ID_REV, NULL, NULL, "default", argv)),
                        "hg --noninteractive identify --id --rev default");
}

static void ids_and_outputs(void **unused)
{
    assert_true(oa_common_hg_same_id("8c00f7bee4fa", "8c00f7bee4fa+"));
    assert_true(oa_common_hg_same_id("8c00f7bee4fa", "8c00f7bee4fa"));
    assert_false(oa_common_hg_same_id("8c00f7bee4fa", "b04b6437df59"));
    assert_false(oa_common_hg_same_id("", ""));
    assert_int_equal(oa_common_hg_count_lines(NULL), 0);
    assert_int_equal(oa_common_hg_count_lines(""), 0);
    assert_int_equal(oa_common_hg_count_lines("a1\nb2\n\nc3"), 3);
    assert_true(oa_common_hg_pull_failed("pulling from x\nremote: error: denied\n"));
    assert_false(oa_common_hg_pull_failed("pulling from x\nno changes found\n"));
    assert_false(oa_common_hg_pull_failed(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_call_has_its_argv),
        cmocka_unit_test(ids_and_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
