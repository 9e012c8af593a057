/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.git, common.archive and common.pip.package and
 * of their shared helpers: URL masking, the reason kept from a failing
 * tool, GIT_SSH_COMMAND's quoting (checked by letting /bin/sh split it),
 * archive formats, checksums and their storage key, extraction argv
 * (including unrar, which this Debian host cannot exercise), pip name and
 * version comparison and the parsing of pip's output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "common_archive.h"
#include "common_git.h"
#include "common_pip.h"
#include "common_sources.h"
#include "fetch.h"
#include "tool.h"

static void urls_lose_their_password(void **unused)
{
    char buf[256], secret[64];

    assert_string_equal(oa_common_sources_mask_url("https://me:pw@host/x?a=b@c", buf, sizeof(buf)),
                        "https://me:***@host/x?a=b@c");
    assert_string_equal(oa_common_sources_url_secret("https://me:pw@host/x", secret, 64), "pw");
    assert_string_equal(oa_common_sources_mask_url("https://me@host/x", buf, sizeof(buf)),
                        "https://me@host/x");
    assert_string_equal(oa_common_sources_url_secret("https://me@host/x", secret, 64), "");
    assert_string_equal(oa_common_sources_mask_url("file:///srv/a@b", buf, sizeof(buf)),
                        "file:///srv/a@b");
    assert_string_equal(oa_common_sources_url_secret("git@host:repo.git", secret, 64), "");
    assert_string_equal(oa_common_sources_mask("fatal: 'https://me:pw@h' pw", "pw", buf, 256),
                        "fatal: 'https://me:***@h' ***");
    assert_string_equal(oa_common_sources_mask("no secret", "", buf, 256), "no secret");
    assert_string_equal(oa_common_sources_mask("abcdef", NULL, buf, 4), "abc");
    /* A download's messages also hide the query (a signature, a token). */
    assert_string_equal(oa_fetch_shown_url("https://me:pw@host/x?sig=s3cr3t", buf, sizeof(buf)),
                        "https://me:***@host/x?…");
    assert_string_equal(oa_fetch_shown_url("http://host/x", buf, sizeof(buf)), "http://host/x");
    assert_string_equal(oa_fetch_shown_url("http://h/x?abc", buf, 12), "http://h/x");
}

