/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the pure parts of linux.lvm.pv, linux.lvm.vg and
 * linux.lvm.lv (builtins/linux_lvm.h, modules.md §10.3-10.5): LVM names,
 * the rows of pvs/vgs/lvs reports, and the command lines of pvcreate,
 * vgcreate and lvcreate built from recipe parameters in the encodings the
 * recipes use (bools as "y"/"n", numbers, the other spellings PV-size and
 * "pool metadata size"), with every parameter of each module, the rules
 * for le-size/le-number, and allocation failures.
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
#include "devprobe.h"
#include "err.h"
#include "json.h"
#include "linux_lvm.h"
#include "mem.h"
#include "modules.h"

/* Parses json against module m's parameters; fails the test otherwise. */
static void params_of(const struct oa_module *m, const char *json, struct oa_params *ret)
{
    struct oa_json *obj = NULL;
    char why[256];

    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &obj, why, sizeof(why)), 0);
    if (oa_params_parse(m->params, m->n_params, obj, ret, NULL, why, sizeof(why)) < 0)
        fail_msg("parameters rejected: %s", why);
    oa_json_free(obj);
}

typedef int (*build_fn)(const struct oa_params *p, struct oa_argv *a, char *err, size_t len);

static int pv_build(const struct oa_params *p, struct oa_argv *a, char *err, size_t len)
{
    return oa_lvm_pvcreate_argv(p, "/dev/loop3", a, err, len);
}

/* The command line built from json, as text; or the error as "ERROR: …". */
static const char *built(const struct oa_module *m, build_fn fn, const char *json, char *buf,
                         size_t len)
{
    struct oa_params p;
    struct oa_argv a;
    char err[512];
    int r;

    params_of(m, json, &p);
    oa_argv_init(&a);
    r = fn(&p, &a, err, sizeof(err));
    if (r == 0)
        oa_argv_text(&a, buf, len);
    else
        snprintf(buf, len, "ERROR %d: %s", r == OA_ESCHEMA ? 1 : r, err);
    oa_argv_done(&a);
    oa_params_done(&p);
    return buf;
}

#define PV(json) built(&oa_mod_linux_lvm_pv, pv_build, json, text, sizeof(text))
#define VG(json) built(&oa_mod_linux_lvm_vg, oa_lvm_vgcreate_argv, json, text, sizeof(text))
#define LV(json) built(&oa_mod_linux_lvm_lv, oa_lvm_lvcreate_argv, json, text, sizeof(text))

static void test_names(void **state)
{
    static const char *const good[] = {"data", "vg0", "my-vg", "a.b_c+d", "Snap", "x-snapshot"};
    static const char *const bad[] = {"",          "-vg",     ".",       "..",         "a b", "a/b",
                                      "snapshot1", "pvmove0", "lv_mlog", "x_rimage_0", "a|b", "é"};
    char longest[129];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(oa_lvm_name_ok(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (oa_lvm_name_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    memset(longest, 'a', 127);
    longest[127] = '\0';
    assert_true(oa_lvm_name_ok(longest));
    longest[127] = 'a';
    longest[128] = '\0';
    assert_false(oa_lvm_name_ok(longest));
}

static void test_rows(void **state)
{
    char text[] = "  /dev/loop0|vgdata\n"
                  "  /dev/loop1|\n"
                  "\n"
                  "   \n"
                  "  vg0|lv 1|8.00m|extra\r\n"
                  "  single";
    char *cursor = text, *f[3];

    (void)state;
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 2);
    assert_string_equal(f[0], "/dev/loop0");
    assert_string_equal(f[1], "vgdata");
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 2);
    assert_string_equal(f[0], "/dev/loop1");
    assert_string_equal(f[1], "");
    /* Blank lines are skipped; extra fields stay in the last one. */
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 3);
    assert_string_equal(f[0], "vg0");
    assert_string_equal(f[1], "lv 1");
    assert_string_equal(f[2], "8.00m|extra");
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 1);
    assert_string_equal(f[0], "single");
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 0);
    assert_int_equal(oa_lvm_next_row(&cursor, f, 3), 0);
}

