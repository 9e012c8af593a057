/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.cronjob's crontab merge (modules.md §7.3): cron time fields, jobs
 * matched by their command alone, schedules rewritten in place, new jobs
 * below the opsagent marker or the original's Salt marker, everything else
 * (comments, variables, other jobs) kept, nothing removed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "linux_cron.h"

#define EVERY                                                                                      \
    {                                                                                              \
        "*", "*", "*", "*", "*"                                                                    \
    }

static void fields(void **unused)
{
    static const char *const good[] = {"*", "*/3", "1-5", "0,30", "mon-fri", "Jan", "7", "1-10/2"};
    static const char *const bad[] = {
        "", "1 2", "*\n", "1;2", "$(id)", "1\t2", "@reboot",
        /* 65 characters: one over the limit. */
        ("0123456789012345678901234567890123456789012345678901234567890123"
         "4")};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!oa_cron_field_ok(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (oa_cron_field_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

/* Merges and checks the text, the count and each outcome. */
static void merge(const char *current, const struct oa_cron_job *jobs, size_t n, const char *want,
                  int want_changed, const enum oa_cron_outcome *want_outcomes)
{
    enum oa_cron_outcome outcomes[8];
    struct oa_buf b;

    oa_buf_init(&b, 1 << 20);
    assert_int_equal(oa_cron_merge(current, jobs, n, &b, outcomes), want_changed);
    assert_string_equal(b.data ? b.data : "", want);
    for (size_t i = 0; i < n; i++)
        if (outcomes[i] != want_outcomes[i])
            fail_msg("job %zu: outcome %d, expected %d", i, outcomes[i], want_outcomes[i]);
    oa_buf_done(&b);
}

static void added_to_an_empty_crontab(void **unused)
{
    const struct oa_cron_job jobs[] = {{EVERY, "ntpdate time.apple.com"}};

    merge("", jobs, 1, OA_CRON_MARKER "\n* * * * * ntpdate time.apple.com\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_ADDED});
}

static void present_is_a_no_op(void **unused)
{
    const struct oa_cron_job jobs[] = {
        {{"*/1", "*/2", "*/3", "*/4", "*/5"}, "echo toto >> /tmp/toto.cron 2>&1"}};
    const char *text = "MAILTO=root\n# a comment\n"
                       "*/1  */2 */3\t*/4 */5   echo toto >> /tmp/toto.cron 2>&1  \n";

    merge(text, jobs, 1, text, 0, (enum oa_cron_outcome[]){OA_CRON_PRESENT});
}

static void schedule_rewritten_in_place(void **unused)
{
    const struct oa_cron_job jobs[] = {{{"0", "3", "*", "*", "*"}, "backup --all"},
                                       {EVERY, "date > /tmp/d"}};

    merge("# keep\n5 * * * * other\n*/5 * * * * backup --all\n@daily date > /tmp/d\nA=1\n", jobs, 2,
          "# keep\n5 * * * * other\n0 3 * * * backup --all\n* * * * * date > /tmp/d\nA=1\n", 2,
          (enum oa_cron_outcome[]){OA_CRON_UPDATED, OA_CRON_UPDATED});
}

static void markers(void **unused)
{
    const struct oa_cron_job jobs[] = {{EVERY, "new job"}};

    /* The original's marker is reused: new lines go at the end. */
    merge("1 * * * * mine\n" OA_CRON_SALT_MARKER "\n2 * * * * salt job\n", jobs, 1,
          "1 * * * * mine\n" OA_CRON_SALT_MARKER "\n2 * * * * salt job\n* * * * * new job\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_ADDED});
    merge(OA_CRON_MARKER "\n", jobs, 1, OA_CRON_MARKER "\n* * * * * new job\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_ADDED});
    /* A last line without its newline gets one before the marker. */
    merge("1 * * * * mine", jobs, 1, "1 * * * * mine\n" OA_CRON_MARKER "\n* * * * * new job\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_ADDED});
}

static void only_the_command_part_matches(void **unused)
{
    const struct oa_cron_job jobs[] = {{EVERY, "run"}, {EVERY, "echo 50% done"}};

    /* A comment, a variable and a longer command are not the job. */
    merge("# * * * * * run\nrun=1\n* * * * * run twice\n", jobs, 2,
          "# * * * * * run\nrun=1\n* * * * * run twice\n" OA_CRON_MARKER
          "\n* * * * * run\n* * * * * echo 50% done\n",
          2, (enum oa_cron_outcome[]){OA_CRON_ADDED, OA_CRON_ADDED});
}

static void repeated_commands(void **unused)
{
    const struct oa_cron_job jobs[] = {{EVERY, "a"}, {{"1", "*", "*", "*", "*"}, "a"}};

    /* The same command twice in the recipe: the first one decides. */
    merge("", jobs, 2, OA_CRON_MARKER "\n* * * * * a\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_ADDED, OA_CRON_ADDED});
    merge("* * * * * a\n", jobs, 2, "* * * * * a\n", 0,
          (enum oa_cron_outcome[]){OA_CRON_PRESENT, OA_CRON_PRESENT});
    /* Two entries of one command: both follow the recipe. */
    merge("1 * * * * a\n2 * * * * a\n", jobs, 1, "* * * * * a\n* * * * * a\n", 1,
          (enum oa_cron_outcome[]){OA_CRON_UPDATED});
}

static void too_big(void **unused)
{
    const struct oa_cron_job jobs[] = {{EVERY, "a long command line"}};
    enum oa_cron_outcome outcomes[1];
    struct oa_buf b;

    oa_buf_init(&b, 16);
    assert_int_equal(oa_cron_merge("", jobs, 1, &b, outcomes), OA_ETOOBIG);
    oa_buf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields),
        cmocka_unit_test(added_to_an_empty_crontab),
        cmocka_unit_test(present_is_a_no_op),
        cmocka_unit_test(schedule_rewritten_in_place),
        cmocka_unit_test(markers),
        cmocka_unit_test(only_the_command_part_matches),
        cmocka_unit_test(repeated_commands),
        cmocka_unit_test(too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
