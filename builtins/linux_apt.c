/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.apt.package (modules.md §5.1): the apt backend of the package
 * driver (linux_pkg.c). The installed version comes from dpkg-query (only
 * "install ok installed", or a held package, counts as installed), the
 * candidate and the versions on offer from apt-cache policy (with the
 * target release when `repo` is given), and every change from one apt-get
 * call per group, non-interactive, keeping changed configuration files, and
 * waiting up to 5 minutes for the dpkg lock.
 *
 * `verify-gpg` is honoured (⚠ modules.md §D): false adds
 * --allow-unauthenticated to installs and --allow-insecure-repositories to
 * the index refresh; absent means verify.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "linux_pkg.h"
#include "mem.h"
#include "modules.h"
#include "tool.h"

#define POLICY_MAX_VERSIONS 64

static const char *const apt_env[] = {"DEBIAN_FRONTEND=noninteractive",
                                      "APT_LISTCHANGES_FRONTEND=none", "NEEDRESTART_MODE=a", NULL};

static const struct oa_param_spec apt_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
    {"repo", OA_PT_LINE, 0},
    {"deb-conf-file", OA_PT_LINE, 0},
    {"verify-gpg", OA_PT_BOOL, 0},
};

/* ---- argv ---- */

static void apt_get(struct oa_pkg_argv *a, bool yes)
{
    oa_pkg_argv_add(a, "apt-get");
    oa_pkg_argv_add(a, "-q");
    if (yes)
        oa_pkg_argv_add(a, "-y");
    oa_pkg_argv_add(a, "-o");
    oa_pkg_argv_add(a, "DPkg::Lock::Timeout=300");
}

static void add_specs(struct oa_pkg_argv *a, const char *const *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        oa_pkg_argv_add(a, specs[i]);
}

static void apt_install_argv(struct oa_pkg_argv *a, const struct oa_pkg_opts *o,
                             const char *const *specs, size_t n)
{
    apt_get(a, true);
    oa_pkg_argv_add(a, "-o");
    oa_pkg_argv_add(a, "DPkg::Options::=--force-confold");
    oa_pkg_argv_add(a, "-o");
    oa_pkg_argv_add(a, "DPkg::Options::=--force-confdef");
    if (o->repo) {
        oa_pkg_argv_add(a, "-t");
        oa_pkg_argv_add(a, o->repo);
    }
    if (!o->verify_gpg)
        oa_pkg_argv_add(a, "--allow-unauthenticated");
    if (o->downgrades)
        oa_pkg_argv_add(a, "--allow-downgrades");
    oa_pkg_argv_add(a, "install");
    add_specs(a, specs, n);
}

void oa_pkg_apt_argv(struct oa_pkg_argv *a, enum oa_pkg_call call, const struct oa_pkg_opts *o,
                     const char *const *specs, size_t n)
{
    switch (call) {
    case OA_PKG_CALL_QUERY:
        oa_pkg_argv_add(a, "dpkg-query");
        oa_pkg_argv_add(a, "-W");
        oa_pkg_argv_add(a, "-f");
        oa_pkg_argv_add(a, "${Status}\\t${Version}\\n");
        add_specs(a, specs, n);
        break;
    case OA_PKG_CALL_CANDIDATE:
        oa_pkg_argv_add(a, "apt-cache");
        if (o->repo) {
            oa_pkg_argv_add(a, "-t");
            oa_pkg_argv_add(a, o->repo);
        }
        oa_pkg_argv_add(a, "policy");
        add_specs(a, specs, n);
        break;
    case OA_PKG_CALL_REFRESH:
        apt_get(a, false);
        if (!o->verify_gpg)
            oa_pkg_argv_add(a, "--allow-insecure-repositories");
        oa_pkg_argv_add(a, "update");
        break;
    case OA_PKG_CALL_INSTALL:
        apt_install_argv(a, o, specs, n);
        break;
    case OA_PKG_CALL_REMOVE:
    case OA_PKG_CALL_PURGE:
        apt_get(a, true);
        oa_pkg_argv_add(a, call == OA_PKG_CALL_PURGE ? "purge" : "remove");
        add_specs(a, specs, n);
        break;
    default:
        break; /* yum only: an empty argv, refused by oa_pkg_exec */
    }
}

/* ---- Parsers ---- */

void oa_pkg_dpkg_status_parse(const char *line, struct oa_pkg_facts *f, const char **ret_version,
                              size_t *ret_vlen)
{
    char want[16] = "", eflag[16] = "", status[32] = "";
    const char *tab = strchr(line, '\t');
    size_t vlen = 0;

    /* "install ok installed", "deinstall ok config-files", "hold ok installed"… */
    if (sscanf(line, "%15s %15s %31s", want, eflag, status) != 3)
        want[0] = eflag[0] = status[0] = '\0';
    f->installed = (!strcmp(want, "install") || !strcmp(want, "hold")) && !strcmp(eflag, "ok") &&
                   !strcmp(status, "installed");
    f->config_left = !strcmp(status, "config-files");
    f->present = status[0] && strcmp(status, "not-installed") != 0 && !f->config_left;
    if (tab) {
        tab++;
        vlen = strcspn(tab, "\n");
    }
    *ret_version = tab;
    *ret_vlen = vlen;
}