static void test_pvcreate(void **state)
{
    char text[1024];

    (void)state;
    assert_string_equal(PV("{\"path\": [\"/dev/loop3\"]}"), "pvcreate /dev/loop3");
    /* Every option, in the encodings of complex/linux.lvm.pv.complex.json. */
    assert_string_equal(
        PV("{\"path\": \"/dev/loop3\", \"force\": \"y\", \"uuid\": \"abc\", \"zero\": \"y\","
           " \"data-alignment\": \"256k\", \"data-alignment-offset\": \"8k\","
           " \"metadata-size\": \"8m\", \"metadata-type\": \"lvm2\", \"metadata-copies\": 2,"
           " \"metadata-ignore\": \"n\", \"restore-file\": \"/etc/lvm/backup/vg\","
           " \"no-restore-file\": true, \"label-sector\": 1, \"pv-size\": \"500M\"}"),
        "pvcreate -ff -y --uuid abc --zero y --dataalignment 256k --dataalignmentoffset 8k "
        "--metadatasize 8m --metadatatype lvm2 --pvmetadatacopies 2 --metadataignore n "
        "--restorefile /etc/lvm/backup/vg --norestorefile --labelsector 1 "
        "--setphysicalvolumesize 500M /dev/loop3");
    /* The adaptor's spelling; false bools: force and no-restore-file vanish,
     * zero says n. */
    assert_string_equal(PV("{\"path\": [\"/dev/loop3\"], \"PV-size\": \"1G\", \"force\": false,"
                           " \"zero\": \"n\", \"no-restore-file\": \"False\"}"),
                        "pvcreate --zero n --setphysicalvolumesize 1G /dev/loop3");
    /* Values are words of their own, even when they look like options. */
    assert_string_equal(PV("{\"path\": [\"/dev/loop3\"], \"uuid\": \"--yes\"}"),
                        "pvcreate --uuid --yes /dev/loop3");
    /* An empty value is an absent one (params.h). */
    assert_string_equal(PV("{\"path\": [\"/dev/loop3\"], \"uuid\": \"\"}"), "pvcreate /dev/loop3");
}

static void test_paths(void **state)
{
    struct oa_params p;
    char err[256];

    (void)state;
    params_of(&oa_mod_linux_lvm_pv, "{\"path\": [\"/dev/a\", \"dev/b\"]}", &p);
    assert_int_equal(oa_lvm_check_paths(oa_params_get(&p, "path"), err, sizeof(err)), OA_ESCHEMA);
    assert_string_equal(err, "parameter 'path': 'dev/b' is not an absolute path");
    oa_params_done(&p);
    params_of(&oa_mod_linux_lvm_pv, "{\"path\": [\"/dev/a\", \"/dev/b\", \"/dev/a\"]}", &p);
    assert_int_equal(oa_lvm_check_paths(oa_params_get(&p, "path"), err, sizeof(err)), OA_ESCHEMA);
    assert_string_equal(err, "parameter 'path': /dev/a is given twice");
    oa_params_done(&p);
    params_of(&oa_mod_linux_lvm_pv, "{\"path\": [\"-ff\"]}", &p);
    assert_int_equal(oa_lvm_check_paths(oa_params_get(&p, "path"), err, sizeof(err)), OA_ESCHEMA);
    oa_params_done(&p);
}

static void test_vgcreate(void **state)
{
    char text[1024];

    (void)state;
    assert_string_equal(VG("{\"name\": \"vgtest\", \"path\": [\"/dev/sdb1\", \"/dev/sdb2\"]}"),
                        "vgcreate vgtest /dev/sdb1 /dev/sdb2");
    assert_string_equal(
        VG("{\"name\": \"vgtest\", \"path\": [\"/dev/sdb1\"], \"clustered\": \"y\","
           " \"max-lv-number\": \"128\", \"max-pv-number\": 64, \"metadata-type\": \"lvm2\","
           " \"metadata-copies\": \"1\", \"pe-size\": \"4M\", \"autobackup\": \"n\","
           " \"tag\": [\"a\", \"b\"], \"allocation-policy\": \"contiguous\"}"),
        "vgcreate --clustered y --maxlogicalvolumes 128 --maxphysicalvolumes 64 --metadatatype "
        "lvm2 --vgmetadatacopies 1 --physicalextentsize 4M --autobackup n --addtag a --addtag b "
        "--alloc contiguous vgtest /dev/sdb1");
    /* clustered false is not passed on (modern LVM has no clvmd). */
    assert_string_equal(VG("{\"name\": \"v\", \"path\": \"/dev/x\", \"clustered\": \"n\","
                           " \"tag\": \"one\"}"),
                        "vgcreate --addtag one v /dev/x");
    assert_string_equal(VG("{\"name\": \"-v\", \"path\": [\"/dev/x\"]}"),
                        "ERROR 1: parameter 'name': '-v' is not a valid LVM name (letters, "
                        "digits, + _ . -; not starting with '-')");
    assert_string_equal(VG("{\"name\": \"v\", \"path\": [\"x\"]}"),
                        "ERROR 1: parameter 'path': 'x' is not an absolute path");
}

