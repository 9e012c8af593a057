/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of linux.puppet.* and linux.chef.* (linux_cm.h): the
 * arguments dict as options (all its encodings, dashes given or not, keys
 * refused), command lines, versions read from --version answers and
 * matched with `version`, puppet's detailed exit codes and its cache
 * option by version, chef's summary line (client, infra client, why-run,
 * chef 11) and the FATAL line that says why it failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"
#include "linux_cm.h"

/* Parses `arguments` from JSON text the way exec-state does. */
static int args_from(const char *json, struct oa_cm_argv *a, char *err, size_t len)
{
    static const struct oa_param_spec spec[] = {{"arguments", OA_PT_DICT, 0}};
    char text[512];
    struct oa_params p;
    struct oa_json *obj;
    int r;

    snprintf(text, sizeof(text), "{\"arguments\": %s}", json);
    assert_int_equal(oa_json_parse(text, strlen(text), NULL, &obj, NULL, 0), 0);
    assert_int_equal(oa_params_parse(spec, 1, obj, &p, NULL, err, len), 0);
    r = oa_cm_arguments(a, oa_params_get(&p, "arguments"), err, len);
    oa_params_done(&p);
    oa_json_free(obj);
    return r;
}

static void arguments_become_options(void **unused)
{
    struct oa_cm_argv a = {0};
    char err[256], line[512];

    oa_cm_argv_add(&a, "puppet");
    assert_int_equal(
        args_from("[{\"key\": \"tags\", \"value\": \"a,b\"}, {\"key\": \"noop\"},"
                  " {\"key\": \"--debug\", \"value\": null}, {\"key\": \"x\", \"value\": \"\"}]",
                  &a, err, sizeof(err)),
        0);
    assert_string_equal(oa_cm_argv_line(&a, line, sizeof(line)),
                        "puppet --tags=a,b --noop --debug --x");
    assert_null(a.v[a.n]);
    oa_cm_argv_done(&a);
    assert_int_equal(args_from("{\"modulepath\": \"/etc/m\"}", &a, err, sizeof(err)), 0);
    assert_string_equal(oa_cm_argv_line(&a, line, sizeof(line)), "--modulepath=/etc/m");
    oa_cm_argv_done(&a);
    assert_int_equal(args_from("[{\"key\": \"a b\"}]", &a, err, sizeof(err)), OA_ESCHEMA);
    assert_string_equal(err, "parameter 'arguments': 'a b' is not an option name");
    oa_cm_argv_done(&a);
    assert_int_equal(args_from("[{\"key\": \"--\"}]", &a, err, sizeof(err)), OA_ESCHEMA);
    oa_cm_argv_done(&a);
    assert_int_equal(args_from("[{\"key\": \"k=v\"}]", &a, err, sizeof(err)), OA_ESCHEMA);
    oa_cm_argv_done(&a);
    for (int i = 0; i < OA_CM_ARGV_MAX + 2; i++)
        oa_cm_argv_add(&a, "x%d", i);
    assert_true(a.full);
    assert_int_equal(a.n, OA_CM_ARGV_MAX);
    oa_cm_argv_done(&a);
}

static void versions(void **unused)
{
    char buf[32];

    assert_string_equal(oa_cm_parse_version("7.23.0\n", buf, sizeof(buf)), "7.23.0");
    assert_string_equal(oa_cm_parse_version("Chef Infra Client: 18.2.7\n", buf, sizeof(buf)),
                        "18.2.7");
    assert_string_equal(oa_cm_parse_version("Chef: 12.0.1", buf, sizeof(buf)), "12.0.1");
    assert_string_equal(oa_cm_parse_version("ruby2 gives 3.7.", buf, sizeof(buf)), "3.7");
    assert_string_equal(oa_cm_parse_version("no version", buf, sizeof(buf)), "");
    assert_string_equal(oa_cm_parse_version(NULL, buf, sizeof(buf)), "");
    assert_true(oa_cm_version_matches("12.0.1", "12.0.1"));
    assert_true(oa_cm_version_matches("12.0.1", "12"));
    assert_true(oa_cm_version_matches("12.0.1", "12.0"));
    assert_false(oa_cm_version_matches("12.0.1", "1"));
    assert_false(oa_cm_version_matches("12.0.1", "12.0.10"));
    assert_false(oa_cm_version_matches("", "7"));
    assert_false(oa_cm_version_matches("7.0", ""));
}

static void puppet_exit_codes(void **unused)
{
    assert_int_equal(oa_cm_puppet_exit(0 << 8), OA_CM_NO_CHANGES);
    assert_int_equal(oa_cm_puppet_exit(2 << 8), OA_CM_CHANGES);
    assert_int_equal(oa_cm_puppet_exit(1 << 8), OA_CM_FAILED);
    assert_int_equal(oa_cm_puppet_exit(4 << 8), OA_CM_FAILED);
    assert_int_equal(oa_cm_puppet_exit(6 << 8), OA_CM_FAILED);
    assert_int_equal(oa_cm_puppet_exit(9), OA_CM_FAILED); /* killed */
    assert_true(oa_cm_puppet_noop_events("Notice: /Stage[main]/Main/File[/x]/ensure: "
                                         "current_value 'absent', should be 'file' (noop)\n"));
    assert_false(oa_cm_puppet_noop_events("Notice: Applied catalog in 0.1 seconds\n"));
    assert_false(oa_cm_puppet_noop_events(NULL));
    assert_string_equal(oa_cm_puppet_cache_flag("3.7.3"), "--ignorecache");
    assert_string_equal(oa_cm_puppet_cache_flag("4.0.0"), "--no-use_cached_catalog");
    assert_string_equal(oa_cm_puppet_cache_flag("7.23.0"), "--no-use_cached_catalog");
    assert_string_equal(oa_cm_puppet_cache_flag(""), "--no-use_cached_catalog");
}

static void chef_outputs(void **unused)
{
    unsigned long u, t;
    char buf[256];

    assert_true(oa_cm_chef_summary("x\nChef Client finished, 3/10 resources updated in 5 seconds\n",
                                   &u, &t));
    assert_int_equal(u, 3);
    assert_int_equal(t, 10);
    assert_true(oa_cm_chef_summary("Chef Infra Client finished, 0/1 resources updated in 01 "
                                   "seconds",
                                   &u, &t));
    assert_int_equal(u, 0);
    assert_true(
        oa_cm_chef_summary("Chef Client finished, 2/5 resources would have been updated", &u, &t));
    assert_int_equal(u, 2);
    assert_true(oa_cm_chef_summary("Chef Client finished, 4 resources updated", &u, &t));
    assert_int_equal(u, 4);
    assert_int_equal(t, 0);
    assert_false(oa_cm_chef_summary("Chef Client finished, in 5 seconds", &u, &t));
    assert_false(oa_cm_chef_summary(NULL, &u, &t));
    assert_string_equal(
        oa_cm_chef_reason("[t] FATAL: Stacktrace dumped to /x\n[t] FATAL: Please provide the "
                          "contents\n[t] FATAL: Chef::Exceptions::Boom: it broke\n",
                          buf, sizeof(buf)),
        "Chef::Exceptions::Boom: it broke");
    assert_string_equal(oa_cm_chef_reason("all fine\n", buf, sizeof(buf)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arguments_become_options),
        cmocka_unit_test(versions),
        cmocka_unit_test(puppet_exit_codes),
        cmocka_unit_test(chef_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
