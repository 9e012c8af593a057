/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the pure parts of linux.raid (builtins/linux_raid.h,
 * modules.md §10.6): md device names, the mdadm --create command line
 * (arguments as {k, v} → --k=v and {k} → --k, spares, refusals), the
 * parsing of `mdadm --detail` output, and the edit of mdadm.conf (added,
 * kept by UUID, a stale line for the device replaced with its continuation
 * lines, comments and other bytes kept, no final newline).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "argv.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "linux_raid.h"
#include "modules.h"

static void params_of(const char *json, struct oa_params *ret)
{
    const struct oa_module *m = &oa_mod_linux_raid;
    struct oa_json *obj = NULL;
    char why[256];

    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &obj, why, sizeof(why)), 0);
    if (oa_params_parse(m->params, m->n_params, obj, ret, NULL, why, sizeof(why)) < 0)
        fail_msg("parameters rejected: %s", why);
    oa_json_free(obj);
}

static const char *create(const char *json, char *buf, size_t len)
{
    struct oa_params p;
    struct oa_argv a;
    char err[512];
    int r;

    params_of(json, &p);
    oa_argv_init(&a);
    r = oa_raid_create_argv(oa_params_str(&p, "device-name"), oa_params_str(&p, "level"),
                            oa_params_get(&p, "devices"), oa_params_get(&p, "arguments"), &a, err,
                            sizeof(err));
    if (r == 0)
        oa_argv_text(&a, buf, len);
    else
        snprintf(buf, len, "ERROR %d: %s", r == OA_ESCHEMA ? 1 : r, err);
    oa_argv_done(&a);
    oa_params_done(&p);
    return buf;
}

#define CREATE(json) create(json, text, sizeof(text))

static void test_device_names(void **state)
{
    static const char *const good[] = {"/dev/md0", "/dev/md127", "/dev/md/data", "/dev/md/a-b_c.1"};
    static const char *const bad[] = {"/dev/md",        "md0",        "/dev/sda",    "/dev/md0p1",
                                      "/dev/md/",       "/dev/md/.x", "/dev/md/a/b", "/dev/md/a b",
                                      "/dev/md1234567", "/dev/mdx"};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!oa_raid_device_ok(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (oa_raid_device_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

static void test_create_argv(void **state)
{
    char text[1024];

    (void)state;
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/loop0\", \"/dev/loop1\"]}"),
                        "mdadm --create /dev/md0 --run --force -l 1 -n 2 /dev/loop0 /dev/loop1");
    /* The dict in every encoding: {k, v} → --k=v, {k} alone → --k. */
    assert_string_equal(
        CREATE("{\"device-name\": \"/dev/md/data\", \"level\": \"raid5\","
               " \"devices\": [\"/dev/a\", \"/dev/b\", \"/dev/c\", \"/dev/d\"],"
               " \"arguments\": [{\"key\": \"chunk\", \"value\": \"64\"},"
               " {\"key\": \"assume-clean\"}, {\"key\": \"metadata\", \"value\": \"1.2\"},"
               " {\"key\": \"bitmap\", \"value\": null}, {\"key\": \"spare-devices\", \"value\": "
               "1}]}"),
        "mdadm --create /dev/md/data --run --force -l raid5 -n 3 --chunk=64 --assume-clean "
        "--metadata=1.2 --bitmap --spare-devices=1 /dev/a /dev/b /dev/c /dev/d");
    /* A dict as a list of plain keys (modules.md §1.1). */
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md2\", \"level\": \"1\", \"devices\": "
                               "[\"/dev/a\", \"/dev/b\"], \"arguments\": [\"assume-clean\"]}"),
                        "mdadm --create /dev/md2 --run --force -l 1 -n 2 --assume-clean /dev/a "
                        "/dev/b");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md1\", \"level\": 0, \"devices\": "
                               "\"/dev/a\", \"arguments\": {\"name\": \"x y\"}}"),
                        "mdadm --create /dev/md1 --run --force -l 0 -n 1 '--name=x y' /dev/a");
}

static void test_create_refused(void **state)
{
    char text[1024];

    (void)state;
    assert_string_equal(CREATE("{\"device-name\": \"/dev/sda\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\"]}"),
                        "ERROR 1: parameter 'device-name': '/dev/sda' is not an md device "
                        "(/dev/mdN)");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"-1\","
                               " \"devices\": [\"/dev/a\"]}"),
                        "ERROR 1: parameter 'level': '-1' is not a RAID level");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\", \"b\"]}"),
                        "ERROR 1: parameter 'devices': 'b' is not an absolute path");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\", \"/dev/a\"]}"),
                        "ERROR 1: parameter 'devices': /dev/a is given twice");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\"], \"arguments\": {\"-x\": \"1\"}}"),
                        "ERROR 1: parameter 'arguments': '-x' is not an mdadm option name");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\"], \"arguments\": {\"a=b\": \"1\"}}"),
                        "ERROR 1: parameter 'arguments': 'a=b' is not an mdadm option name");
    assert_string_equal(CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\","
                               " \"devices\": [\"/dev/a\"], \"arguments\": {\"level\": \"5\"}}"),
                        "ERROR 1: parameter 'arguments': --level is set by the module itself "
                        "(from 'device-name', 'level' and 'devices')");
    assert_string_equal(
        CREATE("{\"device-name\": \"/dev/md0\", \"level\": \"1\", \"devices\":"
               " [\"/dev/a\", \"/dev/b\"], \"arguments\": {\"spare-devices\": \"2\"}}"),
        "ERROR 1: parameter 'arguments': spare-devices '2' is not a number of "
        "spares smaller than the 2 devices");
}

