/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of linux.group and linux.user: account names and passwd
 * fields, the `$username` substitution in home (modules.md §1.9), crypt
 * formats, hashing and comparing passwords (§D), the useradd/usermod argv
 * and its redacted display, and the empty-value-is-a-value parameter flag
 * the user's `groups` and `password` rely on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "linux_account.h"
#include "params.h"

static void names_and_fields(void **unused)
{
    static const struct {
        const char *s;
        bool ok;
    } names[] = {
        {"deploy", true}, {"InstantForge1", true}, {"www-data", true}, {"a_b.c", true},
        {"", false},      {"-r", false},           {"a:b", false},     {"a,b", false},
        {"a b", false},   {"a/b", false},          {"a\nb", false},    {"a\tb", false},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (oa_account_name_ok(names[i].s) != names[i].ok)
            fail_msg("name '%s': expected %d", names[i].s, names[i].ok);
    assert_false(oa_account_name_ok(NULL));
    assert_true(oa_account_field_ok("visualops username"));
    assert_true(oa_account_field_ok("Zoë,Room 1,,"));
    assert_true(oa_account_field_ok(""));
    assert_false(oa_account_field_ok("a:b"));
    assert_false(oa_account_field_ok("a\nb"));
}

static void home_substitution(void **unused)
{
    static const struct {
        const char *home, *want;
        int r;
    } cases[] = {
        {"/home/$username", "/home/bob", 0},
        {"/home/${username}", "/home/bob", 0},
        {"/srv/$username/app", "/srv/bob/app", 0},
        {"/srv/$username-x", "/srv/bob-x", 0},
        {"/srv/${username}x", "/srv/bobx", 0},
        /* Only $username: other names, and $$, are left as they are. */
        {"/srv/$usernamex", "/srv/$usernamex", 0},
        {"/srv/$user", "/srv/$user", 0},
        {"/srv/$$", "/srv/$$", 0},
        {"/srv/${name}", "/srv/${name}", 0},
        {"/tmp/test/user/visualops1/", "/tmp/test/user/visualops1", 0},
        {"/data//", "/data", 0},
        {"/", "/", 0},
        {"home/$username", NULL, -EINVAL},
        {"$username", NULL, -EINVAL},
        {"", NULL, -EINVAL},
    };
    char buf[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = oa_account_home(cases[i].home, "bob", buf, sizeof(buf));
        if (r != cases[i].r)
            fail_msg("'%s': returned %d, expected %d", cases[i].home, r, cases[i].r);
        if (r == 0 && strcmp(buf, cases[i].want) != 0)
            fail_msg("'%s' became '%s', expected '%s'", cases[i].home, buf, cases[i].want);
    }
    assert_int_equal(oa_account_home("/home/$username", "a-very-long-user-name", buf, 20),
                     -ENAMETOOLONG);
    assert_int_equal(oa_account_home("/home/x", "bob", buf, 7), -ENAMETOOLONG);
    assert_int_equal(oa_account_home("/home/x", "bob", buf, 8), 0);
}

static void crypt_formats(void **unused)
{
    static const struct {
        const char *s;
        bool crypt;
    } cases[] = {
        {"$1$saltsalt$zF0nWjVpC2O1eKmLAxuep/", true},
        {"$6$saltsaltsaltsalt$FFllavT/oH/jWCNdSxqErwN6v.HmltxgZseLFA00ajPU1hPOJSimJZGeLB/"
         "fDHnoNTsTKK5CcR9Zx1qEU8SQs1",
         true},
        {"$6$rounds=5000$salt$hash", true},
        {"$y$j9T$salt$hash", true},
        {"$2b$10$abcdefghijklmnopqrstuv", true},
        {"instant", false},
        {"", false},
        {"$6$", false},
        {"$6$salt$", false},
        {"$6$salt", false},
        {"$$salt$hash", false},
        {"$6$sa:lt$hash", false},
        {"$6$salt$ha sh", false},
        {"$6$salt$hash\n", false},
        {"$A$salt$hash", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (oa_account_is_crypt(cases[i].s) != cases[i].crypt)
            fail_msg("'%s': expected %d", cases[i].s, cases[i].crypt);
    assert_false(oa_account_is_crypt(NULL));
}

static void hashing_and_matching(void **unused)
{
    char h1[256], h2[256];

    /* Hashes made by `openssl passwd -1` (what module.json documents) and
     * `openssl passwd -6`. */
    assert_true(oa_account_matches("instant", "$1$saltsalt$zF0nWjVpC2O1eKmLAxuep/"));
    assert_false(oa_account_matches("instant2", "$1$saltsalt$zF0nWjVpC2O1eKmLAxuep/"));
    assert_true(oa_account_matches(
        "instant", "$6$saltsaltsaltsalt$FFllavT/oH/jWCNdSxqErwN6v.HmltxgZseLFA00ajPU1hPOJSimJZGeLB/"
                   "fDHnoNTsTKK5CcR9Zx1qEU8SQs1"));
    /* Locked, disabled or empty hashes never match. */
    assert_false(oa_account_matches("instant", "!"));
    assert_false(oa_account_matches("instant", "*"));
    assert_false(oa_account_matches("", ""));
    assert_false(oa_account_matches("instant", NULL));
    assert_false(oa_account_matches("instant", "!$1$saltsalt$zF0nWjVpC2O1eKmLAxuep/"));

    assert_int_equal(oa_account_hash("instant", h1, sizeof(h1)), 0);
    assert_int_equal(oa_account_hash("instant", h2, sizeof(h2)), 0);
    assert_memory_equal(h1, "$6$", 3);
    assert_int_equal(strcspn(h1 + 3, "$"), 16); /* a 16-character salt */
    assert_true(oa_account_is_crypt(h1));
    assert_string_not_equal(h1, h2); /* a new salt each time */
    assert_true(oa_account_matches("instant", h1));
    assert_true(oa_account_matches("instant", h2));
    assert_false(oa_account_matches("Instant", h1));
    assert_int_equal(oa_account_hash("instant", h1, 20), -ENOSPC);
}

static void argv_of(const char *const *got, const char *const *want)
{
    size_t i = 0;

    for (; want[i]; i++) {
        if (!got[i] || strcmp(got[i], want[i]) != 0)
            fail_msg("argument %zu: '%s', expected '%s'", i, got[i] ? got[i] : "(null)", want[i]);
    }
    if (got[i])
        fail_msg("argument %zu: '%s', expected the end", i, got[i]);
}

static void useradd_and_usermod(void **unused)
{
    const struct oa_account_user full = {"InstantForge1",
                                         "600",
                                         "600",
                                         "Dev,adm",
                                         "/tmp/test/user/visualops1",
                                         "/usr/sbin/nologin",
                                         "visualops username",
                                         "$6$salt$hash",
                                         true};
    const struct oa_account_user minimal = {.name = "bob", .home = "/home/bob"};
    const char *argv[24];
    char text[512];

    assert_int_equal(oa_account_useradd_argv(&full, argv, 24), 19);
    argv_of(argv, (const char *[]){"useradd",
                                   "-m",
                                   "-u",
                                   "600",
                                   "-g",
                                   "600",
                                   "-G",
                                   "Dev,adm",
                                   "-d",
                                   "/tmp/test/user/visualops1",
                                   "-s",
                                   "/usr/sbin/nologin",
                                   "-c",
                                   "visualops username",
                                   "-r",
                                   "-p",
                                   "$6$salt$hash",
                                   "--",
                                   "InstantForge1",
                                   NULL});
    assert_string_equal(oa_account_argv_text(argv, text, sizeof(text)),
                        "useradd -m -u 600 -g 600 -G Dev,adm -d /tmp/test/user/visualops1 -s "
                        "/usr/sbin/nologin -c 'visualops username' -r -p *** -- InstantForge1");
    assert_null(strstr(text, "hash"));

    assert_int_equal(oa_account_usermod_argv(&full, argv, 24), 17);
    argv_of(argv, (const char *[]){"usermod", "-u", "600", "-g", "600", "-G", "Dev,adm", "-d",
                                   "/tmp/test/user/visualops1", "-s", "/usr/sbin/nologin", "-c",
                                   "visualops username", "-p", "$6$salt$hash", "--",
                                   "InstantForge1", NULL});

    assert_int_equal(oa_account_useradd_argv(&minimal, argv, 24), 6);
    argv_of(argv, (const char *[]){"useradd", "-m", "-d", "/home/bob", "--", "bob", NULL});

    /* `groups: []` is "-G ''": every supplementary group removed. */
    const struct oa_account_user none = {.name = "bob", .groups = ""};
    assert_int_equal(oa_account_usermod_argv(&none, argv, 24), 5);
    argv_of(argv, (const char *[]){"usermod", "-G", "", "--", "bob", NULL});
    assert_string_equal(oa_account_argv_text(argv, text, sizeof(text)), "usermod -G '' -- bob");

    assert_int_equal(oa_account_useradd_argv(&full, argv, 19), -ENOSPC);
    assert_int_equal(oa_account_useradd_argv(&minimal, argv, 7), 6);
    assert_int_equal(oa_account_useradd_argv(&minimal, argv, 6), -ENOSPC);
}

static int parse(const struct oa_param_spec *spec, size_t n, const char *json,
                 struct oa_params *ret)
{
    struct oa_json *obj = NULL;
    char why[256];
    int r = oa_json_parse(json, strlen(json), NULL, &obj, why, sizeof(why));

    assert_int_equal(r, 0);
    r = oa_params_parse(spec, n, obj, ret, NULL, why, sizeof(why));
    oa_json_free(obj);
    return r;
}

static void empty_is_a_value(void **unused)
{
    static const struct oa_param_spec spec[] = {
        {"groups", OA_PT_ARRAY, OA_PF_EMPTY_IS_VALUE},
        {"password", OA_PT_LINE, OA_PF_EMPTY_IS_VALUE},
        {"plain", OA_PT_ARRAY, 0},
    };
    struct oa_params p;

    assert_int_equal(parse(spec, 3, "{\"groups\": [], \"password\": \"\", \"plain\": []}", &p), 0);
    assert_true(oa_params_get(&p, "groups")->present);
    assert_int_equal(oa_params_get(&p, "groups")->n, 0);
    assert_string_equal(oa_params_str(&p, "password"), "");
    assert_false(oa_params_get(&p, "plain")->present);
    oa_params_done(&p);

    /* null and a missing key stay "absent". */
    assert_int_equal(parse(spec, 3, "{\"groups\": null}", &p), 0);
    assert_false(oa_params_get(&p, "groups")->present);
    assert_false(oa_params_get(&p, "password")->present);
    oa_params_done(&p);

    assert_int_equal(parse(spec, 3, "{\"groups\": [\"Dev\"], \"password\": \"x\"}", &p), 0);
    assert_int_equal(oa_params_get(&p, "groups")->n, 1);
    assert_string_equal(oa_params_get(&p, "groups")->items[0], "Dev");
    oa_params_done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_fields),    cmocka_unit_test(home_substitution),
        cmocka_unit_test(crypt_formats),       cmocka_unit_test(hashing_and_matching),
        cmocka_unit_test(useradd_and_usermod), cmocka_unit_test(empty_is_a_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
