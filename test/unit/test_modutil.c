/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers every module uses in the child: os-release parsing and the
 * distribution gate, atomic file writes and mode parsing, finding and
 * running tools with their output captured, streamed or merged, and an
 * input on stdin.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "osinfo.h"
#include "tool.h"

static void os_release_families(void **unused)
{
    static const struct {
        const char *text;
        enum oa_os_family family;
    } cases[] = {
        {"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
         OA_OS_DEBIAN},
        {"ID=ubuntu\nID_LIKE=debian\n", OA_OS_DEBIAN},
        {"ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", OA_OS_DEBIAN},
        {"ID=\"centos\"\nID_LIKE=\"rhel fedora\"\n", OA_OS_RHEL},
        {"ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n", OA_OS_RHEL},
        {"ID=rocky\nID_LIKE=\"rhel centos fedora\"\n", OA_OS_RHEL},
        {"ID=alpine\n", OA_OS_UNKNOWN},
        {"", OA_OS_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct oa_osinfo os = {0};
        oa_osinfo_parse(cases[i].text, &os);
        if (os.family != cases[i].family)
            fail_msg("case %zu: family %d", i, os.family);
    }
}

static void the_distribution_gate(void **unused)
{
    struct oa_osinfo os = {0};
    char why[256];

    oa_osinfo_parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", &os);
    assert_string_equal(os.pretty, "Debian GNU/Linux 12 (bookworm)");
    assert_true(oa_osinfo_allows(&os, OA_OS_DEBIAN, "linux.apt.package", why, sizeof(why)));
    assert_false(oa_osinfo_allows(&os, OA_OS_RHEL, "linux.yum.package", why, sizeof(why)));
    assert_string_equal(
        why, "module linux.yum.package is not available on Debian GNU/Linux 12 (bookworm)");
}

static void atomic_writes(void **unused)
{
    char dir[] = "/tmp/oa-modutil.XXXXXX", path[256], why[256], buf[64];
    struct stat st;
    FILE *f;
    size_t n;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/file", dir);
    assert_int_equal(
        oa_fs_write_atomic(path, "hello\n", 6, 0640, (uid_t)-1, (gid_t)-1, why, sizeof(why)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    f = fopen(path, "r");
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_memory_equal(buf, "hello\n", n);
    /* A directory that is not there: the failure names the path and step. */
    assert_int_equal(oa_fs_write_atomic("/nonexistent/dir/file", "x", 1, 0644, (uid_t)-1, (gid_t)-1,
                                        why, sizeof(why)),
                     -ENOENT);
    assert_string_equal(why, "/nonexistent/dir/file: cannot create a temporary file: No such file "
                             "or directory");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0); /* nothing else was left behind */
}

static void modes(void **unused)
{
    mode_t m;

    assert_int_equal(oa_fs_parse_mode("644", &m), 0);
    assert_int_equal(m, 0644);
    assert_int_equal(oa_fs_parse_mode("0600", &m), 0);
    assert_int_equal(m, 0600);
    assert_int_equal(oa_fs_parse_mode("2755", &m), 0);
    assert_int_equal(m, 02755);
    assert_int_equal(oa_fs_parse_mode("0x1ff", &m), -EINVAL);
    assert_int_equal(oa_fs_parse_mode("888", &m), -EINVAL);
    assert_int_equal(oa_fs_parse_mode("", &m), -EINVAL);
    assert_int_equal(oa_fs_parse_mode("077777", &m), -EINVAL);
}

static void tools(void **unused)
{
    char path[4096], why[256];
    char *echo[] = {"sh", "-c", "echo \"$GREETING\"; echo to-stderr >&2; exit 3", NULL};
    const char *env[] = {"GREETING=hi there", NULL};
    char *missing[] = {"no-such-tool-here", NULL};
    struct oa_buf out;
    int status;

    assert_non_null(oa_tool_which("sh", path, sizeof(path)));
    assert_null(oa_tool_which("no-such-tool-here", path, sizeof(path)));
    oa_buf_init(&out, 1024);
    assert_int_equal(oa_tool_exec(echo, env, &out, &status, why, sizeof(why)), 0);
    assert_false(oa_tool_ok(status));
    assert_string_equal(oa_tool_status_text(status, why, sizeof(why)), "exited with status 3");
    assert_string_equal(out.data, "hi there\n");
    assert_int_equal(oa_tool_exec(missing, NULL, NULL, &status, why, sizeof(why)), -ENOENT);
    assert_string_equal(why, "no-such-tool-here is not installed");
    oa_buf_done(&out);
}

static void collect(void *arg, const char *data, size_t len)
{
    assert_int_equal(oa_buf_append(arg, data, len), 0);
}

/* struct oa_tool's options: a text on stdin (a tool that never reads a
 * large one does not block), stderr merged in order, the output handed to
 * the module as it arrives, and /dev/null on stdin by default. */
static void tool_options(void **unused)
{
    char *reader[] = {"sh", "-c", "read -r a; echo \"got $a\"; echo err >&2; cat", NULL};
    char *ignorer[] = {"true", NULL};
    char *cat[] = {"cat", NULL};
    struct oa_buf out, seen;
    size_t big_len = 1u << 20;
    char why[256], *big = malloc(big_len + 1);
    int status;

    assert_non_null(big);
    oa_buf_init(&out, 1024);
    struct oa_tool t = {
        .argv = reader, .capture = &out, .input = "s3cret\nrest\n", .merge_stderr = true};
    assert_int_equal(oa_tool_exec_opts(&t, NULL, &status, why, sizeof(why)), 0);
    assert_true(oa_tool_ok(status));
    assert_string_equal(out.data, "got s3cret\nerr\nrest\n");

    memset(big, 'x', big_len);
    big[big_len] = '\0';
    struct oa_tool quiet = {.argv = ignorer, .input = big};
    assert_int_equal(oa_tool_exec_opts(&quiet, NULL, &status, why, sizeof(why)), 0);
    assert_true(oa_tool_ok(status));

    oa_buf_init(&seen, 1024);
    struct oa_tool streamed = {.argv = reader,
                               .input = "pw\n",
                               .merge_stderr = true,
                               .on_output = collect,
                               .output_arg = &seen};
    assert_int_equal(oa_tool_exec_opts(&streamed, NULL, &status, why, sizeof(why)), 0);
    assert_string_equal(seen.data, "got pw\nerr\n");

    oa_buf_reset(&out);
    struct oa_tool empty = {.argv = cat, .capture = &out};
    assert_int_equal(oa_tool_exec_opts(&empty, NULL, &status, why, sizeof(why)), 0);
    assert_true(oa_tool_ok(status));
    assert_int_equal(out.len, 0);
    oa_buf_done(&seen);
    oa_buf_done(&out);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(os_release_families),
        cmocka_unit_test(the_distribution_gate),
        cmocka_unit_test(atomic_writes),
        cmocka_unit_test(modes),
        cmocka_unit_test(tools),
        cmocka_unit_test(tool_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