static const char detail_text[] =
    "/dev/md0:\n"
    "           Version : 1.2\n"
    "     Creation Time : Mon Jan  1 00:00:00 2024\n"
    "        Raid Level : raid1\n"
    "        Array Size : 64512 (63.00 MiB 66.06 MB)\n"
    "     Used Dev Size : 64512 (63.00 MiB 66.06 MB)\n"
    "      Raid Devices : 2\n"
    "     Total Devices : 2\n"
    "       Persistence : Superblock is persistent\n"
    "\n"
    "             State : clean \n"
    "    Active Devices : 2\n"
    "Consistency Policy : resync\n"
    "\n"
    "              Name : vm:0  (local to host vm)\n"
    "              UUID : 4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d\n"
    "            Events : 17\n"
    "\n"
    "    Number   Major   Minor   RaidDevice State\n"
    "       0       7        0        0      active sync   /dev/loop0\n";

static void test_detail(void **state)
{
    struct oa_raid_detail d;

    (void)state;
    oa_raid_parse_detail(detail_text, &d);
    assert_string_equal(d.level, "raid1");
    assert_string_equal(d.state, "clean");
    assert_string_equal(d.uuid, "4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d");
    assert_int_equal(d.devices, 2);
    oa_raid_parse_detail(NULL, &d);
    assert_string_equal(d.level, "");
    assert_int_equal(d.devices, 0);
    oa_raid_parse_detail("Raid Devices : lots\nRaid Level:\n", &d);
    assert_int_equal(d.devices, 0);
    assert_string_equal(d.level, "");
}

#define LINE "ARRAY /dev/md0 metadata=1.2 name=vm:0 UUID=4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d"

/* The edit of text with LINE: its result and change. */
static const char *edit(const char *text, enum oa_raid_conf_change *change, struct oa_buf *out)
{
    oa_buf_done(out);
    oa_buf_init(out, 1 << 20);
    assert_int_equal(oa_raid_conf_edit(text, strlen(text), LINE "\n", out, change), 0);
    return out->data ? out->data : "";
}

static void test_conf_edit(void **state)
{
    enum oa_raid_conf_change ch;
    struct oa_buf out;

    (void)state;
    oa_buf_init(&out, 1 << 20);
    assert_string_equal(edit("", &ch, &out), LINE "\n");
    assert_int_equal(ch, OA_RAID_CONF_ADDED);
    /* Debian's default file: comments and settings kept, line appended. */
    assert_string_equal(edit("# mdadm.conf\nHOMEHOST <system>\nMAILADDR root", &ch, &out),
                        "# mdadm.conf\nHOMEHOST <system>\nMAILADDR root\n" LINE "\n");
    assert_int_equal(ch, OA_RAID_CONF_ADDED);
    /* The same UUID in another case, on a continuation line: kept. */
    const char *same = "ARRAY /dev/md/0 metadata=1.2\n"
                       "   uuid=4B4AC6B3:1B2E7E8F:2B7A2A48:6C1B9F9D name=vm:0\n";
    assert_string_equal(edit(same, &ch, &out), same);
    assert_int_equal(ch, OA_RAID_CONF_UNCHANGED);
    /* The same device with another UUID: that record replaced, the rest kept. */
    assert_string_equal(
        edit("DEVICE partitions\n"
             "ARRAY /dev/md0 metadata=1.2 UUID=aaaaaaaa:00000000:00000000:00000000\n"
             "\tdevices=/dev/sdb,/dev/sdc\n"
             "# end\n"
             "ARRAY /dev/md1 UUID=bbbbbbbb:00000000:00000000:00000000\n",
             &ch, &out),
        "DEVICE partitions\n" LINE "\n"
        "# end\n"
        "ARRAY /dev/md1 UUID=bbbbbbbb:00000000:00000000:00000000\n");
    assert_int_equal(ch, OA_RAID_CONF_REPLACED);
    /* A commented-out line for the array does not count. */
    assert_string_equal(edit("#" LINE "\n", &ch, &out), "#" LINE "\n" LINE "\n");
    assert_int_equal(ch, OA_RAID_CONF_ADDED);
    /* A UUID word in a comment does not count either. */
    assert_string_equal(
        edit("ARRAY /dev/md9 # UUID=4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d\n", &ch, &out),
        "ARRAY /dev/md9 # UUID=4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d\n" LINE "\n");
    oa_buf_done(&out);
    /* Not an ARRAY line. */
    oa_buf_init(&out, 1 << 20);
    assert_int_equal(oa_raid_conf_edit("", 0, "mdadm: oops", &out, &ch), OA_ESCHEMA);
    oa_buf_done(&out);
}

/* §1.11: a raid state gets 600 s, not the agent's state_timeout. */
static void test_timeout(void **state)
{
    (void)state;
    assert_int_equal(oa_builtins_timeout_ms(&oa_mod_linux_raid, NULL, 3600 * 1000), 600 * 1000);
    assert_ptr_equal(oa_builtins_find("linux.raid"), &oa_mod_linux_raid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_names),   cmocka_unit_test(test_create_argv),
        cmocka_unit_test(test_create_refused), cmocka_unit_test(test_detail),
        cmocka_unit_test(test_conf_edit),      cmocka_unit_test(test_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