static void test_lvcreate(void **state)
{
    char text[2048];

    (void)state;
    assert_string_equal(LV("{\"name\": \"lvtest\", \"vg-name\": \"vgtest\", \"le-size\": \"500M\","
                           " \"path\": [\"/dev/sdb1\", \"/dev/sdb2\"]}"),
                        "lvcreate -n lvtest -L 500M vgtest /dev/sdb1 /dev/sdb2");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-number\": \"50%FREE\"}"),
                        "lvcreate -n l -l 50%FREE v");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-number\": 500,"
                           " \"path\": \"/dev/sdb1:0-99\"}"),
                        "lvcreate -n l -l 500 v /dev/sdb1:0-99");
    /* A snapshot: -s VG/ORIGIN takes the place of the VG. */
    assert_string_equal(LV("{\"name\": \"sstest\", \"vg-name\": \"vgtest\", \"le-size\": \"500M\","
                           " \"snapshot\": \"lvtest\"}"),
                        "lvcreate -n sstest -L 500M -s vgtest/lvtest");
    /* Every option. */
    assert_string_equal(
        LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\", \"chunk-size\": \"64k\","
           " \"contiguous\": \"n\", \"discards\": \"passdown\", \"stripe-number\": \"2\","
           " \"stripe-size\": \"64\", \"minor-number\": \"200\", \"persistent\": \"y\","
           " \"mirror-number\": \"1\", \"no-udev-sync\": true, \"monitor\": \"y\","
           " \"ignore-monitoring\": \"yes\", \"permission\": \"rw\","
           " \"pool-metadata-size\": \"4M\", \"region-size\": \"512k\", \"readahead\": \"auto\","
           " \"thinpool\": \"pool\", \"type\": \"striped\", \"virtual-size\": \"2G\","
           " \"zero\": \"y\", \"available\": \"y\", \"autobackup\": \"y\", \"tag\": \"lvtag\","
           " \"allocation-policy\": \"anywhere\", \"path\": [\"/dev/a\"]}"),
        "lvcreate -n l -L 1G --chunksize 64k --contiguous n --discards passdown -i 2 -I 64 "
        "--minor 200 --persistent y -m 1 --noudevsync --monitor y --ignoremonitoring "
        "--permission rw --poolmetadatasize 4M --regionsize 512k --readahead auto --thinpool "
        "pool --type striped --virtualsize 2G --zero y -a y --autobackup y --addtag lvtag "
        "--alloc anywhere v /dev/a");
    /* module.json's spelling with blanks; false flags vanish. */
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\","
                           " \"pool metadata size\": \"8M\", \"no-udev-sync\": \"n\","
                           " \"ignore-monitoring\": false}"),
                        "lvcreate -n l -L 1G --poolmetadatasize 8M v");
    /* A thin volume: its virtual size is enough. */
    assert_string_equal(LV("{\"name\": \"thin\", \"vg-name\": \"v\", \"virtual-size\": \"1G\","
                           " \"thinpool\": \"pool\"}"),
                        "lvcreate -n thin --thinpool pool --virtualsize 1G v");
}