/* The version on a line of apt-cache policy's version table ("     2.0 500",
 * " *** 1.0 100"), or NULL for a source line ("        500 file:/…"). */
static char *table_version(char *line)
{
    size_t indent = strspn(line, " ");

    /* The installed version is marked " *** ", the others indented by 5. */
    if (strncmp(line, " *** ", 5) != 0 && indent != 5)
        return NULL;
    line += 5;
    line[strcspn(line, " ")] = '\0';
    return *line ? line : NULL;
}

size_t oa_pkg_apt_policy_parse(char *text, char **ret_candidate, char **versions, size_t max)
{
    bool table = false, header = false;
    size_t n = 0;

    *ret_candidate = NULL;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n'), *v;
        if (next)
            *next++ = '\0';
        if (line[0] != ' ' && line[0] && header)
            break; /* the next package's section */
        if (line[0] != ' ' && line[0]) {
            header = true;
        } else if (!table && strncmp(line, "  Candidate: ", 13) == 0) {
            v = line + 13;
            v[strcspn(v, " ")] = '\0';
            *ret_candidate = strcmp(v, "(none)") != 0 && *v ? v : NULL;
        } else if (!table && strncmp(line, "  Version table:", 16) == 0) {
            table = true;
        } else if (table && (v = table_version(line)) && n < max) {
            versions[n++] = v;
        }
        line = next;
    }
    return n;
}

/* ---- The backend ---- */

/* Runs dpkg-query or apt-cache policy for one package. dpkg-query exits 1
 * for a package it has never seen, which is an answer, not a failure. */
static int run_query(enum oa_pkg_call call, const struct oa_pkg_run *r, const char *name,
                     struct oa_buf *out, int *status, char *why, size_t len)
{
    struct oa_pkg_argv a = {0};
    struct oa_buf err;
    char first[200];
    int rc;

    oa_buf_init(&err, 4096);
    oa_pkg_apt_argv(&a, call, &r->opts, &name, 1);
    rc = oa_pkg_argv_ok(&a) ? oa_pkg_query(a.v, apt_env, out, &err, status, why, len) : -ENOMEM;
    if (rc == -ENOMEM) {
        snprintf(why, len, "out of memory");
    } else if (rc == 0 && !oa_tool_ok(*status) &&
               !(call == OA_PKG_CALL_QUERY && WIFEXITED(*status) && WEXITSTATUS(*status) == 1)) {
        snprintf(why, len, "%s failed: %s", a.v[0],
                 oa_pkg_first_line(err.data, first, sizeof(first)));
        rc = -EIO;
    }
    oa_buf_done(&err);
    oa_pkg_argv_done(&a);
    return rc;
}

static int store_status(struct oa_pkg_item *it, char *text)
{
    const char *version = NULL;
    size_t vlen = 0;

    /* Several lines for several architectures: the installed one wins. */
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        struct oa_pkg_facts f = {0};
        if (next)
            *next++ = '\0';
        oa_pkg_dpkg_status_parse(line, &f, &version, &vlen);
        if (line == text || (f.installed && !it->f.installed)) {
            it->f = f;
            oa_free(it->version);
            it->version = vlen ? oa_strndup(version, vlen) : NULL;
            if (vlen && !it->version)
                return -ENOMEM;
        }
        line = next;
    }
    it->f.version = it->f.installed || it->f.present || it->f.config_left ? it->version : NULL;
    return 0;
}

static int query_index(struct oa_pkg_run *r, struct oa_pkg_item *it, struct oa_buf *out)
{
    char *versions[POLICY_MAX_VERSIONS], *candidate;
    int status, rc;
    size_t n;

    oa_buf_reset(out);
    rc = run_query(OA_PKG_CALL_CANDIDATE, r, it->e.name, out, &status, it->why, sizeof(it->why));
    if (rc < 0)
        return rc;
    n = oa_pkg_apt_policy_parse(out->data ? out->data : (char *)"", &candidate, versions,
                                POLICY_MAX_VERSIONS);
    it->available = oa_calloc(n ? n : 1, sizeof(char *));
    if (!it->available || (candidate && !(it->candidate = oa_strdup(candidate))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(it->available[i] = oa_strdup(versions[i])))
            return -ENOMEM;
        it->n_available++;
    }
    it->f.indexed = true;
    it->f.candidate = it->candidate;
    it->f.available = (const char *const *)it->available;
    it->f.n_available = it->n_available;
    return 0;
}

