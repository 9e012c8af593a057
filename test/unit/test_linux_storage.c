/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for builtins/mnttab.h, the mount-table text behind linux.mount
 * and linux.mkfs (modules.md §10.1, §10.2): octal escapes, mountinfo lines
 * (optional fields, escapes, malformed lines skipped), fstab lines (comments,
 * blanks, tabs, escapes, missing dump/pass), the fstab edit (append, keep,
 * rewrite, duplicates dropped, the real path as a second name, every other
 * byte kept, the k-th allocation failing) and the comparison of wanted mount
 * options with the ones a mounted filesystem shows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "mem.h"
#include "mnttab.h"

static void test_unescape(void **state)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"plain", "plain"},
        {"/mnt/my\\040disk", "/mnt/my disk"},
        {"a\\011b\\012c", "a\tb\nc"},
        {"back\\134slash", "back\\slash"},
        {"\\043start", "#start"},
        {"not\\08octal", "not\\08octal"},
        {"too\\400big", "too\\400big"},
        {"short\\04", "short\\04"},
        {"end\\", "end\\"},
        {"", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", rows[i].in);
        oa_mnttab_unescape(buf);
        assert_string_equal(buf, rows[i].out);
    }
}

static void test_mountinfo_line(void **state)
{
    char line[] = "36 35 98:0 /mnt1 /mnt/my\\040data rw,noatime master:1 shared:2 - ext3 "
                  "/dev/root rw,errors=continue";
    char bare[] = "64 43 7:0 / /srv rw,relatime - ext4 /dev/loop0 rw";
    char empty_source[] = "70 43 0:50 / /x rw - tmpfs  rw,size=1024k";
    struct oa_mountinfo m;

    (void)state;
    assert_int_equal(oa_mnttab_parse_mountinfo(line, &m), 0);
    assert_int_equal(m.major, 98);
    assert_int_equal(m.minor, 0);
    assert_string_equal(m.root, "/mnt1");
    assert_string_equal(m.target, "/mnt/my data");
    assert_string_equal(m.opts, "rw,noatime");
    assert_string_equal(m.fstype, "ext3");
    assert_string_equal(m.source, "/dev/root");
    assert_string_equal(m.super_opts, "rw,errors=continue");

    assert_int_equal(oa_mnttab_parse_mountinfo(bare, &m), 0);
    assert_int_equal(m.major, 7);
    assert_string_equal(m.target, "/srv");
    assert_string_equal(m.source, "/dev/loop0");

    assert_int_equal(oa_mnttab_parse_mountinfo(empty_source, &m), 0);
    assert_string_equal(m.source, "");
    assert_string_equal(m.super_opts, "rw,size=1024k");
}

static void test_mountinfo_malformed(void **state)
{
    static const char *const rows[] = {
        "",
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw",
        "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root",
        "36 35 98-0 / /mnt rw - ext3 /dev/root rw",
        "36 35 x:0 / /mnt rw - ext3 /dev/root rw",
        "36 35 98:99999999999 / /mnt rw - ext3 /dev/root rw",
        "36 35 98:0 / /mnt",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[128];
        struct oa_mountinfo m;
        snprintf(buf, sizeof(buf), "%s", rows[i]);
        assert_int_equal(oa_mnttab_parse_mountinfo(buf, &m), -EINVAL);
    }
}

static void test_mountinfo_iteration(void **state)
{
    char text[] = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                  "garbage line\n"
                  "\n"
                  "2 1 0:5 / /dev rw,nosuid - devtmpfs udev rw\n"
                  "3 1 8:2 / /home rw - ext4 /dev/sda2 rw";
    const char *targets[] = {"/", "/dev", "/home"};
    struct oa_mountinfo m;
    char *cursor = text;
    size_t n = 0;

    (void)state;
    while (oa_mnttab_next_mountinfo(&cursor, &m)) {
        assert_true(n < 3);
        assert_string_equal(m.target, targets[n++]);
    }
    assert_int_equal(n, 3);
    assert_false(oa_mnttab_next_mountinfo(&cursor, &m));
}