static void test_lvcreate_refused(void **state)
{
    char text[1024];

    (void)state;
    /* lv-size is the fixtures' spelling the original ignored (§I). */
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"lv-size\": \"500M\"}"),
                        "ERROR 1: missing required parameter 'le-size' or 'le-number'");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\","
                           " \"le-number\": \"10\"}"),
                        "ERROR 1: parameters 'le-size' and 'le-number' exclude each other");
    assert_string_equal(LV("{\"name\": \"l/x\", \"vg-name\": \"v\", \"le-size\": \"1G\"}"),
                        "ERROR 1: parameter 'name': 'l/x' is not a valid LVM name (letters, "
                        "digits, + _ . -; not starting with '-')");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"--v\", \"le-size\": \"1G\"}"),
                        "ERROR 1: parameter 'vg-name': '--v' is not a valid LVM name (letters, "
                        "digits, + _ . -; not starting with '-')");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\","
                           " \"snapshot\": \"a b\"}"),
                        "ERROR 1: parameter 'snapshot': 'a b' is not a valid LVM name (letters, "
                        "digits, + _ . -; not starting with '-')");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\","
                           " \"path\": [\"sdb1\"]}"),
                        "ERROR 1: parameter 'path': 'sdb1' is not an absolute path");
    assert_string_equal(LV("{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"\"}"),
                        "ERROR 1: missing required parameter 'le-size' or 'le-number'");
}

/* The k-th allocation failing, for every k: -ENOMEM, nothing leaked. */
static void test_out_of_memory(void **state)
{
    struct oa_params p;
    unsigned long k;

    (void)state;
    params_of(&oa_mod_linux_lvm_lv,
              "{\"name\": \"l\", \"vg-name\": \"v\", \"le-size\": \"1G\", \"snapshot\": \"o\","
              " \"tag\": [\"a\", \"b\", \"c\"], \"path\": [\"/dev/a\", \"/dev/b\"]}",
              &p);
    for (k = 1;; k++) {
        struct oa_argv a;
        char err[256];
        int r;
        oa_argv_init(&a);
        oa_mem_fail_after(k);
        r = oa_lvm_lvcreate_argv(&p, &a, err, sizeof(err));
        oa_mem_fail_after(0);
        oa_argv_done(&a);
        if (r == 0)
            break;
        assert_int_equal(r, -ENOMEM);
    }
    assert_true(k > 10);
    oa_params_done(&p);
}

static void test_argv_text(void **state)
{
    struct oa_argv a;
    char buf[64];

    (void)state;
    oa_argv_init(&a);
    assert_int_equal(oa_argv_status(&a), -ENOMEM);
    oa_argv_add(&a, "lvcreate");
    oa_argv_add(&a, "");
    oa_argv_addf(&a, "%s/%s", "v", "a b");
    assert_int_equal(oa_argv_status(&a), 0);
    assert_int_equal(a.n, 3);
    assert_null(a.v[3]);
    assert_string_equal(oa_argv_text(&a, buf, sizeof(buf)), "lvcreate '' 'v/a b'");
    assert_string_equal(oa_argv_text(&a, buf, 10), "lvcreate ");
    /* A word longer than the formatting buffer of addf. */
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    oa_argv_addf(&a, "--%s", big);
    assert_int_equal(strlen(a.v[3]), sizeof(big) + 1);
    oa_argv_done(&a);
}

/* blkid's export text, and how a signature is named in a refusal. */
static void test_devprobe_text(void **state)
{
    struct oa_devprobe pr;
    char buf[64];

    (void)state;
    oa_devprobe_parse("DEVNAME=/dev/loop3\nUUID=x\nVERSION=LVM2 001\nTYPE=LVM2_member\n"
                      "USAGE=raid\n",
                      &pr);
    assert_string_equal(pr.type, "LVM2_member");
    assert_string_equal(pr.usage, "raid");
    assert_string_equal(pr.pttype, "");
    assert_string_equal(oa_devprobe_describe(&pr, buf, sizeof(buf)), "LVM2_member (raid)");
    oa_devprobe_parse("PTUUID=1234\nPTTYPE=dos", &pr);
    assert_string_equal(oa_devprobe_describe(&pr, buf, sizeof(buf)), "a dos partition table");
    oa_devprobe_parse("TYPE=weird", &pr);
    assert_string_equal(oa_devprobe_describe(&pr, buf, sizeof(buf)), "weird (unknown use)");
    oa_devprobe_parse(NULL, &pr);
    assert_string_equal(oa_devprobe_describe(&pr, buf, sizeof(buf)), "");
    oa_devprobe_parse("TYPE=\nUSAGE=filesystem\n", &pr);
    assert_string_equal(pr.type, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_pvcreate),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_vgcreate),
        cmocka_unit_test(test_lvcreate),
        cmocka_unit_test(test_lvcreate_refused),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_argv_text),
        cmocka_unit_test(test_devprobe_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
