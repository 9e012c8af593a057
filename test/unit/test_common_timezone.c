/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.timezone's pure parts (modules.md §8.1): zone names, the hardware
 * clock line of /etc/adjtime, UTC=/ZONE= settings of /etc/default/rcS and
 * /etc/sysconfig/clock (RHEL 6, which this Debian machine cannot run), and
 * the timedatectl argv used under systemd (not running here).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common_timezone.h"
#include "err.h"

static void zone_names(void **unused)
{
    static const char *const good[] = {
        "Asia/Shanghai",     "UTC", "Etc/GMT+8", "Etc/GMT-14", "America/Argentina/Buenos_Aires",
        "posix/Europe/Paris"};
    static const char *const bad[] = {"",
                                      "/etc/passwd",
                                      "../../etc/shadow",
                                      "Asia/../UTC",
                                      "./UTC",
                                      "Asia//Tokyo",
                                      "Asia/",
                                      "Asia/Tok yo",
                                      "UTC\n",
                                      "Asia/$(id)",
                                      ".."};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!oa_tz_name_ok(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (oa_tz_name_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

static void adjtime_read(void **unused)
{
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\n0\nUTC\n"), 1);
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\n0\nLOCAL\n"), 0);
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\r\n0\r\nLOCAL\r\n"), 0);
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\n0\nLOCAL"), 0);
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\n0\n"), -1);
    assert_int_equal(oa_tz_adjtime_utc("0.0 0 0.0\n0\nlocal\n"), -1);
    assert_int_equal(oa_tz_adjtime_utc(""), -1);
}

static void adjtime_write(void **unused)
{
    static const struct {
        const char *text;
        bool utc;
        const char *want;
    } cases[] = {
        {"", true, "0.0 0 0.0\n0\nUTC\n"},
        {"", false, "0.0 0 0.0\n0\nLOCAL\n"},
        {"1.5 1700000000 0.0\n1700000000\nUTC\n", false, "1.5 1700000000 0.0\n1700000000\nLOCAL\n"},
        {"1.5 1700000000 0.0\n1700000000\nLOCAL\n", true, "1.5 1700000000 0.0\n1700000000\nUTC\n"},
        {"1.5 0 0.0\n", false, "1.5 0 0.0\n0\nLOCAL\n"},
        {"1.5 0 0.0", false, "1.5 0 0.0\n0\nLOCAL\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct oa_buf b;
        oa_buf_init(&b, 4096);
        assert_int_equal(oa_tz_adjtime_set(cases[i].text, cases[i].utc, &b), 0);
        assert_string_equal(b.data, cases[i].want);
        assert_int_equal(oa_tz_adjtime_utc(b.data), cases[i].utc);
        oa_buf_done(&b);
    }
}

static void shell_files(void **unused)
{
    const char *clock = "# comment ZONE=x\nZONE=\"America/New_York\"\n  UTC=true\nARC=false\n";
    char v[64];
    struct oa_buf b;

    assert_true(oa_tz_shell_get(clock, "ZONE", v, sizeof(v)));
    assert_string_equal(v, "America/New_York");
    assert_true(oa_tz_shell_get(clock, "UTC", v, sizeof(v)));
    assert_string_equal(v, "true");
    assert_false(oa_tz_shell_get(clock, "ZON", v, sizeof(v)));
    assert_false(oa_tz_shell_get("UTC=yes\n", "UTC", v, 3));
    assert_true(oa_tz_shell_get("UTC='no'", "UTC", v, sizeof(v)));
    assert_string_equal(v, "no");
    assert_true(oa_tz_shell_get("UTC=yes\nUTC=no\n", "UTC", v, sizeof(v)));
    assert_string_equal(v, "no");

    oa_buf_init(&b, 4096);
    assert_int_equal(oa_tz_shell_set(clock, "ZONE", "\"Asia/Shanghai\"", &b), 0);
    assert_string_equal(b.data,
                        "# comment ZONE=x\nZONE=\"Asia/Shanghai\"\n  UTC=true\nARC=false\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_tz_shell_set(clock, "UTC", "false", &b), 0);
    assert_string_equal(b.data,
                        "# comment ZONE=x\nZONE=\"America/New_York\"\nUTC=false\nARC=false\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_tz_shell_set("TMPTIME=0\nVERBOSE=no", "UTC", "no", &b), 0);
    assert_string_equal(b.data, "TMPTIME=0\nVERBOSE=no\nUTC=no\n");
    oa_buf_done(&b);

    oa_buf_init(&b, 8);
    assert_int_equal(oa_tz_shell_set(clock, "UTC", "no", &b), OA_ETOOBIG);
    oa_buf_done(&b);
}

static void timedatectl(void **unused)
{
    const char *argv[4];

    oa_tz_timedatectl_argv("Asia/Shanghai", false, argv);
    assert_string_equal(argv[0], "timedatectl");
    assert_string_equal(argv[1], "set-timezone");
    assert_string_equal(argv[2], "Asia/Shanghai");
    assert_null(argv[3]);
    oa_tz_timedatectl_argv(NULL, true, argv);
    assert_string_equal(argv[1], "set-local-rtc");
    assert_string_equal(argv[2], "0");
    assert_null(argv[3]);
    oa_tz_timedatectl_argv(NULL, false, argv);
    assert_string_equal(argv[2], "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zone_names),    cmocka_unit_test(adjtime_read),
        cmocka_unit_test(adjtime_write), cmocka_unit_test(shell_files),
        cmocka_unit_test(timedatectl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
