/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure logic of the OS package family (modules.md §5): `name` entries,
 * dpkg's and rpm's version orderings (cross-checked against dpkg
 * --compare-versions and rpm's own vercmp where those tools exist), the
 * decision per package, the parsers of dpkg-query, apt-cache policy and yum
 * check-update output, the argv of every apt and yum call (yum cannot run
 * on Debian, so this is where its calls are checked), the index record and
 * memos under the state dir, repository file names, linux.yum.repo's
 * checks, and the rpm name of an OpenPGP key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"
#include "linux_pkg.h"
#include "params.h"
#include "tool.h"

/* ---- Entries ---- */

static void entries(void **unused)
{
    static const struct {
        const char *name, *value, *ext;
        int rc;
        enum oa_pkg_want want;
        enum oa_pkg_op op;
        const char *arg; /* or the error */
        bool url;
    } rows[] = {
        {"nginx", "", ".deb", 0, OA_PKG_ANY, OA_PKG_EQ, "", false},
        {"nginx", "latest", ".deb", 0, OA_PKG_LATEST, OA_PKG_EQ, "", false},
        {"nginx", "Latest", ".rpm", 0, OA_PKG_LATEST, OA_PKG_EQ, "", false},
        {"nginx", "removed", ".deb", 0, OA_PKG_REMOVED, OA_PKG_EQ, "", false},
        {"nginx", "purged", ".rpm", 0, OA_PKG_PURGED, OA_PKG_EQ, "", false},
        {"nginx", "1.22.1-9", ".deb", 0, OA_PKG_VERSION, OA_PKG_EQ, "1.22.1-9", false},
        {"nginx", "=1:1.2~rc1", ".deb", 0, OA_PKG_VERSION, OA_PKG_EQ, "1:1.2~rc1", false},
        {"nginx", "==1.2", ".deb", 0, OA_PKG_VERSION, OA_PKG_EQ, "1.2", false},
        {"nginx", ">= 1.2", ".deb", 0, OA_PKG_VERSION, OA_PKG_GE, "1.2", false},
        {"nginx", "<=1.2", ".deb", 0, OA_PKG_VERSION, OA_PKG_LE, "1.2", false},
        {"nginx", "<1.2", ".deb", 0, OA_PKG_VERSION, OA_PKG_LT, "1.2", false},
        {"nginx", ">1.2", ".rpm", 0, OA_PKG_VERSION, OA_PKG_GT, "1.2", false},
        {"mongo-10gen", "2.4.9-mongodb_1", ".rpm", 0, OA_PKG_VERSION, OA_PKG_EQ, "2.4.9-mongodb_1",
         false},
        {"fromrepo", "opscode", ".deb", 0, OA_PKG_VERSION, OA_PKG_EQ, "opscode", false},
        {"epel", "http://example.invalid/epel-release-6-8.noarch.rpm", ".rpm", 0, OA_PKG_FILE,
         OA_PKG_EQ, "http://example.invalid/epel-release-6-8.noarch.rpm", true},
        {"x", "HTTPS://example.invalid/x.deb", ".deb", 0, OA_PKG_FILE, OA_PKG_EQ,
         "HTTPS://example.invalid/x.deb", true},
        {"x", "/srv/x_1.0_all.deb", ".deb", 0, OA_PKG_FILE, OA_PKG_EQ, "/srv/x_1.0_all.deb", false},
        {"libc6:amd64", "", ".deb", 0, OA_PKG_ANY, OA_PKG_EQ, "", false},
        {"g++", "", ".deb", 0, OA_PKG_ANY, OA_PKG_EQ, "", false},
        /* Refused. */
        {"", "", ".deb", OA_ESCHEMA, 0, 0, "'' is not a valid package name", false},
        {"-oDebug::X=1", "", ".deb", OA_ESCHEMA, 0, 0, "'-oDebug::X=1' is not a valid package name",
         false},
        {"a b", "", ".deb", OA_ESCHEMA, 0, 0, "'a b' is not a valid package name", false},
        {"a/b", "", ".deb", OA_ESCHEMA, 0, 0, "'a/b' is not a valid package name", false},
        {"x", "-1.0", ".deb", OA_ESCHEMA, 0, 0, "'-1.0' is not a valid version", false},
        {"x", "1.0 2", ".deb", OA_ESCHEMA, 0, 0, "'1.0 2' is not a valid version", false},
        {"x", ">=", ".deb", OA_ESCHEMA, 0, 0, "'>=' is not a valid version", false},
        {"x", "1.0;id", ".deb", OA_ESCHEMA, 0, 0, "'1.0;id' is not a valid version", false},
        {"x", "x.rpm", ".deb", OA_ESCHEMA, 0, 0, "'x.rpm' is not a .deb file", false},
        {"x", "/srv/x.deb", ".rpm", OA_ESCHEMA, 0, 0, "'/srv/x.deb' is not a .rpm file", false},
        {"x", "srv/x.deb", ".deb", OA_ESCHEMA, 0, 0,
         "'srv/x.deb' is neither an absolute path nor an http(s) URL", false},
        {"x", "ftp://h/x.deb", ".deb", OA_ESCHEMA, 0, 0,
         "'ftp://h/x.deb': only http:// and https:// URLs are supported", false},
        {"x", "http://h/x", ".deb", OA_ESCHEMA, 0, 0, "'http://h/x' is not a .deb file", false},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_pkg_entry e;
        char why[256] = "";
        int rc = oa_pkg_entry_parse(rows[i].name, rows[i].value, rows[i].ext, &e, why, sizeof(why));
        if (rc != rows[i].rc)
            fail_msg("row %zu (%s=%s): rc %d, why %s", i, rows[i].name, rows[i].value, rc, why);
        if (rc < 0) {
            assert_string_equal(why, rows[i].arg);
            continue;
        }
        if (e.want != rows[i].want || e.op != rows[i].op || strcmp(e.arg, rows[i].arg) != 0 ||
            e.url != rows[i].url || strcmp(e.name, rows[i].name) != 0)
            fail_msg("row %zu: want %d op %d arg '%s' url %d", i, e.want, e.op, e.arg, e.url);
    }
}

/* ---- Version orderings ---- */

static int sign(int v)
{
    return v < 0 ? -1 : v > 0;
}

/* dpkg --compare-versions a lt b, as a sign; 2 when dpkg is missing. */
static int dpkg_says(const char *a, const char *b)
{
    static const char *const ops[] = {"lt", "eq", "gt"};
    char path[256];
    int status;

    if (!oa_tool_which("dpkg", path, sizeof(path)))
        return 2;
    for (int i = 0; i < 3; i++) {
        char *argv[] = {"dpkg", "--compare-versions", (char *)a, (char *)ops[i], (char *)b, NULL};
        if (oa_tool_exec(argv, NULL, NULL, &status, path, sizeof(path)) == 0 && oa_tool_ok(status))
            return i - 1;
    }
    return 3;
}

static void dpkg_versions(void **unused)
{
    static const struct {
        const char *a, *b;
        int want;
    } rows[] = {
        {"1.0", "1.0", 0},
        {"1.0", "1.0-0", 0},
        {"1.0", "2.0", -1},
        {"2.0", "1.0", 1},
        {"1.0~rc1", "1.0", -1},
        {"1.0", "1.0+b1", -1},
        {"1.0~~", "1.0~", -1},
        {"1:1.0", "2.0", 1},
        {"0:1.0", "1.0", 0},
        {"1.0-1", "1.0-2", -1},
        {"1.0-10", "1.0-9", 1},
        {"1.0a", "1.0", 1},
        {"1.0a", "1.0+", -1},
        {"1.2.10", "1.2.9", 1},
        {"1.002", "1.2", 0},
        {"2.0", "10.0", -1},
        {"3.0~bpo1", "3.0", -1},
        {"3.0~bpo1", "2.0", 1},
        {"1.22.1-9", "1.22.1-10", -1},
        {"1a", "1b", -1},
        {"1.0+dfsg", "1.0.1", -1},
        {"5.2.15-2+b8", "5.2.15-2", 1},
        {"7:1.0", "10:0.1", -1},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = sign(oa_pkg_dpkg_vercmp(rows[i].a, rows[i].b));
        int back = sign(oa_pkg_dpkg_vercmp(rows[i].b, rows[i].a));
        int dpkg = dpkg_says(rows[i].a, rows[i].b);
        if (got != rows[i].want || back != -rows[i].want)
            fail_msg("%s vs %s: %d (reverse %d), expected %d", rows[i].a, rows[i].b, got, back,
                     rows[i].want);
        if (dpkg != 2 && dpkg != got)
            fail_msg("%s vs %s: %d, dpkg says %d", rows[i].a, rows[i].b, got, dpkg);
    }
}

/* rpm's own comparison through its Lua (rpm ≥ 4.16), or 2 without rpm. */
static int rpm_says(const char *a, const char *b)
{
    char path[256], expr[256];
    struct oa_buf out;
    int status, r = 2;

    if (!oa_tool_which("rpm", path, sizeof(path)))
        return 2;
    snprintf(expr, sizeof(expr), "%%{lua: print(rpm.vercmp(\"%s\", \"%s\"))}", a, b);
    char *argv[] = {"rpm", "--eval", expr, NULL};
    oa_buf_init(&out, 256);
    if (oa_tool_exec(argv, NULL, &out, &status, path, sizeof(path)) == 0 && oa_tool_ok(status) &&
        out.data)
        r = atoi(out.data) < 0 ? -1 : atoi(out.data) > 0;
    oa_buf_done(&out);
    return r;
}

static void rpm_versions(void **unused)
{
    static const struct {
        const char *a, *b;
        int want;
        bool ask_rpm; /* rpm compares a missing release differently */
    } rows[] = {
        /* rpm's own test suite (tests/rpmvercmp.at). */
        {"1.0", "1.0", 0, true},
        {"1.0", "2.0", -1, true},
        {"2.0.1", "2.0", 1, true},
        {"2.0.1a", "2.0.1", 1, true},
        {"5.5p1", "5.5p2", -1, true},
        {"5.5p10", "5.5p1", 1, true},
        {"10xyz", "10.1xyz", -1, true},
        {"xyz10", "xyz10.1", -1, true},
        {"xyz.4", "8", -1, true},
        {"1b.fc17", "1.fc17", -1, true},
        {"2a", "2.0", -1, true},
        {"1.0a", "1.0", 1, true},
        {"1.0~rc1", "1.0", -1, true},
        {"1.0~rc1", "1.0~rc2", -1, true},
        {"1.0~rc1~git123", "1.0~rc1", -1, true},
        {"1.0^", "1.0", 1, true},
        {"1.0^git1", "1.01", -1, true},
        {"1.0^20160101", "1.0.1", -1, true},
        {"1.0^20160101^git1", "1.0^20160101", 1, true},
        {"1.0~rc1^git1", "1.0~rc1", 1, true},
        {"1.0^git1~pre", "1.0^git1", -1, true},
        {"001", "1", 0, true},
        {"1.0", "1.0.", 0, true},
        {"fc4", "fc.4", 0, true},
        /* EVR: epochs first; a release only when both have one. */
        {"1:1.0-1", "2.0-1", 1, false},
        {"1.2-4", "1.2-3", 1, false},
        {"1.2-3.el7", "1.2-10.el7", -1, false},
        {"1.2", "1.2-3.el7", 0, false},
        {"1.2-3.el7", "1.2", 0, false},
        {"1.3", "1.2-3.el7", 1, false},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = sign(oa_pkg_rpm_vercmp(rows[i].a, rows[i].b));
        int back = sign(oa_pkg_rpm_vercmp(rows[i].b, rows[i].a));
        int rpm = rows[i].ask_rpm ? rpm_says(rows[i].a, rows[i].b) : 2;
        if (got != rows[i].want || back != -rows[i].want)
            fail_msg("%s vs %s: %d (reverse %d), expected %d", rows[i].a, rows[i].b, got, back,
                     rows[i].want);
        if (rpm != 2 && rpm != got)
            fail_msg("%s vs %s: %d, rpm says %d", rows[i].a, rows[i].b, got, rpm);
    }
}

static void comparisons(void **unused)
{
    oa_pkg_cmp_fn c = oa_pkg_dpkg_vercmp;

    assert_true(oa_pkg_version_matches(OA_PKG_EQ, "1.0", "1.0-0", c));
    assert_false(oa_pkg_version_matches(OA_PKG_EQ, "1.0", "1.1", c));
    assert_true(oa_pkg_version_matches(OA_PKG_LT, "1.0", "1.1", c));
    assert_false(oa_pkg_version_matches(OA_PKG_LT, "1.1", "1.1", c));
    assert_true(oa_pkg_version_matches(OA_PKG_LE, "1.1", "1.1", c));
    assert_true(oa_pkg_version_matches(OA_PKG_GT, "1.2", "1.1", c));
    assert_false(oa_pkg_version_matches(OA_PKG_GT, "1.1", "1.1", c));
    assert_true(oa_pkg_version_matches(OA_PKG_GE, "1.1", "1.1", c));
    assert_true(oa_pkg_version_matches(OA_PKG_EQ, "1.2-3.el7", "1.2", oa_pkg_rpm_vercmp));
}

/* ---- Decisions ---- */

struct decide_row {
    const char *value;
    bool installed, present, config_left;
    const char *version;
    bool indexed;
    const char *candidate;
    const char *available[4];
    bool need_index_ok, refreshed;
    enum oa_pkg_action action;
    const char *target; /* NULL: none */
    const char *why;    /* "" */
};

static void check_decisions(const struct decide_row *rows, size_t n, const char *ext,
                            oa_pkg_cmp_fn cmp)
{
    for (size_t i = 0; i < n; i++) {
        const struct decide_row *w = &rows[i];
        struct oa_pkg_facts f = {w->installed, w->present,   w->config_left, w->version,
                                 w->indexed,   w->candidate, w->available,   0};
        struct oa_pkg_entry e;
        struct oa_pkg_decision d;
        char why[256];

        while (f.n_available < 4 && w->available[f.n_available])
            f.n_available++;
        assert_int_equal(oa_pkg_entry_parse("p", w->value, ext, &e, why, sizeof(why)), 0);
        oa_pkg_decide(&e, &f, cmp, w->need_index_ok, w->refreshed, &d);
        if (d.action != w->action || (w->target == NULL) != (d.target == NULL) ||
            (w->target && strcmp(w->target, d.target) != 0) || strcmp(w->why, d.why) != 0)
            fail_msg("row %zu (%s): action %d target %s why '%s'", i, w->value, d.action,
                     d.target ? d.target : "NULL", d.why);
    }
}

static void apt_decisions(void **unused)
{
    static const struct decide_row rows[] = {
        /* value, installed, present, config_left, version, indexed, candidate, available,
         * need_index_ok, refreshed → action, target, why */
        {"", true, true, false, "1.0", false, NULL, {0}, true, false, OA_PKG_KEEP, NULL, ""},
        {"", false, false, false, NULL, false, NULL, {0}, true, false, OA_PKG_NEED_INDEX, NULL, ""},
        {"",
         false,
         false,
         false,
         NULL,
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_INSTALL,
         "2.0",
         ""},
        {"",
         false,
         false,
         false,
         NULL,
         true,
         NULL,
         {0},
         false,
         false,
         OA_PKG_NEED_INDEX,
         NULL,
         "no such package in the package index"},
        {"",
         false,
         false,
         false,
         NULL,
         true,
         NULL,
         {0},
         false,
         true,
         OA_PKG_FAIL,
         NULL,
         "no such package in the package index"},
        {"",
         false,
         false,
         false,
         NULL,
         true,
         NULL,
         {"1.0"},
         false,
         true,
         OA_PKG_FAIL,
         NULL,
         "no installation candidate"},
        /* A half-installed package is not installed. */
        {"",
         false,
         true,
         false,
         "1.0",
         true,
         "1.0",
         {"1.0"},
         false,
         true,
         OA_PKG_INSTALL,
         "1.0",
         ""},
        /* latest */
        {"latest",
         true,
         true,
         false,
         "1.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_NEED_INDEX,
         NULL,
         ""},
        {"latest",
         true,
         true,
         false,
         "1.0",
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_UPGRADE,
         "2.0",
         ""},
        {"latest",
         true,
         true,
         false,
         "2.0",
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"latest",
         true,
         true,
         false,
         "3.0",
         true,
         "2.0",
         {"2.0"},
         false,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"latest", true, true, false, "1.0", true, NULL, {0}, false, true, OA_PKG_KEEP, NULL, ""},
        {"latest",
         false,
         false,
         false,
         NULL,
         true,
         "2.0",
         {"2.0"},
         false,
         false,
         OA_PKG_INSTALL,
         "2.0",
         ""},
        /* versions */
        {"1.0", true, true, false, "1.0", false, NULL, {0}, true, false, OA_PKG_KEEP, NULL, ""},
        {"1.0",
         true,
         true,
         false,
         "2.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_NEED_INDEX,
         NULL,
         ""},
        {"1.0",
         true,
         true,
         false,
         "2.0",
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_DOWNGRADE,
         "1.0",
         ""},
        {"1.0-0",
         false,
         false,
         false,
         NULL,
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_INSTALL,
         "1.0",
         ""},
        {"3.0",
         true,
         true,
         false,
         "2.0",
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         false,
         OA_PKG_NEED_INDEX,
         NULL,
         "version 3.0 is not available (available: 2.0, 1.0)"},
        {"3.0",
         true,
         true,
         false,
         "2.0",
         true,
         "2.0",
         {"2.0", "1.0"},
         false,
         true,
         OA_PKG_FAIL,
         NULL,
         "version 3.0 is not available (available: 2.0, 1.0)"},
        {"3.0",
         false,
         false,
         false,
         NULL,
         true,
         NULL,
         {0},
         false,
         true,
         OA_PKG_FAIL,
         NULL,
         "no such package in the package index"},
        {">= 1.5", true, true, false, "2.0", false, NULL, {0}, true, false, OA_PKG_KEEP, NULL, ""},
        {">= 1.5",
         true,
         true,
         false,
         "1.0",
         true,
         "3.0",
         {"3.0", "2.0", "1.0"},
         false,
         false,
         OA_PKG_UPGRADE,
         "3.0",
         ""},
        {"< 3.0",
         true,
         true,
         false,
         "3.0",
         true,
         "3.0",
         {"3.0", "1.0", "2.0"},
         false,
         false,
         OA_PKG_DOWNGRADE,
         "2.0",
         ""},
        {"<= 0.5",
         true,
         true,
         false,
         "3.0",
         true,
         "3.0",
         {"3.0", "2.0", "1.0"},
         false,
         true,
         OA_PKG_FAIL,
         NULL,
         "version <= 0.5 is not available (available: 3.0, 2.0, 1.0)"},
        {"> 1.0",
         false,
         false,
         false,
         NULL,
         true,
         "1.0",
         {"1.0", "2.0"},
         false,
         false,
         OA_PKG_INSTALL,
         "2.0",
         ""},
        /* removals */
        {"removed",
         true,
         true,
         false,
         "1.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_REMOVE,
         NULL,
         ""},
        {"removed",
         false,
         true,
         false,
         "1.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_REMOVE,
         NULL,
         ""},
        {"removed",
         false,
         false,
         true,
         "1.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"removed",
         false,
         false,
         false,
         NULL,
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"purged",
         false,
         false,
         true,
         "1.0",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_PURGE,
         NULL,
         ""},
        {"purged", true, true, false, "1.0", false, NULL, {0}, true, false, OA_PKG_PURGE, NULL, ""},
        {"purged", false, false, false, NULL, false, NULL, {0}, true, false, OA_PKG_KEEP, NULL, ""},
        /* files: installed at any version is enough, no download */
        {"/srv/p.deb",
         true,
         true,
         false,
         "0.1",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"http://h/p.deb",
         false,
         false,
         false,
         NULL,
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_INSTALL,
         NULL,
         ""},
    };

    check_decisions(rows, sizeof(rows) / sizeof(rows[0]), ".deb", oa_pkg_dpkg_vercmp);
}

/* yum decides without the index: the manager picks versions. */
static void yum_decisions(void **unused)
{
    static const struct decide_row rows[] = {
        {"", false, false, false, NULL, false, NULL, {0}, false, false, OA_PKG_INSTALL, NULL, ""},
        {"1.2",
         true,
         true,
         false,
         "1.2-3.el7",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"1.2",
         true,
         true,
         false,
         "1.3-1.el7",
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_DOWNGRADE,
         "1.2",
         ""},
        {"1.4",
         true,
         true,
         false,
         "1.3-1.el7",
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_UPGRADE,
         "1.4",
         ""},
        {"1.4",
         false,
         false,
         false,
         NULL,
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_INSTALL,
         "1.4",
         ""},
        {">= 1.4",
         true,
         true,
         false,
         "1.3-1",
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_UPGRADE,
         NULL,
         ""},
        {"< 1.3",
         true,
         true,
         false,
         "1.3-1",
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_FAIL,
         NULL,
         "cannot choose a version < 1.3 without the package index; give the exact version"},
        {"latest",
         true,
         true,
         false,
         "1.3-1",
         true,
         "1.4-1",
         {"1.4-1"},
         false,
         false,
         OA_PKG_UPGRADE,
         "1.4-1",
         ""},
        {"latest",
         true,
         true,
         false,
         "1.3-1",
         true,
         "1.3-1",
         {"1.3-1"},
         false,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
        {"latest",
         false,
         false,
         false,
         NULL,
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_INSTALL,
         NULL,
         ""},
        /* check-update said "update" without a readable version */
        {"latest",
         true,
         true,
         false,
         "1.3-1",
         false,
         NULL,
         {0},
         false,
         false,
         OA_PKG_UPGRADE,
         NULL,
         ""},
        {"purged",
         true,
         true,
         false,
         "1.3-1",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_PURGE,
         NULL,
         ""},
        {"http://h/epel-release-6-8.noarch.rpm",
         true,
         true,
         false,
         "6-8",
         false,
         NULL,
         {0},
         true,
         false,
         OA_PKG_KEEP,
         NULL,
         ""},
    };

    check_decisions(rows, sizeof(rows) / sizeof(rows[0]), ".rpm", oa_pkg_rpm_vercmp);
}

static void satisfied(void **unused)
{
    struct oa_pkg_entry e;
    char why[64];
    struct oa_pkg_facts inst = {true, true, false, "2.0", false, NULL, NULL, 0};
    struct oa_pkg_facts rc = {false, false, true, "2.0", false, NULL, NULL, 0};
    struct oa_pkg_facts gone = {0};
    struct oa_pkg_facts half = {false, true, false, "2.0", false, NULL, NULL, 0};
    oa_pkg_cmp_fn c = oa_pkg_dpkg_vercmp;

    oa_pkg_entry_parse("p", "", ".deb", &e, why, sizeof(why));
    assert_true(oa_pkg_satisfied(&e, &inst, NULL, c));
    assert_false(oa_pkg_satisfied(&e, &half, NULL, c));
    oa_pkg_entry_parse("p", "latest", ".deb", &e, why, sizeof(why));
    assert_true(oa_pkg_satisfied(&e, &inst, "2.0", c));
    assert_false(oa_pkg_satisfied(&e, &inst, "2.1", c));
    oa_pkg_entry_parse("p", ">1.0", ".deb", &e, why, sizeof(why));
    assert_true(oa_pkg_satisfied(&e, &inst, NULL, c));
    oa_pkg_entry_parse("p", "1.0", ".deb", &e, why, sizeof(why));
    assert_false(oa_pkg_satisfied(&e, &inst, NULL, c));
    oa_pkg_entry_parse("p", "removed", ".deb", &e, why, sizeof(why));
    assert_true(oa_pkg_satisfied(&e, &rc, NULL, c));
    assert_false(oa_pkg_satisfied(&e, &half, NULL, c));
    oa_pkg_entry_parse("p", "purged", ".deb", &e, why, sizeof(why));
    assert_false(oa_pkg_satisfied(&e, &rc, NULL, c));
    assert_true(oa_pkg_satisfied(&e, &gone, NULL, c));
}

/* ---- Parsers ---- */

static void dpkg_status(void **unused)
{
    static const struct {
        const char *line;
        bool installed, present, config_left;
        const char *version;
    } rows[] = {
        {"install ok installed\t1.22.1-9", true, true, false, "1.22.1-9"},
        {"hold ok installed\t1.0", true, true, false, "1.0"},
        {"deinstall ok installed\t1.0", false, true, false, "1.0"},
        {"deinstall ok config-files\t2.0", false, false, true, "2.0"},
        {"install reinstreq half-installed\t2.0", false, true, false, "2.0"},
        {"install ok half-configured\t2.0", false, true, false, "2.0"},
        {"unknown ok not-installed\t", false, false, false, ""},
        {"garbage", false, false, false, NULL},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_pkg_facts f = {0};
        const char *v;
        size_t vlen;
        oa_pkg_dpkg_status_parse(rows[i].line, &f, &v, &vlen);
        if (f.installed != rows[i].installed || f.present != rows[i].present ||
            f.config_left != rows[i].config_left)
            fail_msg("row %zu: installed %d present %d config %d", i, f.installed, f.present,
                     f.config_left);
        if (rows[i].version &&
            (strlen(rows[i].version) != vlen || strncmp(v, rows[i].version, vlen) != 0))
            fail_msg("row %zu: version '%.*s'", i, (int)vlen, v ? v : "");
    }
}

static void apt_policy(void **unused)
{
    char text[] = "oa-test:\n"
                  "  Installed: 1.0\n"
                  "  Candidate: 3.0~bpo1\n"
                  "  Version table:\n"
                  "     3.0~bpo1 990\n"
                  "        990 file:/tmp/bpo ./ Packages\n"
                  "     2.0 500\n"
                  "        500 file:/tmp/repo ./ Packages\n"
                  " *** 1.0 500\n"
                  "        500 file:/tmp/repo ./ Packages\n"
                  "        100 /var/lib/dpkg/status\n"
                  "other:\n"
                  "  Installed: (none)\n"
                  "  Candidate: 9.0\n"
                  "  Version table:\n"
                  "     9.0 500\n";
    char none[] = "oa-x:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n"
                  "     1.0 100\n        100 /var/lib/dpkg/status\n";
    char empty[] = "";
    char *v[8], *cand;

    assert_int_equal(oa_pkg_apt_policy_parse(text, &cand, v, 8), 3);
    assert_string_equal(cand, "3.0~bpo1");
    assert_string_equal(v[0], "3.0~bpo1");
    assert_string_equal(v[1], "2.0");
    assert_string_equal(v[2], "1.0");
    assert_int_equal(oa_pkg_apt_policy_parse(none, &cand, v, 8), 1);
    assert_null(cand);
    assert_string_equal(v[0], "1.0");
    assert_int_equal(oa_pkg_apt_policy_parse(empty, &cand, v, 8), 0);
    assert_null(cand);
    /* At most max versions. */
    char many[] = "p:\n  Candidate: 3\n  Version table:\n     3 1\n     2 1\n     1 1\n";
    assert_int_equal(oa_pkg_apt_policy_parse(many, &cand, v, 2), 2);
}

static void yum_check_update(void **unused)
{
    const char *text = "\n"
                       "mongo-10gen.x86_64            2.4.9-mongodb_1           10gen\n"
                       "mongo-10gen-server.x86_64     2.4.9-mongodb_1           10gen\n"
                       "Obsoleting Packages\n"
                       "other.noarch   1:5.0-1    base\n";
    char v[64];

    assert_true(oa_pkg_yum_update_parse(text, "mongo-10gen", v, sizeof(v)));
    assert_string_equal(v, "2.4.9-mongodb_1");
    assert_true(oa_pkg_yum_update_parse(text, "mongo-10gen-server", v, sizeof(v)));
    assert_false(oa_pkg_yum_update_parse(text, "mongo", v, sizeof(v)));
    assert_false(oa_pkg_yum_update_parse(text, "other", v, sizeof(v)));
    assert_false(oa_pkg_yum_update_parse("", "x", v, sizeof(v)));
}

/* ---- argv ---- */

static void expect_argv(struct oa_pkg_argv *a, const char *want)
{
    char buf[1024];

    assert_true(oa_pkg_argv_ok(a));
    assert_null(a->v[a->n]);
    assert_string_equal(oa_pkg_argv_join(a, buf, sizeof(buf)), want);
    oa_pkg_argv_done(a);
}

static void apt_argv(void **unused)
{
    const char *specs[] = {"oa-test=1.0", "/tmp/x/oa-local_1.0_all.deb", "nginx"};
    struct oa_pkg_opts plain = {NULL, true, false, false};
    struct oa_pkg_opts all = {"bookworm-backports", false, true, false};
    struct oa_pkg_argv a = {0};

    oa_pkg_apt_argv(&a, OA_PKG_CALL_INSTALL, &plain, specs, 3);
    expect_argv(&a, "apt-get -q -y -o DPkg::Lock::Timeout=300 -o DPkg::Options::=--force-confold "
                    "-o DPkg::Options::=--force-confdef install oa-test=1.0 "
                    "/tmp/x/oa-local_1.0_all.deb nginx");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_INSTALL, &all, specs, 1);
    expect_argv(&a, "apt-get -q -y -o DPkg::Lock::Timeout=300 -o DPkg::Options::=--force-confold "
                    "-o DPkg::Options::=--force-confdef -t bookworm-backports "
                    "--allow-unauthenticated --allow-downgrades install oa-test=1.0");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_REFRESH, &plain, NULL, 0);
    expect_argv(&a, "apt-get -q -o DPkg::Lock::Timeout=300 update");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_REFRESH, &all, NULL, 0);
    expect_argv(&a, "apt-get -q -o DPkg::Lock::Timeout=300 --allow-insecure-repositories update");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_REMOVE, &all, specs + 2, 1);
    expect_argv(&a, "apt-get -q -y -o DPkg::Lock::Timeout=300 remove nginx");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_PURGE, &plain, specs + 2, 1);
    expect_argv(&a, "apt-get -q -y -o DPkg::Lock::Timeout=300 purge nginx");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_QUERY, &plain, specs + 2, 1);
    expect_argv(&a, "dpkg-query -W -f ${Status}\\t${Version}\\n nginx");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_CANDIDATE, &plain, specs + 2, 1);
    expect_argv(&a, "apt-cache policy nginx");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_CANDIDATE, &all, specs + 2, 1);
    expect_argv(&a, "apt-cache -t bookworm-backports policy nginx");
    /* yum-only calls give no argv, which oa_pkg_exec refuses. */
    oa_pkg_apt_argv(&a, OA_PKG_CALL_LOCALINSTALL, &plain, specs, 1);
    assert_false(oa_pkg_argv_ok(&a));
    oa_pkg_argv_done(&a);
}

