/* SPDX-License-Identifier: Apache-2.0 */
/* The user data's KEY=value lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "userdata.h"

static void the_original_bootstrap_script(void **unused)
{
    static const char text[] = "#!/bin/bash\n"
                               "##\n## VisualOps user data\n##\n"
                               "APP_ID=app-0123\n"
                               "export WS_URI=\"wss://api.example.com:443/agent/\"\n"
                               "  VERSION='2014-11-01'  \r\n"
                               "BASE_REMOTE=https://example.com/visualops\n"
                               "#GPG_KEY_URI=commented-out\n"
                               "NOT_OURS=x\n"
                               "APP_ID_SUFFIX=ignored\n";
    struct oa_userdata u;

    assert_int_equal(oa_userdata_parse(text, strlen(text), &u), 0);
    assert_string_equal(u.app_id, "app-0123");
    assert_string_equal(u.ws_uri, "wss://api.example.com:443/agent/");
    assert_string_equal(u.version, "2014-11-01");
    assert_string_equal(u.base_remote, "https://example.com/visualops");
    assert_null(u.gpg_key_uri);
    oa_userdata_done(&u);
}

static void the_last_value_wins_and_empty_text(void **unused)
{
    struct oa_userdata u;

    assert_int_equal(oa_userdata_parse("APP_ID=a\nAPP_ID=b", 18, &u), 0);
    assert_string_equal(u.app_id, "b");
    oa_userdata_done(&u);
    assert_int_equal(oa_userdata_parse("", 0, &u), 0);
    assert_null(u.app_id);
    oa_userdata_done(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_original_bootstrap_script),
        cmocka_unit_test(the_last_value_wins_and_empty_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
