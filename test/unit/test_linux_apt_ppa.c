/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of linux.apt.ppa (modules.md §5.4): PPA names, which
 * systems may have PPAs and their codename (os-release of Ubuntu 14.04,
 * 22.04 and Linux Mint), finding a PPA in apt's one-line and deb822 sources
 * (as add-apt-repository writes them, old and new), the files of a private
 * PPA, and the key apt says it lacks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "linux_ppa.h"
#include "osinfo.h"

static void names(void **unused)
{
    char owner[64], archive[64];

    assert_int_equal(oa_ppa_parse_name("chromium-daily/stable", owner, 64, archive, 64), 0);
    assert_string_equal(owner, "chromium-daily");
    assert_string_equal(archive, "stable");
    assert_int_equal(oa_ppa_parse_name("ppa:deadsnakes/ppa", owner, 64, archive, 64), 0);
    assert_string_equal(owner, "deadsnakes");
    assert_string_equal(archive, "ppa");
    assert_int_equal(oa_ppa_parse_name("a+b.c/x-1", owner, 64, archive, 64), 0);
    assert_int_equal(oa_ppa_parse_name("nope", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("a/b/c", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("Upper/case", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("/x", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("x/", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("-x/y", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("x/y z", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("x/y\n", owner, 64, archive, 64), -EINVAL);
    assert_int_equal(oa_ppa_parse_name("owner/archive", owner, 4, archive, 64), -EINVAL);
}

static void systems(void **unused)
{
    struct oa_osinfo os = {0};

    oa_osinfo_parse("NAME=\"Ubuntu\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nID=ubuntu\n"
                    "ID_LIKE=debian\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n",
                    &os);
    assert_true(oa_ppa_os_ok(&os));
    assert_string_equal(os.codename, "jammy");
    memset(&os, 0, sizeof(os));
    /* 14.04's os-release has no codename (the module reads lsb-release). */
    oa_osinfo_parse("NAME=\"Ubuntu\"\nVERSION=\"14.04.6 LTS, Trusty Tahr\"\nID=ubuntu\n", &os);
    assert_true(oa_ppa_os_ok(&os));
    assert_string_equal(os.codename, "");
    memset(&os, 0, sizeof(os));
    oa_osinfo_parse("NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"
                    "VERSION_CODENAME=victoria\nUBUNTU_CODENAME=jammy\n",
                    &os);
    assert_true(oa_ppa_os_ok(&os));
    assert_string_equal(os.codename, "jammy");
    memset(&os, 0, sizeof(os));
    oa_osinfo_parse("ID=debian\nVERSION_CODENAME=bookworm\n", &os);
    assert_false(oa_ppa_os_ok(&os));
    assert_string_equal(os.codename, "bookworm");
    memset(&os, 0, sizeof(os));
    oa_osinfo_parse("ID=notubuntu\nID_LIKE=\"xubuntux\"\n", &os);
    assert_false(oa_ppa_os_ok(&os));
}

static void sources(void **unused)
{
    const char *old = "deb http://ppa.launchpad.net/chromium-daily/stable/ubuntu trusty main\n"
                      "# deb-src http://ppa.launchpad.net/chromium-daily/stable/ubuntu trusty "
                      "main\n";
    const char *now = "deb https://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu/ jammy main\n";
    const char *off = "# deb https://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu/ jammy main\n"
                      "deb-src https://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu/ jammy "
                      "main\n";
    const char *opts = "  deb [arch=amd64 signed-by=/etc/apt/keyrings/x.gpg] "
                       "https://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu jammy main\n";
    const char *priv = "deb https://user:pw@private-ppa.launchpad.net/acme/tools/ubuntu jammy "
                       "main\n";
    const char *deb822 = "Types: deb\n"
                         "URIs: https://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu/\n"
                         "Suites: noble\n"
                         "Components: main\n"
                         "Signed-By:\n"
                         " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                         " .\n"
                         " -----END PGP PUBLIC KEY BLOCK-----\n";
    const char *disabled = "Types: deb\nURIs: https://ppa.launchpadcontent.net/deadsnakes/ppa/"
                           "ubuntu/\nSuites: noble\nEnabled: no\n\n"
                           "Types: deb-src\nURIs: https://ppa.launchpadcontent.net/deadsnakes/"
                           "ppa/ubuntu/\nSuites: noble\n";
    const char *two = "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: noble\n\n"
                      "Types: deb-src deb\nURIs:\n https://ppa.launchpadcontent.net/deadsnakes/"
                      "ppa/ubuntu\nSuites: noble\n";

    assert_true(oa_ppa_sources_have(old, false, "chromium-daily", "stable", false));
    assert_false(oa_ppa_sources_have(old, false, "chromium-daily", "beta", false));
    assert_false(oa_ppa_sources_have(old, false, "chromium", "stable", false));
    assert_false(oa_ppa_sources_have(old, false, "daily", "stable", false));
    assert_true(oa_ppa_sources_have(now, false, "deadsnakes", "ppa", false));
    assert_false(oa_ppa_sources_have(now, false, "deadsnakes", "ppa", true));
    assert_false(oa_ppa_sources_have(off, false, "deadsnakes", "ppa", false));
    assert_true(oa_ppa_sources_have(opts, false, "deadsnakes", "ppa", false));
    assert_true(oa_ppa_sources_have(priv, false, "acme", "tools", true));
    assert_false(oa_ppa_sources_have(priv, false, "acme", "tools", false));
    assert_true(oa_ppa_sources_have(deb822, true, "deadsnakes", "ppa", false));
    assert_false(oa_ppa_sources_have(deb822, true, "deadsnakes", "other", false));
    assert_false(oa_ppa_sources_have(disabled, true, "deadsnakes", "ppa", false));
    assert_true(oa_ppa_sources_have(two, true, "deadsnakes", "ppa", false));
    assert_false(oa_ppa_sources_have("", true, "deadsnakes", "ppa", false));
    assert_false(oa_ppa_sources_have("", false, "deadsnakes", "ppa", false));
}

static void private_files(void **unused)
{
    struct oa_ppa_files f;
    char key[32];

    assert_int_equal(oa_ppa_private_files("acme", "tools", "jammy", "bob", "s3cret", &f), 0);
    assert_string_equal(f.list_path, "/etc/apt/sources.list.d/acme-ubuntu-tools-jammy.list");
    assert_string_equal(f.list,
                        "deb https://private-ppa.launchpadcontent.net/acme/tools/ubuntu jammy "
                        "main\n");
    assert_string_equal(f.auth_path, "/etc/apt/auth.conf.d/acme-ubuntu-tools.conf");
    assert_string_equal(f.auth, "machine private-ppa.launchpadcontent.net/acme/tools/ubuntu "
                                "login bob password s3cret\n");
    /* The line apt writes refers to the files this module wrote. */
    assert_true(oa_ppa_sources_have(f.list, false, "acme", "tools", true));

    assert_true(oa_ppa_no_pubkey("W: GPG error: https://private-ppa.launchpadcontent.net/acme/"
                                 "tools/ubuntu jammy InRelease: The following signatures "
                                 "couldn't be verified because the public key is not available: "
                                 "NO_PUBKEY 0123456789ABCDEF\n",
                                 key, sizeof(key)));
    assert_string_equal(key, "0123456789ABCDEF");
    assert_false(oa_ppa_no_pubkey("Hit:1 http://deb.debian.org/debian bookworm InRelease\n", key,
                                  sizeof(key)));
    assert_false(oa_ppa_no_pubkey(NULL, key, sizeof(key)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(systems),
        cmocka_unit_test(sources),
        cmocka_unit_test(private_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