static void the_reason_is_the_first_error_line(void **unused)
{
    static const struct {
        const char *lines[4];
        const char *reason;
    } cases[] = {
        {{"Cloning into 'x'...\n", "warning: redirecting\n", "fatal: not found\n", NULL},
         "fatal: not found"},
        {{"WARNING: old pip\n", "ERROR: No matching distribution\n", "ERROR: second\n", NULL},
         "ERROR: No matching distribution"},
        {{"\n", "gzip: stdin: not in gzip format\n", "tar: Child returned status 1\n", NULL},
         "gzip: stdin: not in gzip format"},
        {{"hint: use --force\n", "warning: nothing\n", NULL}, ""},
        {{"pulling from /srv/x\n", "abort: repository /srv/x not found\n", NULL},
         "abort: repository /srv/x not found"},
        {{"Updating 'wc':\n", "svn: warning: W155010: x\n", "svn: E160006: No such revision 9\n",
          NULL},
         "svn: E160006: No such revision 9"},
        {{"error: pathspec 'x' did not match\r\n", NULL}, "error: pathspec 'x' did not match"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char reason[128] = "";
        struct oa_common_sources_reason r = {reason, sizeof(reason), false};
        for (size_t k = 0; cases[i].lines[k]; k++)
            oa_common_sources_reason_feed(&r, cases[i].lines[k]);
        if (strcmp(reason, cases[i].reason) != 0)
            fail_msg("case %zu: '%s'", i, reason);
    }
}

/* Runs /bin/sh -c '<cmd> "$@"' with a printer for ssh, as git does with
 * GIT_SSH_COMMAND, and returns what the printer saw. */
static void shell_split(const char *cmd, struct oa_buf *out)
{
    char script[4096];
    char *argv[] = {"sh", "-c", script, NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    char why[256];
    int status;

    snprintf(script, sizeof(script), "ssh() { printf '[%%s]\\n' \"$@\"; }; %s host cmd", cmd);
    struct oa_tool t = {.path = "/bin/sh", .argv = argv, .envp = envp, .capture = out};
    assert_int_equal(oa_tool_run(&t, &status, why, sizeof(why)), 0);
    assert_true(oa_tool_ok(status));
}

static void ssh_command_quotes_the_key(void **unused)
{
    static const char *const keys[] = {"/root/.ssh/id_rsa", "/k/my key's \"file\"",
                                       "/k/$(touch x)`id`;|&*?", "/k/'", "/k/\\n"};
    char cmd[1024], expected[1024];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct oa_buf out;
        assert_int_equal(oa_common_git_ssh_command(keys[i], cmd, sizeof(cmd)), 0);
        oa_buf_init(&out, 65536);
        shell_split(cmd, &out);
        snprintf(expected, sizeof(expected),
                 "[-i]\n[%s]\n[-o]\n[StrictHostKeyChecking=no]\n[-o]\n"
                 "[PasswordAuthentication=no]\n[-o]\n[KbdInteractiveAuthentication=no]\n[-o]\n"
                 "[BatchMode=yes]\n[host]\n[cmd]\n",
                 keys[i]);
        assert_string_equal(out.data, expected);
        oa_buf_done(&out);
    }
    assert_int_equal(oa_common_git_ssh_command("/k/a\nb", cmd, sizeof(cmd)), -EINVAL);
    assert_int_equal(oa_common_git_ssh_command("/k/a", cmd, 20), -ENAMETOOLONG);
}

static void git_revisions_and_ls_remote(void **unused)
{
    char sha[65];

    assert_true(oa_common_git_revision_ok("master"));
    assert_true(oa_common_git_revision_ok("v1.2.3"));
    assert_true(oa_common_git_revision_ok("feature/x"));
    assert_true(oa_common_git_revision_ok("0123abc"));
    assert_false(oa_common_git_revision_ok(""));
    assert_false(oa_common_git_revision_ok("-b"));
    assert_false(oa_common_git_revision_ok("--upload-pack=x"));
    assert_false(oa_common_git_revision_ok("a b"));
    assert_false(oa_common_git_revision_ok("a..b"));
    assert_false(oa_common_git_revision_ok("a\nb"));
    assert_string_equal(
        oa_common_git_ls_remote_sha("0123456789abcdef0123456789abcdef01234567\trefs/heads/main\n",
                                    sha, sizeof(sha)),
        "0123456789abcdef0123456789abcdef01234567");
    assert_string_equal(oa_common_git_ls_remote_sha("", sha, sizeof(sha)), "");
    assert_string_equal(oa_common_git_ls_remote_sha("0123\trefs/heads/x\n", sha, sizeof(sha)), "");
}

static void archive_formats_by_suffix(void **unused)
{
    static const struct {
        const char *url;
        enum oa_archive_format fmt;
    } cases[] = {
        {"http://h/a.zip", OA_ARCHIVE_ZIP},
        {"https://h/p/a.ZIP?x=1.tar", OA_ARCHIVE_ZIP},
        {"http://h/a.rar", OA_ARCHIVE_RAR},
        {"http://h/a.tar", OA_ARCHIVE_TAR},
        {"http://h/a.tar.gz", OA_ARCHIVE_TAR_GZ},
        {"http://h/a.tgz#frag", OA_ARCHIVE_TAR_GZ},
        {"http://h/a.gz", OA_ARCHIVE_TAR_GZ},
        {"http://h/a.tar.bz2", OA_ARCHIVE_TAR_BZ},
        {"http://h/a.bz", OA_ARCHIVE_TAR_BZ},
        {"http://h/a.tbz", OA_ARCHIVE_TAR_BZ},
        {"http://h/a.7z", OA_ARCHIVE_UNSUPPORTED},
        {"http://h/a.tar.xz", OA_ARCHIVE_UNSUPPORTED},
        {"http://h/zip", OA_ARCHIVE_UNSUPPORTED},
        {"http://h/.zip", OA_ARCHIVE_UNSUPPORTED},
        {"http://h/dir.zip/", OA_ARCHIVE_UNSUPPORTED},
        {"http://h.zip", OA_ARCHIVE_UNSUPPORTED},
    };
    char name[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (oa_common_archive_format(cases[i].url) != cases[i].fmt)
            fail_msg("case %zu (%s): %d", i, cases[i].url, oa_common_archive_format(cases[i].url));
    assert_string_equal(oa_common_archive_name("http://h/p/a.zip?q=/x#f", name, 64), "a.zip");
    assert_string_equal(oa_common_archive_name("http://h/p/", name, 64), "");
    assert_string_equal(oa_common_archive_name("http://h", name, 64), "");
}

static void checksum_parameter_and_files(void **unused)
{
    static const char md5[] = "0123456789abcdef0123456789abcdef";
    char hex[33];

    assert_int_equal(oa_common_archive_checksum_param("md5:0123456789ABCDEF0123456789abcdef", hex),
                     0);
    assert_string_equal(hex, md5);
    assert_int_equal(oa_common_archive_checksum_param("md5=0123456789abcdef0123456789abcdef", hex),
                     0);
    assert_int_equal(oa_common_archive_checksum_param("http://h/a.md5", hex), 1);
    assert_int_equal(oa_common_archive_checksum_param("https://h/a.md5", hex), 1);
    assert_int_equal(oa_common_archive_checksum_param("md5:0123", hex), -EINVAL);
    assert_int_equal(oa_common_archive_checksum_param("sha1:0123", hex), -EINVAL);
    assert_int_equal(oa_common_archive_checksum_param(md5, hex), -EINVAL);

    static const char file[] = "# sums\n"
                               "ffffffffffffffffffffffffffffffff  other.zip\n"
                               "0123456789ABCDEF0123456789abcdef *wp.zip\n";
    assert_int_equal(oa_common_archive_sum_in_file(file, strlen(file), "wp.zip", hex), 0);
    assert_string_equal(hex, md5);
    assert_int_equal(oa_common_archive_sum_in_file(file, strlen(file), "none.zip", hex), 0);
    assert_string_equal(hex, "ffffffffffffffffffffffffffffffff");
    /* The bare sum of wordpress.org's .md5 files, no newline. */
    assert_int_equal(oa_common_archive_sum_in_file(md5, 32, "wp.zip", hex), 0);
    assert_string_equal(hex, md5);
    /* Longer hex (sha256) and embedded runs are not md5 sums. */
    static const char sha[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  wp.zip\n"
        "x0123456789abcdef0123456789abcdef\n";
    assert_int_equal(oa_common_archive_sum_in_file(sha, strlen(sha), "wp.zip", hex), -ENOENT);
}

static void sums_are_keyed_by_destination_and_name(void **unused)
{
    char a[512], b[512], c[512];

    assert_int_equal(oa_common_archive_sum_path("/var/lib/oa", "/srv/www", "wp.zip", a, 512), 0);
    assert_int_equal(oa_common_archive_sum_path("/var/lib/oa", "/srv/www", "wp2.zip", b, 512), 0);
    assert_int_equal(oa_common_archive_sum_path("/var/lib/oa", "/srv", "www\nwp.zip", c, 512), 0);
    assert_memory_equal(a, "/var/lib/oa/watch/archive-", 26);
    assert_int_equal(strlen(a), strlen("/var/lib/oa/watch/archive-") + 32 + 4);
    assert_string_not_equal(a, b);
    /* The same destination and name give the same file. */
    assert_int_equal(oa_common_archive_sum_path("/var/lib/oa", "/srv/www", "wp.zip", b, 512), 0);
    assert_string_equal(a, b);
    assert_int_equal(oa_common_archive_sum_path("/var/lib/oa", "/x", "y", a, 20), -ENAMETOOLONG);
    (void)c;
}

static void extraction_argv(void **unused)
{
    const char *argv[10];
    static const struct {
        enum oa_archive_format fmt;
        bool free_unrar;
        const char *joined;
    } cases[] = {
        {OA_ARCHIVE_ZIP, false, "unzip -o -q F -d D/"},
        {OA_ARCHIVE_RAR, false, "unrar x -o+ -- F D/"},
        {OA_ARCHIVE_RAR, true, "unrar --extract --force F D/"},
        {OA_ARCHIVE_TAR, false, "tar -x -f F -C D/"},
        {OA_ARCHIVE_TAR_GZ, false, "tar -x -z -f F -C D/"},
        {OA_ARCHIVE_TAR_BZ, false, "tar -x -j -f F -C D/"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char joined[128] = "";
        int n = oa_common_archive_argv(cases[i].fmt, cases[i].free_unrar, "F", "D/", argv, 10);
        assert_true(n > 0);
        assert_null(argv[n]);
        for (int k = 0; k < n; k++)
            snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", k ? " " : "",
                     argv[k]);
        assert_string_equal(joined, cases[i].joined);
    }
    assert_int_equal(oa_common_archive_argv(OA_ARCHIVE_UNSUPPORTED, false, "F", "D/", argv, 10),
                     -EINVAL);
    assert_int_equal(oa_common_archive_argv(OA_ARCHIVE_TAR_GZ, false, "F", "D/", argv, 4), -EINVAL);
}

static void pip_values_and_names(void **unused)
{
    assert_int_equal(oa_common_pip_want(""), OA_PIP_INSTALLED);
    assert_int_equal(oa_common_pip_want("latest"), OA_PIP_LATEST);
    assert_int_equal(oa_common_pip_want("Latest"), OA_PIP_LATEST);
    assert_int_equal(oa_common_pip_want("removed"), OA_PIP_REMOVED);
    assert_int_equal(oa_common_pip_want("1.2.3"), OA_PIP_VERSION);
    assert_int_equal(oa_common_pip_want(">=1.2"), OA_PIP_SPEC);
    assert_int_equal(oa_common_pip_want("~=1.2"), OA_PIP_SPEC);
    assert_int_equal(oa_common_pip_want("--index-url=x"), OA_PIP_INVALID);
    assert_int_equal(oa_common_pip_want("1.0 2.0"), OA_PIP_INVALID);

    assert_true(oa_common_pip_name_ok("supervisor"));
    assert_true(oa_common_pip_name_ok("zope.interface"));
    assert_true(oa_common_pip_name_ok("Flask_SQLAlchemy"));
    assert_true(oa_common_pip_name_ok("requests[security,socks]"));
    assert_false(oa_common_pip_name_ok("-r"));
    assert_false(oa_common_pip_name_ok("a b"));
    assert_false(oa_common_pip_name_ok("x/y"));
    assert_false(oa_common_pip_name_ok("requests[x"));
    assert_false(oa_common_pip_name_ok("name-"));
    assert_false(oa_common_pip_name_ok(""));

    assert_true(oa_common_pip_name_eq("Flask_SQLAlchemy", "flask-sqlalchemy"));
    assert_true(oa_common_pip_name_eq("zope.interface", "Zope-Interface"));
    assert_true(oa_common_pip_name_eq("a__b", "a-b"));
    assert_true(oa_common_pip_name_eq("requests[socks]", "requests"));
    assert_false(oa_common_pip_name_eq("flask", "flask-login"));
    assert_false(oa_common_pip_name_eq("ab", "a-b"));
}

static void pip_versions_and_output(void **unused)
{
    static const char freeze[] = "Flask==2.2.2\n"
                                 "oa_tiny==1.0\n"
                                 "zope.interface===5.5.2\r\n";
    static const char dry[] = "Looking in links: /w\n"
                              "Would install dep-0.1 oa-tiny-1.1 other.x-2\n";
    char ver[32], py[16];

    assert_true(oa_common_pip_freeze_find(freeze, "flask", ver, sizeof(ver)));
    assert_string_equal(ver, "2.2.2");
    assert_true(oa_common_pip_freeze_find(freeze, "OA-Tiny", ver, sizeof(ver)));
    assert_string_equal(ver, "1.0");
    assert_true(oa_common_pip_freeze_find(freeze, "zope-interface", ver, sizeof(ver)));
    assert_string_equal(ver, "5.5.2");
    assert_false(oa_common_pip_freeze_find(freeze, "flas", ver, sizeof(ver)));
    assert_false(oa_common_pip_freeze_find("", "flask", ver, sizeof(ver)));

    assert_true(oa_common_pip_version_eq("1.0", "1.0"));
    assert_true(oa_common_pip_version_eq("1.0", "1.0.0"));
    assert_true(oa_common_pip_version_eq("v2", "2.0"));
    assert_true(oa_common_pip_version_eq("1.0rc1", "1.0.0RC1"));
    assert_false(oa_common_pip_version_eq("1.0", "1.0.1"));
    assert_false(oa_common_pip_version_eq("1.0", "1.0rc1"));
    assert_false(oa_common_pip_version_eq("1.10", "1.1"));

    static const struct {
        const char *version, *spec;
        int want;
    } specs[] = {
        {"1.1", ">=1.1", 1},       {"1.0", ">=1.1", 0},     {"1.1", ">1.1", 0},
        {"1.2", ">1.1", 1},        {"1.1", "<=1.1.0", 1},   {"1.1", "<1.1", 0},
        {"1.1", "==1.1.0", 1},     {"1.1", "!=1.1", 0},     {"1.2", ">=1.0, !=1.1", 1},
        {"1.1", ">=1.0,!=1.1", 0}, {"2.1.5", "~=2.1", 1},   {"3.0", "~=2.1", 0},
        {"2.0", "~=2.1", 0},       {"2.1.5", "~=2.1.3", 1}, {"2.2.0", "~=2.1.3", 0},
        {"1.0rc1", ">=1.0", -1},   {"1.0", "==1.*", -1},    {"1.0", "===1.0", -1},
        {"1.0", "~=1", -1},        {"1.0", "", -1},         {"1.10", ">1.9", 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (oa_common_pip_spec_satisfied(specs[i].version, specs[i].spec) != specs[i].want)
            fail_msg("%s %s: %d", specs[i].version, specs[i].spec,
                     oa_common_pip_spec_satisfied(specs[i].version, specs[i].spec));

    assert_string_equal(oa_common_pip_python_version("pip 23.0.1 from /usr/lib/python3/dist-pac"
                                                     "kages/pip (python 3.11)\n",
                                                     py, sizeof(py)),
                        "3.11");
    assert_string_equal(oa_common_pip_python_version("pip 9", py, sizeof(py)), "");

    assert_true(oa_common_pip_would_install(dry, "oa_tiny", ver, sizeof(ver)));
    assert_string_equal(ver, "1.1");
    assert_true(oa_common_pip_would_install(dry, "other-x", ver, sizeof(ver)));
    assert_string_equal(ver, "2");
    assert_false(oa_common_pip_would_install(dry, "dep-0", ver, sizeof(ver)));
    assert_false(oa_common_pip_would_install("Requirement already satisfied", "x", ver, 32));
}

/* The tool's stderr reaches ours, masked, and its telling line is kept. */
static void run_keeps_the_reason(void **unused)
{
    char *argv[] = {"sh", "-c", "echo out; echo 'fatal: no https://u:pw@h' >&2; exit 3", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    char reason[256], text[4096];
    struct oa_buf out;
    int status, pipefd[2], saved;
    ssize_t n;

    oa_buf_init(&out, 4096);
    struct oa_tool t = {.path = "/bin/sh", .argv = argv, .envp = envp, .capture = &out};
    assert_int_equal(pipe(pipefd), 0);
    saved = dup(STDERR_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    assert_int_equal(oa_common_sources_run(&t, "pw", &status, reason, sizeof(reason)), 0);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(pipefd[1]);
    n = read(pipefd[0], text, sizeof(text) - 1);
    close(pipefd[0]);
    text[n > 0 ? n : 0] = '\0';
    assert_string_equal(out.data, "out\n");
    assert_string_equal(text, "fatal: no https://u:***@h\n");
    assert_string_equal(reason, "fatal: no https://u:***@h");
    assert_int_equal(WEXITSTATUS(status), 3);
    oa_common_sources_failure("git clone", status, reason, text, sizeof(text));
    assert_string_equal(text, "git clone exited with status 3: fatal: no https://u:***@h");
    oa_buf_done(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_lose_their_password),
        cmocka_unit_test(the_reason_is_the_first_error_line),
        cmocka_unit_test(ssh_command_quotes_the_key),
        cmocka_unit_test(git_revisions_and_ls_remote),
        cmocka_unit_test(archive_formats_by_suffix),
        cmocka_unit_test(checksum_parameter_and_files),
        cmocka_unit_test(sums_are_keyed_by_destination_and_name),
        cmocka_unit_test(extraction_argv),
        cmocka_unit_test(pip_values_and_names),
        cmocka_unit_test(pip_versions_and_output),
        cmocka_unit_test(run_keeps_the_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