static void test_split_fstab(void **state)
{
    char comment[] = "  # /etc/fstab: static file system information.";
    char blank[] = " \t ";
    char full[] = "UUID=ab-cd\t/srv/my\\040data  ext4 defaults,noatime 0\t2 extra";
    char short_line[] = "/dev/sdb1 /data ext4 rw";
    char *f[OA_FSTAB_FIELDS];

    (void)state;
    assert_int_equal(oa_mnttab_split_fstab(comment, f), 0);
    assert_int_equal(oa_mnttab_split_fstab(blank, f), 0);
    assert_int_equal(oa_mnttab_split_fstab(full, f), 6);
    assert_string_equal(f[0], "UUID=ab-cd");
    assert_string_equal(f[1], "/srv/my data");
    assert_string_equal(f[2], "ext4");
    assert_string_equal(f[3], "defaults,noatime");
    assert_string_equal(f[4], "0");
    assert_string_equal(f[5], "2");
    assert_int_equal(oa_mnttab_split_fstab(short_line, f), 4);
    assert_string_equal(f[3], "rw");
}

static bool matches(const char *line, const struct oa_fstab_entry *want)
{
    char buf[256], *f[OA_FSTAB_FIELDS];
    size_t n;

    snprintf(buf, sizeof(buf), "%s", line);
    n = oa_mnttab_split_fstab(buf, f);
    return oa_mnttab_fstab_matches(f, n, want);
}

static void test_fstab_matches(void **state)
{
    const struct oa_fstab_entry want = {"/dev/xvdb", "/mnt/data", "ext3", "defaults", 0, 0};
    const struct oa_fstab_entry want2 = {"/dev/xvdb", "/mnt/data", "ext3", "defaults", 1, 2};

    (void)state;
    assert_true(matches("/dev/xvdb /mnt/data ext3 defaults 0 0", &want));
    assert_true(matches("/dev/xvdb\t/mnt/data/\text3\tdefaults", &want));
    assert_true(matches("/dev/xvdb /mnt/data ext3 defaults 0", &want));
    assert_true(matches("/dev/xvdb /mnt/data ext3 defaults 00 0", &want));
    assert_false(matches("/dev/xvdb /mnt/data ext3 defaults 1 0", &want));
    assert_false(matches("/dev/xvdb /mnt/data ext3 defaults x 0", &want));
    assert_false(matches("/dev/xvdc /mnt/data ext3 defaults 0 0", &want));
    assert_false(matches("/dev/xvdb /mnt/data ext4 defaults 0 0", &want));
    assert_false(matches("/dev/xvdb /mnt/data ext3 noatime 0 0", &want));
    assert_false(matches("/dev/xvdb /mnt/other ext3 defaults 0 0", &want));
    assert_false(matches("/dev/xvdb /mnt/data ext3", &want));
    assert_false(matches("# /dev/xvdb /mnt/data ext3 defaults 0 0", &want));
    assert_true(matches("/dev/xvdb /mnt/data ext3 defaults 1 2", &want2));
    assert_false(matches("/dev/xvdb /mnt/data ext3 defaults 1", &want2));
}