static void yum_argv(void **unused)
{
    const char *specs[] = {"mongo-10gen-2.4.9", "nginx"};
    const char *files[] = {"/tmp/opsagent-pkg.x/epel-release-6-8.noarch.rpm"};
    struct oa_pkg_opts plain = {NULL, true, false, false};
    struct oa_pkg_opts all = {"10gen", false, false, true};
    struct oa_pkg_argv a = {0};

    oa_pkg_yum_argv(&a, OA_PKG_CALL_INSTALL, &plain, specs, 2);
    expect_argv(&a, "yum -y install mongo-10gen-2.4.9 nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_INSTALL, &all, specs, 2);
    expect_argv(&a, "yum -y --nogpgcheck --disablerepo=* --enablerepo=10gen install "
                    "mongo-10gen-2.4.9 nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_DOWNGRADE, &all, specs, 1);
    expect_argv(&a, "yum -y --nogpgcheck --disablerepo=* --enablerepo=10gen downgrade "
                    "mongo-10gen-2.4.9");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_UPDATE, &plain, specs + 1, 1);
    expect_argv(&a, "yum -y update nginx");
    /* Files: dependencies may come from any repository. */
    oa_pkg_yum_argv(&a, OA_PKG_CALL_LOCALINSTALL, &all, files, 1);
    expect_argv(&a, "yum -y --nogpgcheck localinstall "
                    "/tmp/opsagent-pkg.x/epel-release-6-8.noarch.rpm");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_REMOVE, &all, specs + 1, 1);
    expect_argv(&a, "yum -y remove nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_PURGE, &plain, specs + 1, 1);
    expect_argv(&a, "yum -y remove nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_REFRESH, &plain, NULL, 0);
    expect_argv(&a, "yum -q makecache");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_CANDIDATE, &plain, specs + 1, 1);
    expect_argv(&a, "yum -q check-update nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_CANDIDATE, &all, specs + 1, 1);
    expect_argv(&a, "yum -q -C --disablerepo=* --enablerepo=10gen check-update nginx");
    oa_pkg_yum_argv(&a, OA_PKG_CALL_QUERY, &all, specs + 1, 1);
    expect_argv(&a, "rpm -q --qf %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n nginx");

    oa_repo_rpm_argv(&a, OA_REPO_RPM_NAME, "/tmp/r.rpm");
    expect_argv(&a, "rpm -qp --qf %{NAME} /tmp/r.rpm");
    oa_repo_rpm_argv(&a, OA_REPO_RPM_INSTALLED, "epel-release");
    expect_argv(&a, "rpm -q --quiet epel-release");
    oa_repo_rpm_argv(&a, OA_REPO_RPM_INSTALL, "/tmp/r.rpm");
    expect_argv(&a, "yum -y install /tmp/r.rpm");
    oa_repo_rpm_argv(&a, OA_REPO_RPM_IMPORT, "/tmp/rpm.key");
    expect_argv(&a, "rpm --import /tmp/rpm.key");
    oa_repo_rpm_argv(&a, OA_REPO_RPM_LIST, "gpg-pubkey");
    expect_argv(&a, "rpm -q gpg-pubkey");
}

/* ---- The index record and memos ---- */

static void index_record(void **unused)
{
    char dir[] = "/tmp/oa-pkg.XXXXXX", value[64];
    struct stat st;
    time_t now = 1700000000;

    assert_non_null(mkdtemp(dir));
    assert_false(oa_pkg_index_fresh(dir, "apt", now, 3600));
    assert_int_equal(oa_pkg_index_touch(dir, "apt", now), 0);
    assert_true(oa_pkg_index_fresh(dir, "apt", now, 3600));
    assert_true(oa_pkg_index_fresh(dir, "apt", now + 3599, 3600));
    assert_false(oa_pkg_index_fresh(dir, "apt", now + 3600, 3600));
    /* A record from the future (the clock went back) does not count. */
    assert_false(oa_pkg_index_fresh(dir, "apt", now - 10, 3600));
    assert_false(oa_pkg_index_fresh(dir, "yum", now, 3600));
    snprintf(value, sizeof(value), "%s/pkg", dir);
    assert_int_equal(stat(value, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(oa_pkg_index_mark_stale(dir, "apt"), 0);
    assert_false(oa_pkg_index_fresh(dir, "apt", now, 3600));
    assert_int_equal(oa_pkg_index_mark_stale(dir, "apt"), 0);
    /* Without a state dir: never fresh, nothing written. */
    assert_false(oa_pkg_index_fresh(NULL, "apt", now, 3600));
    assert_int_equal(oa_pkg_index_touch(NULL, "apt", now), 0);
    assert_int_equal(oa_pkg_index_mark_stale(NULL, "apt"), 0);

    assert_int_equal(oa_pkg_memo_get(dir, "rpm-key", "https://h/k", value, sizeof(value)), -ENOENT);
    assert_int_equal(oa_pkg_memo_put(dir, "rpm-key", "https://h/k", "gpg-pubkey-1-2"), 0);
    assert_int_equal(oa_pkg_memo_get(dir, "rpm-key", "https://h/k", value, sizeof(value)), 0);
    assert_string_equal(value, "gpg-pubkey-1-2");
    assert_int_equal(oa_pkg_memo_get(dir, "rpm-key", "https://h/k2", value, sizeof(value)),
                     -ENOENT);
    assert_int_equal(oa_pkg_memo_get(dir, "yum-release", "https://h/k", value, sizeof(value)),
                     -ENOENT);
    assert_int_equal(oa_pkg_memo_get(NULL, "rpm-key", "https://h/k", value, sizeof(value)),
                     -ENOENT);

    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- Repositories ---- */

static void repo_file_names(void **unused)
{
    static const struct {
        const char *dir, *name, *ext, *want;
    } rows[] = {
        {"/etc/apt/sources.list.d", "opscode", ".list", "/etc/apt/sources.list.d/opscode.list"},
        {"/etc/apt/sources.list.d", "opscode.list", ".list",
         "/etc/apt/sources.list.d/opscode.list"},
        {"/etc/yum.repos.d", "mongodb", ".repo", "/etc/yum.repos.d/mongodb.repo"},
        /* ⚠ modules.md §D: the original left "myrepo" without ".repo". */
        {"/etc/yum.repos.d", "myrepo", ".repo", "/etc/yum.repos.d/myrepo.repo"},
        {"/etc/yum.repos.d", "epel.repo", ".repo", "/etc/yum.repos.d/epel.repo"},
        {"/etc/yum.repos.d", ".repo", ".repo", "/etc/yum.repos.d/.repo.repo"},
        {"/etc/yum.repos.d", "a/b", ".repo", NULL},
        {"/etc/yum.repos.d", "..", ".repo", NULL},
        {"/etc/yum.repos.d", ".", ".repo", NULL},
        {"/etc/yum.repos.d", "", ".repo", NULL},
        {"/etc/yum.repos.d", "a\nb", ".repo", NULL},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char path[256], why[256];
        int r = oa_repo_file_path(rows[i].dir, rows[i].name, rows[i].ext, path, sizeof(path), why,
                                  sizeof(why));
        if (rows[i].want) {
            assert_int_equal(r, 0);
            assert_string_equal(path, rows[i].want);
        } else {
            assert_int_equal(r, -EINVAL);
            assert_non_null(strstr(why, "is not a file name"));
        }
    }
}

static const struct oa_param_spec yum_repo_spec[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    {"content", OA_PT_TEXT, 0},
    {"rpm-url", OA_PT_LINE, 0},
};

static void yum_repo_checks(void **unused)
{
    static const struct {
        const char *params, *path, *why;
    } rows[] = {
        {"{\"name\": \"mongodb\", \"content\": \"[mongodb]\\n\"}", "/etc/yum.repos.d/mongodb.repo",
         NULL},
        {"{\"name\": \"epel\", \"rpm-url\": \"http://h/epel-release-6-8.noarch.rpm\"}",
         "/etc/yum.repos.d/epel.repo", NULL},
        {"{\"name\": \"epel\", \"rpm-url\": \"/srv/epel-release.rpm\"}",
         "/etc/yum.repos.d/epel.repo", NULL},
        /* content wins: rpm-url is not looked at */
        {"{\"name\": \"x\", \"content\": \"y\", \"rpm-url\": \"nonsense\"}",
         "/etc/yum.repos.d/x.repo", NULL},
        {"{\"name\": \"x\"}", NULL, "linux.yum.repo needs 'content' or 'rpm-url'"},
        {"{\"name\": \"x\", \"content\": \"\"}", NULL,
         "linux.yum.repo needs 'content' or 'rpm-url'"},
        {"{\"name\": \"x\", \"rpm-url\": \"ftp://h/r.rpm\"}", NULL,
         "parameter 'rpm-url': 'ftp://h/r.rpm' is neither an http(s) URL nor an absolute path"},
        {"{\"name\": \"a/b\", \"content\": \"y\"}", NULL,
         "parameter 'name': 'a/b' is not a file name"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_outcome out = {true, false, ""};
        struct oa_params p;
        struct oa_json *v;
        char path[256] = "", err[256];
        int r;

        assert_int_equal(oa_json_parse(rows[i].params, strlen(rows[i].params), NULL, &v, NULL, 0),
                         0);
        assert_int_equal(oa_params_parse(yum_repo_spec, 3, v, &p, NULL, err, sizeof(err)), 0);
        r = oa_repo_yum_validate(&p, path, sizeof(path), &out);
        if (rows[i].path) {
            if (r != 0)
                fail_msg("row %zu: %s", i, out.comment);
            assert_string_equal(path, rows[i].path);
        } else {
            assert_true(r < 0);
            assert_false(out.result);
            assert_string_equal(out.comment, rows[i].why);
        }
        oa_params_done(&p);
        oa_json_free(v);
    }
}

/* ---- OpenPGP keys ---- */

/* Made with gpg (ed25519); `rpm --import` names it gpg-pubkey-fef676da-6b0a158a. */
static const char unit_key[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                               "\n"
                               "mDMEawoVihYJKwYBBAHaRw8BAQdAbkKuy1RZ+MpScSHgcZphZUlSCt+M3X//fHsZ\n"
                               "/t/M7HK0Hk9BIFVuaXQgPHVuaXRAZXhhbXBsZS5pbnZhbGlkPoiQBBMWCAA4FiEE\n"
                               "SRQkCR4wRLC1EFGT28saDv72dtoFAmsKFYoCGwMFCwkIBwIGFQoJCAsCBBYCAwEC\n"
                               "HgECF4AACgkQ28saDv72dtr9agEA3a9ilu1SH47T5YkUNZI5QsWHkyVzcJXVtCyH\n"
                               "dfR/8CUA/3qtdhbcYAxFmbbncf0RtevY7K9rLXhGZi4MNYa8IqYO\n"
                               "=5SB3\n"
                               "-----END PGP PUBLIC KEY BLOCK-----\n";

static void pgp_names(void **unused)
{
    char name[64], text[2048];

    assert_int_equal(oa_repo_pgp_rpm_name(unit_key, strlen(unit_key), name, sizeof(name)), 0);
    assert_string_equal(name, "gpg-pubkey-fef676da-6b0a158a");
    /* Armour headers, CRLF line ends and text around the block. */
    snprintf(text, sizeof(text), "some text\r\n%s", unit_key);
    char *blank = strstr(text, "-----\n\n");
    assert_non_null(blank);
    memmove(blank + 6 + 21, blank + 6, strlen(blank + 6) + 1);
    memcpy(blank + 6, "Comment: a test key\r\n", 21);
    assert_int_equal(oa_repo_pgp_rpm_name(text, strlen(text), name, sizeof(name)), 0);
    assert_string_equal(name, "gpg-pubkey-fef676da-6b0a158a");
    /* Not a key. */
    assert_int_equal(oa_repo_pgp_rpm_name("hello", 5, name, sizeof(name)), OA_ESYNTAX);
    const char *junk = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n=AAAA\n"
                       "-----END PGP PUBLIC KEY BLOCK-----\n";
    assert_int_equal(oa_repo_pgp_rpm_name(junk, strlen(junk), name, sizeof(name)), OA_ESYNTAX);
    const char *cut = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEawoV\n";
    assert_int_equal(oa_repo_pgp_rpm_name(cut, strlen(cut), name, sizeof(name)), OA_ESYNTAX);
    /* Every prefix of the key is handled without reading past it. */
    for (size_t n = 0; n < strlen(unit_key); n++)
        (void)oa_repo_pgp_rpm_name(unit_key, n, name, sizeof(name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries),         cmocka_unit_test(dpkg_versions),
        cmocka_unit_test(rpm_versions),    cmocka_unit_test(comparisons),
        cmocka_unit_test(apt_decisions),   cmocka_unit_test(yum_decisions),
        cmocka_unit_test(satisfied),       cmocka_unit_test(dpkg_status),
        cmocka_unit_test(apt_policy),      cmocka_unit_test(yum_check_update),
        cmocka_unit_test(apt_argv),        cmocka_unit_test(yum_argv),
        cmocka_unit_test(index_record),    cmocka_unit_test(repo_file_names),
        cmocka_unit_test(yum_repo_checks), cmocka_unit_test(pgp_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
