/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.apt.ppa (modules.md §5.4): a Launchpad PPA as an apt source, on
 * Ubuntu only (Debian and the rest fail: "PPAs are only supported on
 * Ubuntu"). Nothing is done, and apt-get update is not run, when the entry
 * is already there.
 *
 * A public PPA is added with `add-apt-repository -y ppa:OWNER/ARCHIVE`
 * (package software-properties-common, installed when missing; §1.6),
 * which writes the sources entry and fetches the signing key; whether the
 * entry is there is read from apt's sources (/etc/apt/sources.list and the
 * .list and .sources files of sources.list.d), so an entry added by hand or
 * by an older add-apt-repository (ppa.launchpad.net) counts too.
 *
 * A private PPA (username and password) gets a sources line for Launchpad's
 * private-PPA host and the credentials in /etc/apt/auth.conf.d/ (0600),
 * never in the URL, both managed like linux.apt.repo's file. Its signing
 * key is not fetched (the recipe language gives no fingerprint, and the
 * Launchpad API does not show a private PPA anonymously): when apt cannot
 * check the PPA's signature, the state fails naming the key to install.
 *
 * After a change apt-get update runs (as the original did, as a command of
 * its own); it refreshes the package index record that linux.apt.package
 * reads (§5.0), or marks it stale when it fails. The password never appears
 * in the comment or the output (§1.3).
 */
#include "linux_ppa.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "fsutil.h"
#include "linux_pkg.h"
#include "modules.h"
#include "prereq.h"
#include "tool.h"

#define SOURCES_MAX ((size_t)1 << 20)
#define SOURCES_DIR "/etc/apt/sources.list.d"

static const struct oa_param_spec ppa_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    {"username", OA_PT_LINE, 0},
    {"password", OA_PT_LINE, 0},
};

static const char *const apt_env[] = {"DEBIAN_FRONTEND=noninteractive", NULL};

/* ---- Names, sources, files ---- */

static bool lp_name_ok(const char *s, size_t n)
{
    if (n == 0 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.", s[i]))
            return false;
    return true;
}

int oa_ppa_parse_name(const char *name, char *owner, size_t olen, char *archive, size_t alen)
{
    const char *slash;

    if (strncmp(name, "ppa:", 4) == 0)
        name += 4;
    slash = strchr(name, '/');
    if (!slash || !lp_name_ok(name, (size_t)(slash - name)) ||
        !lp_name_ok(slash + 1, strlen(slash + 1)) || (size_t)(slash - name) >= olen ||
        strlen(slash + 1) >= alen)
        return -EINVAL;
    snprintf(owner, olen, "%.*s", (int)(slash - name), name);
    snprintf(archive, alen, "%s", slash + 1);
    return 0;
}

bool oa_ppa_os_ok(const struct oa_osinfo *os)
{
    const char *p = os->id_like;

    if (strcmp(os->id, "ubuntu") == 0)
        return true;
    while ((p = strstr(p, "ubuntu"))) {
        if ((p == os->id_like || p[-1] == ' ') && (p[6] == '\0' || p[6] == ' '))
            return true;
        p += 6;
    }
    return false;
}

/* Whether the n bytes at s hold a URL of the PPA on one of the hosts:
 * "[scheme://][user@]HOST/OWNER/ARCHIVE/ubuntu" ending there or with '/'. */
static bool url_in(const char *s, size_t n, const char *owner, const char *archive,
                   bool private_ppa)
{
    static const char *const hosts[2][2] = {
        {"ppa.launchpad.net", "ppa.launchpadcontent.net"},
        {"private-ppa.launchpad.net", "private-ppa.launchpadcontent.net"},
    };
    char want[512];

    for (int h = 0; h < 2; h++) {
        int w =
            snprintf(want, sizeof(want), "%s/%s/%s/ubuntu", hosts[private_ppa][h], owner, archive);
        for (const char *p = s; w > 0 && p + w <= s + n; p++) {
            const char *after = p + w;
            if ((p == s || p[-1] == '/' || p[-1] == '@') && memcmp(p, want, (size_t)w) == 0 &&
                (after == s + n || strchr("/ \t\r\n]", *after)))
                return true;
        }
    }
    return false;
}

static bool list_has(const char *text, const char *owner, const char *archive, bool private_ppa)
{
    for (const char *line = text; line && *line;) {
        size_t n = strcspn(line, "\n"), lead = strspn(line, " \t");
        if (n > lead + 4 && strncmp(line + lead, "deb", 3) == 0 &&
            (line[lead + 3] == ' ' || line[lead + 3] == '\t')) {
            size_t cut = strcspn(line, "#");
            if (url_in(line, cut < n ? cut : n, owner, archive, private_ppa))
                return true;
        }
        line = line[n] ? line + n + 1 : NULL;
    }
    return false;
}

/* The value of "Field:" in one deb822 line, or NULL. */
static const char *field(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);

    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return NULL;
    return line + k + 1;
}