static int apt_query(struct oa_pkg_run *r, struct oa_pkg_item *it, bool with_index)
{
    struct oa_buf out;
    int status, rc;

    oa_buf_init(&out, 1u << 20);
    rc = run_query(OA_PKG_CALL_QUERY, r, it->e.name, &out, &status, it->why, sizeof(it->why));
    /* dpkg-query exits 1 for a package it has never seen. */
    if (rc == 0 && out.data && oa_tool_ok(status))
        rc = store_status(it, out.data);
    if (rc == 0 && with_index)
        rc = query_index(r, it, &out);
    if (rc == -ENOMEM)
        snprintf(it->why, sizeof(it->why), "out of memory");
    oa_buf_done(&out);
    return rc;
}

static int apt_refresh(struct oa_pkg_run *r)
{
    struct oa_pkg_argv a = {0};
    char why[256];
    int rc;

    oa_pkg_apt_argv(&a, OA_PKG_CALL_REFRESH, &r->opts, NULL, 0);
    rc = oa_pkg_exec(&a, apt_env, "apt-get update", why, sizeof(why));
    if (rc != 0)
        printf("%s\n", why);
    oa_pkg_argv_done(&a);
    return rc;
}

/* Loads the debconf preseed file before anything is installed. */
static int apt_prepare(struct oa_pkg_run *r, char *why, size_t len)
{
    const char *file = oa_params_str(r->p, "deb-conf-file");
    struct oa_pkg_argv a = {0};
    char reason[200];
    struct stat st;
    int rc;

    if (!file)
        return 0;
    if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "the debconf file %s does not exist", file);
        return -ENOENT;
    }
    oa_pkg_argv_add(&a, "debconf-set-selections");
    oa_pkg_argv_add(&a, file);
    rc = oa_pkg_exec(&a, apt_env, "debconf-set-selections", reason, sizeof(reason));
    if (rc != 0)
        snprintf(why, len, "cannot load the debconf file %s: %s", file, reason);
    oa_pkg_argv_done(&a);
    return rc;
}

static int apt_act(struct oa_pkg_run *r, enum oa_pkg_group g, struct oa_pkg_item *const *items,
                   size_t n, char *failure, size_t len)
{
    static const char *const labels[] = {[OA_PKG_G_PURGE] = "apt-get purge",
                                         [OA_PKG_G_REMOVE] = "apt-get remove",
                                         [OA_PKG_G_INSTALL] = "apt-get install",
                                         [OA_PKG_G_LATEST] = "apt-get install"};
    struct oa_pkg_opts o = r->opts;
    struct oa_pkg_argv specs = {0}, a = {0};
    enum oa_pkg_call call = g == OA_PKG_G_PURGE    ? OA_PKG_CALL_PURGE
                            : g == OA_PKG_G_REMOVE ? OA_PKG_CALL_REMOVE
                                                   : OA_PKG_CALL_INSTALL;
    int rc;

    for (size_t i = 0; i < n; i++) {
        const struct oa_pkg_item *it = items[i];
        if (it->e.want == OA_PKG_FILE && call == OA_PKG_CALL_INSTALL)
            oa_pkg_argv_add(&specs, it->file);
        else if (it->e.want == OA_PKG_VERSION && it->target)
            oa_pkg_argv_addf(&specs, "%s=%s", it->e.name, it->target);
        else
            oa_pkg_argv_add(&specs, it->e.name);
        o.downgrades |= it->d.action == OA_PKG_DOWNGRADE;
    }
    oa_pkg_apt_argv(&a, call, &o, (const char *const *)specs.v, specs.n);
    rc = specs.oom ? -ENOMEM : oa_pkg_exec(&a, apt_env, labels[g], failure, len);
    if (rc == -ENOMEM)
        snprintf(failure, len, "out of memory");
    oa_pkg_argv_done(&a);
    oa_pkg_argv_done(&specs);
    return rc;
}

static bool apt_validate(const struct oa_params *p, struct oa_outcome *out)
{
    const char *repo = oa_params_str(p, "repo");
    const char *debconf = oa_params_str(p, "deb-conf-file");

    if (repo && (repo[0] == '-' || repo[strcspn(repo, " \t\r\n")])) {
        oa_outcome_set(out, false, false, "parameter 'repo': '%.100s' is not a release name", repo);
        return false;
    }
    if (debconf && debconf[0] != '/') {
        oa_outcome_set(out, false, false, "parameter 'deb-conf-file': '%s' is not an absolute path",
                       debconf);
        return false;
    }
    return true;
}

static const struct oa_pkg_backend apt_backend = {
    .module = "linux.apt.package",
    .manager = "apt",
    .tool = "apt-get",
    .family = OA_OS_DEBIAN,
    .file_ext = ".deb",
    .cmp = oa_pkg_dpkg_vercmp,
    .validate = apt_validate,
    .query = apt_query,
    .refresh = apt_refresh,
    .prepare = apt_prepare,
    .act = apt_act,
};

static int apt_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    return oa_pkg_run(&apt_backend, ctx, p, out);
}

const struct oa_module oa_mod_linux_apt_package = {
    .name = "linux.apt.package",
    .params = apt_params,
    .n_params = sizeof(apt_params) / sizeof(apt_params[0]),
    .run = apt_run,
};