static void test_format_fstab(void **state)
{
    const struct oa_fstab_entry plain = {"UUID=1234", "/mnt/data/", "xfs", "noatime,nofail", 0, 2};
    const struct oa_fstab_entry odd = {"#dev", "/mnt/my disk", "none", "bind", 0, 0};
    const struct oa_fstab_entry root = {"/dev/sda1", "/", "ext4", "errors=remount-ro", 0, 1};
    struct oa_buf b;

    (void)state;
    oa_buf_init(&b, 4096);
    assert_int_equal(oa_mnttab_format_fstab(&plain, &b), 0);
    assert_string_equal(b.data, "UUID=1234 /mnt/data xfs noatime,nofail 0 2\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mnttab_format_fstab(&odd, &b), 0);
    assert_string_equal(b.data, "\\043dev /mnt/my\\040disk none bind 0 0\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mnttab_format_fstab(&root, &b), 0);
    assert_string_equal(b.data, "/dev/sda1 / ext4 errors=remount-ro 0 1\n");
    oa_buf_done(&b);

    /* What is written reads back as the same entry. */
    char line[128], *f[OA_FSTAB_FIELDS];
    oa_buf_init(&b, 4096);
    assert_int_equal(oa_mnttab_format_fstab(&odd, &b), 0);
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(b.data, "\n"), b.data);
    assert_true(oa_mnttab_fstab_matches(f, oa_mnttab_split_fstab(line, f), &odd));
    oa_buf_done(&b);
}

/* Runs the edit; returns the new text (static storage). */
static const char *edit(const char *text, const struct oa_fstab_entry *want, const char *alt,
                        struct oa_fstab_edit *ed)
{
    static char result[4096];
    struct oa_buf b;

    oa_buf_init(&b, 65536);
    assert_int_equal(oa_mnttab_fstab_edit(text, strlen(text), want, alt, &b, ed), 0);
    snprintf(result, sizeof(result), "%s", b.data ? b.data : "");
    oa_buf_done(&b);
    return result;
}

static const struct oa_fstab_entry data_entry = {"/dev/xvdb", "/mnt/data", "ext3",
                                                 "defaults",  0,           0};

static void test_edit_append(void **state)
{
    struct oa_fstab_edit ed;

    (void)state;
    assert_string_equal(edit("", &data_entry, NULL, &ed),
                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_ADDED);
    assert_int_equal(ed.removed, 0);
    /* A last line without its newline gets one before the new line. */
    assert_string_equal(edit("# fstab\n/dev/sda1 / ext4 defaults 0 1", &data_entry, NULL, &ed),
                        "# fstab\n/dev/sda1 / ext4 defaults 0 1\n"
                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_ADDED);
    /* A commented-out line for the mount point does not count. */
    assert_string_equal(edit("#/dev/xvdb /mnt/data ext3 defaults 0 0\n", &data_entry, NULL, &ed),
                        "#/dev/xvdb /mnt/data ext3 defaults 0 0\n"
                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_ADDED);
}

static void test_edit_keep(void **state)
{
    const char *text = "# <file system> <mount point> <type> <options> <dump> <pass>\n"
                       "/dev/sda1\t/\text4\terrors=remount-ro 0 1\n"
                       "\n"
                       "/dev/xvdb   /mnt/data/   ext3   defaults\n"
                       "tmpfs /tmp tmpfs size=10m 0 0";
    struct oa_fstab_edit ed;

    (void)state;
    /* Same fields, other spacing, dump and pass left out: kept byte for byte. */
    assert_string_equal(edit(text, &data_entry, NULL, &ed), text);
    assert_int_equal(ed.change, OA_FSTAB_UNCHANGED);
    assert_int_equal(ed.removed, 0);
}

static void test_edit_replace(void **state)
{
    const struct oa_fstab_entry want = {"UUID=77", "/mnt/data", "ext4", "noatime", 0, 2};
    struct oa_fstab_edit ed;

    (void)state;
    assert_string_equal(edit("# top\n"
                             "/dev/xvdb /mnt/data ext3 defaults 0 0\n"
                             "/dev/sda1 / ext4 defaults 0 1\n"
                             "/dev/xvdc /mnt/data/ ext3 defaults 0 0\n"
                             "# bottom\n"
                             "/dev/xvdd /mnt/data xfs defaults 0 0\n",
                             &want, NULL, &ed),
                        "# top\n"
                        "UUID=77 /mnt/data ext4 noatime 0 2\n"
                        "/dev/sda1 / ext4 defaults 0 1\n"
                        "# bottom\n");
    assert_int_equal(ed.change, OA_FSTAB_REPLACED);
    assert_int_equal(ed.removed, 2);
    assert_string_equal(ed.before, "/dev/xvdb /mnt/data ext3 defaults 0 0");

    /* The first line is right, a later duplicate goes. */
    assert_string_equal(edit("/dev/xvdb /mnt/data ext3 defaults 0 0\n"
                             "/dev/xvdc /mnt/data ext3 defaults 0 0\n",
                             &data_entry, NULL, &ed),
                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_UNCHANGED);
    assert_int_equal(ed.removed, 1);

    /* A line without its newline at the end is rewritten with one. */
    assert_string_equal(edit("/dev/xvdb /mnt/data ext2 defaults", &data_entry, NULL, &ed),
                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_REPLACED);
}

static void test_edit_alt_path(void **state)
{
    const struct oa_fstab_entry want = {"/srv/vol", "/data", "none", "bind", 0, 0};
    struct oa_fstab_edit ed;

    (void)state;
    /* /data is a symlink to /export/data: a line naming either is the one. */
    assert_string_equal(edit("/srv/old /export/data none bind 0 0\n", &want, "/export/data", &ed),
                        "/srv/vol /data none bind 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_REPLACED);
    assert_string_equal(edit("/srv/old /export/data none bind 0 0\n", &want, NULL, &ed),
                        "/srv/old /export/data none bind 0 0\n/srv/vol /data none bind 0 0\n");
    assert_int_equal(ed.change, OA_FSTAB_ADDED);
}

static void test_edit_long_line(void **state)
{
    char text[2048];
    struct oa_fstab_edit ed;

    (void)state;
    memset(text, 'o', 1000);
    memcpy(text, "/dev/", 5);
    snprintf(text + 1000, sizeof(text) - 1000, " /mnt/data ext4 defaults 0 0\n");
    edit(text, &data_entry, NULL, &ed);
    assert_int_equal(ed.change, OA_FSTAB_REPLACED);
    assert_int_equal(strlen(ed.before), sizeof(ed.before) - 1);
}

static void test_edit_alloc_failures(void **state)
{
    const char *text = "# fstab\n/dev/sda1 / ext4 defaults 0 1\n/dev/xvdb /mnt/data ext2 ro\n";
    unsigned long k;

    (void)state;
    for (k = 1; k < 1000; k++) {
        struct oa_fstab_edit ed;
        struct oa_buf b;
        int r;

        oa_buf_init(&b, 65536);
        oa_mem_fail_after(k);
        r = oa_mnttab_fstab_edit(text, strlen(text), &data_entry, NULL, &b, &ed);
        oa_mem_fail_after(0);
        if (r == 0) {
            assert_string_equal(b.data, "# fstab\n/dev/sda1 / ext4 defaults 0 1\n"
                                        "/dev/xvdb /mnt/data ext3 defaults 0 0\n");
            oa_buf_done(&b);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        oa_buf_done(&b);
    }
    assert_true(k > 1);
    assert_true(k < 1000);
}

static void test_edit_cap(void **state)
{
    struct oa_fstab_edit ed;
    struct oa_buf b;

    (void)state;
    oa_buf_init(&b, 10);
    assert_int_equal(oa_mnttab_fstab_edit("", 0, &data_entry, NULL, &b, &ed), OA_ETOOBIG);
    oa_buf_done(&b);
}

static void test_opts(void **state)
{
    static const struct {
        const char *wanted, *mnt, *super, *missing;
        size_t count;
    } rows[] = {
        {"defaults", "rw,relatime", "rw", "", 0},
        {"defaults,nofail,noauto,user,_netdev,x-systemd.automount,comment=x", "rw,relatime", "rw",
         "", 0},
        /* ro/rw of a bind mount: per mount, whatever the superblock says. */
        {"bind,ro", "ro,relatime", "rw,errors=remount-ro", "", 0},
        {"bind,rw", "ro,relatime", "rw", "rw", 1},
        {"loop,noatime", "rw,noatime", "rw", "", 0},
        {"noatime", "rw,relatime", "rw", "noatime", 1},
        {"noexec,nosuid,nodev", "rw,nosuid,nodev,noexec,relatime", "rw", "", 0},
        {"noexec,nosuid", "rw,nodev,relatime", "rw", "noexec,nosuid", 2},
        /* Defaults show as the absence of their "no" form. */
        {"exec,suid,dev,async", "rw,relatime", "rw", "", 0},
        {"exec", "rw,noexec", "rw", "exec", 1},
        {"async", "rw", "rw,sync", "async", 1},
        {"sync", "rw", "rw,sync", "", 0},
        {"strictatime", "rw", "rw", "", 0},
        {"strictatime", "rw,relatime", "rw", "strictatime", 1},
        /* Filesystem options are in the superblock's list. */
        {"errors=remount-ro", "rw,relatime", "rw,errors=remount-ro", "", 0},
        {"errors=panic", "rw,relatime", "rw,errors=remount-ro", "errors=panic", 1},
        {"size=10m", "rw", "rw,size=10240k", "size=10m", 1},
        {"ro,,noatime", "ro,noatime", "ro", "", 0},
        {"", "rw", "rw", "", 0},
    };
    char buf[128];

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t n =
            oa_mnttab_opts_missing(rows[i].wanted, rows[i].mnt, rows[i].super, buf, sizeof(buf));
        assert_string_equal(buf, rows[i].missing);
        assert_int_equal(n, rows[i].count);
    }
    /* A buffer too small: cut, still counted. */
    assert_int_equal(oa_mnttab_opts_missing("noexec,nosuid,nodev", "rw", "rw", buf, 8), 3);
    assert_string_equal(buf, "noexec,");
    assert_int_equal(oa_mnttab_opts_missing("noexec", "rw", "rw", buf, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_mountinfo_line),
        cmocka_unit_test(test_mountinfo_malformed),
        cmocka_unit_test(test_mountinfo_iteration),
        cmocka_unit_test(test_split_fstab),
        cmocka_unit_test(test_fstab_matches),
        cmocka_unit_test(test_format_fstab),
        cmocka_unit_test(test_edit_append),
        cmocka_unit_test(test_edit_keep),
        cmocka_unit_test(test_edit_replace),
        cmocka_unit_test(test_edit_alt_path),
        cmocka_unit_test(test_edit_long_line),
        cmocka_unit_test(test_edit_alloc_failures),
        cmocka_unit_test(test_edit_cap),
        cmocka_unit_test(test_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