/* Whether word stands alone among the blank-separated words of s[0..n). */
static bool has_word(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);

    for (size_t i = 0; i < n;) {
        i += strspn(s + i, " \t");
        size_t w = strcspn(s + i, " \t\r\n");
        if (w > n - i)
            w = n - i;
        if (w == k && strncmp(s + i, word, k) == 0)
            return true;
        i += w ? w : 1;
    }
    return false;
}

static bool deb822_has(const char *text, const char *owner, const char *archive, bool private_ppa)
{
    bool deb = false, url = false, enabled = true, in_uris = false;
    const char *v;

    for (const char *line = text; line;) {
        size_t n = strcspn(line, "\n"), lead = strspn(line, " \t");
        if (lead + strspn(line + lead, "\r") >= n) { /* a blank line ends a stanza */
            if (deb && url && enabled)
                return true;
            deb = url = in_uris = false;
            enabled = true;
        } else if (line[0] == '#') {
        } else if (lead) { /* a continuation of the field above */
            url = url || (in_uris && url_in(line, n, owner, archive, private_ppa));
        } else {
            in_uris = false;
            if ((v = field(line, n, "Types"))) {
                deb = has_word(v, n - (size_t)(v - line), "deb");
            } else if ((v = field(line, n, "URIs"))) {
                in_uris = true;
                url = url_in(v, n - (size_t)(v - line), owner, archive, private_ppa);
            } else if ((v = field(line, n, "Enabled"))) {
                v += strspn(v, " \t");
                enabled = strncasecmp(v, "no", 2) != 0;
            }
        }
        line = line[n] ? line + n + 1 : NULL;
    }
    return deb && url && enabled;
}

bool oa_ppa_sources_have(const char *text, bool deb822, const char *owner, const char *archive,
                         bool private_ppa)
{
    return deb822 ? deb822_has(text, owner, archive, private_ppa)
                  : list_has(text, owner, archive, private_ppa);
}

int oa_ppa_private_files(const char *owner, const char *archive, const char *codename,
                         const char *user, const char *password, struct oa_ppa_files *ret)
{
    size_t w[4];

    w[0] = (size_t)snprintf(ret->list_path, sizeof(ret->list_path), "%s/%s-ubuntu-%s-%s.list",
                            SOURCES_DIR, owner, archive, codename);
    w[1] = (size_t)snprintf(ret->list, sizeof(ret->list), "deb https://%s/%s/%s/ubuntu %s main\n",
                            OA_PPA_PRIVATE_HOST, owner, archive, codename);
    w[2] = (size_t)snprintf(ret->auth_path, sizeof(ret->auth_path),
                            "/etc/apt/auth.conf.d/%s-ubuntu-%s.conf", owner, archive);
    w[3] = (size_t)snprintf(ret->auth, sizeof(ret->auth),
                            "machine %s/%s/%s/ubuntu login %s password %s\n", OA_PPA_PRIVATE_HOST,
                            owner, archive, user, password);
    return w[0] >= sizeof(ret->list_path) || w[1] >= sizeof(ret->list) ||
                   w[2] >= sizeof(ret->auth_path) || w[3] >= sizeof(ret->auth)
               ? -ENAMETOOLONG
               : 0;
}

bool oa_ppa_no_pubkey(const char *text, char *buf, size_t len)
{
    const char *p = text ? strstr(text, "NO_PUBKEY ") : NULL;
    size_t n;

    if (!p)
        return false;
    p += 10;
    n = strspn(p, "0123456789ABCDEFabcdef");
    if (n == 0 || n >= len)
        return false;
    snprintf(buf, len, "%.*s", (int)n, p);
    return true;
}

/* ---- The module ---- */

/* The apt sources file that has the PPA, into found; false when none. */
static bool find_entry(const char *owner, const char *archive, char *found, size_t len)
{
    struct oa_buf text;
    DIR *d = opendir(SOURCES_DIR);
    struct dirent *e;
    bool hit = false;

    oa_buf_init(&text, SOURCES_MAX);
    snprintf(found, len, "/etc/apt/sources.list");
    if (oa_fs_read_file(found, &text) == 0 && text.data)
        hit = oa_ppa_sources_have(text.data, false, owner, archive, false);
    while (!hit && d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        bool list = n > 5 && strcmp(e->d_name + n - 5, ".list") == 0;
        bool deb822 = n > 8 && strcmp(e->d_name + n - 8, ".sources") == 0;
        if (!list && !deb822)
            continue;
        snprintf(found, len, "%s/%s", SOURCES_DIR, e->d_name);
        oa_buf_done(&text);
        oa_buf_init(&text, SOURCES_MAX);
        if (oa_fs_read_file(found, &text) == 0 && text.data)
            hit = oa_ppa_sources_have(text.data, deb822, owner, archive, false);
    }
    if (d)
        closedir(d);
    oa_buf_done(&text);
    return hit;
}

/* Runs a tool with its output shown after a "+ argv" line. Returns 0 when
 * it exited 0; else non-zero with why ("add-apt-repository exited with
 * status 1: <its first error line>"). *text gets stdout and stderr. */
static int run_shown(char *const argv[], struct oa_buf *text, char *why, size_t len)
{
    struct oa_buf out, err;
    char line[512], st[96];
    int status, rc;

    printf("+");
    for (size_t i = 0; argv[i]; i++)
        printf(" %s", argv[i]);
    printf("\n");
    oa_buf_init(&out, 1 << 20);
    oa_buf_init(&err, 64 << 10);
    rc = oa_pkg_query(argv, apt_env, &out, &err, &status, why, len);
    if (rc == 0) {
        fputs(out.data ? out.data : "", stdout);
        fputs(err.data ? err.data : "", stdout);
        oa_buf_init(text, (2 << 20));
        if (oa_buf_append(text, out.data ? out.data : "", out.len) < 0 ||
            oa_buf_append(text, err.data ? err.data : "", err.len) < 0)
            rc = -ENOMEM, snprintf(why, len, "out of memory");
    }
    if (rc == 0 && !oa_tool_ok(status)) {
        const char *e = err.data ? strstr(err.data, "E: ") : NULL;
        oa_pkg_first_line(e ? e : err.data && err.len ? err.data : out.data, line, sizeof(line));
        snprintf(why, len, "%s %s%s%s", argv[0], oa_tool_status_text(status, st, sizeof(st)),
                 line[0] ? ": " : "", line);
        rc = 1;
    }
    oa_buf_done(&out);
    oa_buf_done(&err);
    return rc;
}

/* apt-get update after a change. Returns 0, or non-zero with why. */
static int update(const struct oa_run_ctx *ctx, char *why, size_t len)
{
    struct oa_pkg_opts o = {.verify_gpg = true};
    struct oa_pkg_argv a = {0};
    struct oa_buf text = {0};
    char key[64];
    int rc;

    (void)oa_pkg_index_mark_stale(ctx->state_dir, "apt");
    oa_pkg_apt_argv(&a, OA_PKG_CALL_REFRESH, &o, NULL, 0);
    if (!oa_pkg_argv_ok(&a))
        rc = -ENOMEM, snprintf(why, len, "out of memory");
    else
        rc = run_shown(a.v, &text, why, len);
    oa_pkg_argv_done(&a);
    /* apt only warns (exit 0) about a source it could not check on some
     * versions: its packages are not usable either way. */
    if (rc >= 0 && oa_ppa_no_pubkey(text.data, key, sizeof(key))) {
        snprintf(why, len,
                 "apt cannot check the PPA's signature: its key %s is not trusted (put the key in "
                 "/etc/apt/trusted.gpg.d/, for example with linux.file)",
                 key);
        rc = 1;
    }
    if (rc == 0 && ctx->state_dir && oa_pkg_index_touch(ctx->state_dir, "apt", time(NULL)) < 0)
        printf("cannot record the apt index refresh under %s, ignoring\n", ctx->state_dir);
    oa_buf_done(&text);
    return rc;
}

static void public_ppa(const struct oa_run_ctx *ctx, const char *owner, const char *archive,
                       struct oa_outcome *out)
{
    char spec[300], file[4096], why[1024];
    char *argv[] = {"add-apt-repository", "-y", spec, NULL};
    struct oa_buf text = {0};
    struct oa_osinfo os;
    bool installed;

    snprintf(spec, sizeof(spec), "ppa:%s/%s", owner, archive);
    if (find_entry(owner, archive, file, sizeof(file))) {
        oa_outcome_set(out, true, false, "%s is already added (%s), no changes", spec, file);
        return;
    }
    oa_osinfo_read(&os);
    if (oa_prereq_ensure(ctx, &os, "add-apt-repository", "software-properties-common", NULL,
                         &installed, out) < 0)
        return;
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would add %s with add-apt-repository, then apt-get update",
                       spec);
        return;
    }
    if (run_shown(argv, &text, why, sizeof(why)) != 0) {
        oa_outcome_set(out, false, installed, "%s", why);
    } else if (!find_entry(owner, archive, file, sizeof(file))) {
        oa_outcome_set(out, false, true,
                       "add-apt-repository ran without error, but no apt source has %s", spec);
    } else if (update(ctx, why, sizeof(why)) != 0) {
        oa_outcome_set(out, false, true, "added %s (%s), but %s", spec, file, why);
    } else {
        oa_outcome_set(out, true, true, "added %s (%s), index updated", spec, file);
    }
    oa_buf_done(&text);
}

/* The codename of this Ubuntu: os-release, else /etc/lsb-release. */
static void codename(const struct oa_osinfo *os, char *buf, size_t len)
{
    struct oa_buf lsb;
    const char *p;

    snprintf(buf, len, "%s", os->codename);
    oa_buf_init(&lsb, 64 << 10);
    if (!buf[0] && oa_fs_read_file("/etc/lsb-release", &lsb) == 0 && lsb.data &&
        (p = strstr(lsb.data, "DISTRIB_CODENAME=")))
        snprintf(buf, len, "%.*s", (int)strcspn(p + 17, "\"\n \t"), p + 17 + (p[17] == '"'));
    oa_buf_done(&lsb);
}

static bool credential_ok(const char *name, const char *v, struct oa_outcome *out)
{
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            oa_outcome_set(out, false, false, "parameter '%s' must not contain blanks", name);
            return false;
        }
    return true;
}

static void private_ppa(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *owner,
                        const char *archive, const char *user, const char *password,
                        struct oa_outcome *out)
{
    struct oa_ppa_files f;
    char code[32], list_note[700], why[1024];
    bool list_changed, auth_changed;

    if (!credential_ok("username", user, out) || !credential_ok("password", password, out))
        return;
    codename(os, code, sizeof(code));
    if (!code[0] || !lp_name_ok(code, strlen(code))) {
        oa_outcome_set(out, false, false, "cannot tell this Ubuntu's codename (%s)", os->pretty);
        return;
    }
    if (oa_ppa_private_files(owner, archive, code, user, password, &f) < 0) {
        oa_outcome_set(out, false, false, "parameter 'name': '%s/%s' is too long", owner, archive);
        return;
    }
    if (oa_repo_manage_file(ctx, f.list_path, f.list, 0644, &list_changed, out) < 0)
        return;
    snprintf(list_note, sizeof(list_note), "%.690s", out->comment);
    if (oa_repo_manage_file(ctx, f.auth_path, f.auth, 0600, &auth_changed, out) < 0) {
        out->changed = list_changed;
        return;
    }
    if (!list_changed && !auth_changed) {
        oa_outcome_set(out, true, false, "private ppa:%s/%s is set up (%s, %s), no changes", owner,
                       archive, f.list_path, f.auth_path);
        return;
    }
    /* Each comment is "PATH: created", "would create PATH", "PATH is up to
     * date, no changes"; the last reads oddly inside a longer one. */
    if (!list_changed)
        snprintf(list_note, sizeof(list_note), "%s is up to date", f.list_path);
    if (!auth_changed)
        snprintf(out->comment, sizeof(out->comment), "%s is up to date", f.auth_path);
    snprintf(why, sizeof(why), "%.500s; %.500s", list_note, out->comment);
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "private ppa:%s/%s: %s; then apt-get update", owner,
                       archive, why);
        return;
    }
    snprintf(list_note, sizeof(list_note), "%.690s", why);
    if (update(ctx, why, sizeof(why)) != 0)
        oa_outcome_set(out, false, true, "private ppa:%s/%s: %s; but %s", owner, archive, list_note,
                       why);
    else
        oa_outcome_set(out, true, true, "private ppa:%s/%s: %s; index updated", owner, archive,
                       list_note);
}

static int ppa_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name");
    const char *user = oa_params_str(p, "username"), *password = oa_params_str(p, "password");
    char owner[128], archive[128];
    struct oa_osinfo os;

    if (oa_ppa_parse_name(name, owner, sizeof(owner), archive, sizeof(archive)) < 0) {
        oa_outcome_set(out, false, false,
                       "parameter 'name': '%.200s' is not a PPA (owner/archive, lower case)", name);
        return 0;
    }
    if (!user != !password) {
        oa_outcome_set(out, false, false, "a private PPA needs both 'username' and 'password'");
        return 0;
    }
    oa_osinfo_read(&os);
    if (!oa_ppa_os_ok(&os)) {
        oa_outcome_set(out, false, false, "PPAs are only supported on Ubuntu, not on %s",
                       os.pretty);
        return 0;
    }
    if (user)
        private_ppa(ctx, &os, owner, archive, user, password, out);
    else
        public_ppa(ctx, owner, archive, out);
    return 0;
}

const struct oa_module oa_mod_linux_apt_ppa = {
    .name = "linux.apt.ppa",
    .params = ppa_params,
    .n_params = sizeof(ppa_params) / sizeof(ppa_params[0]),
    .run = ppa_run,
};
