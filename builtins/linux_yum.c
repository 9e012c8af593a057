/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.yum.package (modules.md §5.2): the yum backend of the package
 * driver (linux_pkg.c). The installed version comes from rpm -q; yum picks
 * versions itself, so the index is asked only for `latest` (yum
 * check-update: exit 100 means an update exists), from the local cache
 * (-C) while the agent's index record is less than an hour old. Installs
 * of files use localinstall, going down uses downgrade, `latest` of an
 * installed package uses update; `purged` is the same as `removed`.
 *
 * On RHEL 8 and later `yum` is dnf's compatibility command, used as is.
 * `repo` restricts the repository calls to that repository;
 * `verify-gpg` false adds --nogpgcheck (⚠ modules.md §D).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "linux_pkg.h"
#include "mem.h"
#include "modules.h"
#include "tool.h"

static const struct oa_param_spec yum_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
    {"repo", OA_PT_LINE, 0},
    {"verify-gpg", OA_PT_BOOL, 0},
};

/* ---- argv ---- */

static void yum_base(struct oa_pkg_argv *a, const struct oa_pkg_opts *o, bool quiet, bool repo,
                     bool gpg)
{
    oa_pkg_argv_add(a, "yum");
    oa_pkg_argv_add(a, quiet ? "-q" : "-y");
    if (quiet && o->cache_only)
        oa_pkg_argv_add(a, "-C");
    if (gpg && !o->verify_gpg)
        oa_pkg_argv_add(a, "--nogpgcheck");
    if (repo && o->repo) {
        oa_pkg_argv_add(a, "--disablerepo=*");
        oa_pkg_argv_addf(a, "--enablerepo=%s", o->repo);
    }
}

static const char *yum_verb(enum oa_pkg_call call)
{
    static const char *const verbs[] = {
        [OA_PKG_CALL_QUERY] = "",
        [OA_PKG_CALL_INSTALL] = "install",
        [OA_PKG_CALL_DOWNGRADE] = "downgrade",
        [OA_PKG_CALL_UPDATE] = "update",
        [OA_PKG_CALL_LOCALINSTALL] = "localinstall",
        [OA_PKG_CALL_REMOVE] = "remove",
        [OA_PKG_CALL_PURGE] = "remove",
        [OA_PKG_CALL_REFRESH] = "makecache",
        [OA_PKG_CALL_CANDIDATE] = "check-update",
    };
    return verbs[call];
}

void oa_pkg_yum_argv(struct oa_pkg_argv *a, enum oa_pkg_call call, const struct oa_pkg_opts *o,
                     const char *const *specs, size_t n)
{
    switch (call) {
    case OA_PKG_CALL_QUERY:
        oa_pkg_argv_add(a, "rpm");
        oa_pkg_argv_add(a, "-q");
        oa_pkg_argv_add(a, "--qf");
        oa_pkg_argv_add(a, "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n");
        break;
    case OA_PKG_CALL_CANDIDATE:
    case OA_PKG_CALL_REFRESH:
        yum_base(a, o, true, true, false);
        break;
    case OA_PKG_CALL_INSTALL:
    case OA_PKG_CALL_DOWNGRADE:
    case OA_PKG_CALL_UPDATE:
        yum_base(a, o, false, true, true);
        break;
    case OA_PKG_CALL_LOCALINSTALL:
        /* Dependencies of a file may come from any repository. */
        yum_base(a, o, false, false, true);
        break;
    case OA_PKG_CALL_REMOVE:
    case OA_PKG_CALL_PURGE:
        yum_base(a, o, false, false, false);
        break;
    }
    if (call != OA_PKG_CALL_QUERY)
        oa_pkg_argv_add(a, yum_verb(call));
    for (size_t i = 0; i < n; i++)
        oa_pkg_argv_add(a, specs[i]);
}

/* ---- Parsers ---- */

bool oa_pkg_yum_update_parse(const char *text, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);

    for (const char *line = text; line && *line;) {
        size_t n = strcspn(line, "\n");
        /* "mongo-10gen.x86_64    2.4.9-mongodb_1    10gen" */
        if (n > nlen && strncmp(line, name, nlen) == 0 && line[nlen] == '.') {
            const char *v = line + strcspn(line, " \t");
            if (v < line + n) {
                v += strspn(v, " \t");
                size_t vlen = strcspn(v, " \t\n");
                if (vlen > 0 && vlen < len) {
                    snprintf(buf, len, "%.*s", (int)vlen, v);
                    return true;
                }
            }
        }
        if (strncmp(line, "Obsoleting", 10) == 0)
            break;
        line += n + (line[n] == '\n');
    }
    return false;
}

/* ---- The backend ---- */

static int run_rpm_query(struct oa_pkg_run *r, struct oa_pkg_item *it)
{
    struct oa_pkg_argv a = {0};
    struct oa_buf out;
    int status, rc;

    oa_buf_init(&out, 1u << 20);
    oa_pkg_yum_argv(&a, OA_PKG_CALL_QUERY, &r->opts, &it->e.name, 1);
    rc = oa_pkg_argv_ok(&a) ? oa_pkg_query(a.v, NULL, &out, NULL, &status, it->why, sizeof(it->why))
                            : -ENOMEM;
    /* rpm -q exits 1 ("package x is not installed") when it is not. Several
     * lines (multilib, kernels): the newest counts. */
    for (const char *line = out.data; rc == 0 && oa_tool_ok(status) && line && *line;) {
        size_t n = strcspn(line, "\n");
        char *v = n ? oa_strndup(line, n) : NULL;
        if (n && !v)
            rc = -ENOMEM;
        else if (v && (!it->version || oa_pkg_rpm_vercmp(v, it->version) > 0)) {
            oa_free(it->version);
            it->version = v;
            v = NULL;
        }
        oa_free(v);
        line += n + (line[n] == '\n');
    }
    it->f.installed = it->f.present = it->version != NULL;
    it->f.version = it->version;
    if (rc == -ENOMEM)
        snprintf(it->why, sizeof(it->why), "out of memory");
    oa_buf_done(&out);
    oa_pkg_argv_done(&a);
    return rc;
}

static int set_candidate(struct oa_pkg_item *it, const char *version)
{
    if (!(it->candidate = oa_strdup(version)) || !(it->available = oa_calloc(1, sizeof(char *))) ||
        !(it->available[0] = oa_strdup(version))) {
        snprintf(it->why, sizeof(it->why), "out of memory");
        return -ENOMEM;
    }
    it->n_available = 1;
    it->f.indexed = true;
    it->f.candidate = it->candidate;
    it->f.available = (const char *const *)it->available;
    it->f.n_available = 1;
    return 0;
}

/* One yum check-update; *status is its wait status. */
static int run_check_update(struct oa_pkg_run *r, struct oa_pkg_item *it, bool cache_only,
                            struct oa_buf *out, struct oa_buf *err, int *status)
{
    struct oa_pkg_opts o = r->opts;
    struct oa_pkg_argv a = {0};
    int rc;

    o.cache_only = cache_only;
    oa_buf_reset(out);
    oa_buf_reset(err);
    oa_pkg_yum_argv(&a, OA_PKG_CALL_CANDIDATE, &o, &it->e.name, 1);
    rc = oa_pkg_argv_ok(&a) ? oa_pkg_query(a.v, NULL, out, err, status, it->why, sizeof(it->why))
                            : -ENOMEM;
    oa_pkg_argv_done(&a);
    return rc;
}

/* yum check-update for an installed `latest` package: the candidate is the
 * update it offers (exit 100), or what is installed (exit 0). From the
 * cache while the index is fresh; without it when the cache is unusable. */
static int check_update(struct oa_pkg_run *r, struct oa_pkg_item *it)
{
    struct oa_buf out, err;
    char version[256], first[200];
    int status = 0, rc;

    oa_buf_init(&out, 1u << 20);
    oa_buf_init(&err, 4096);
    rc = run_check_update(r, it, r->index_fresh, &out, &err, &status);
    if (rc == 0 && r->index_fresh && WIFEXITED(status) && WEXITSTATUS(status) == 1)
        rc = run_check_update(r, it, false, &out, &err, &status);
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 100) {
        /* An update whose line cannot be read: yum updates to its newest. */
        if (oa_pkg_yum_update_parse(out.data ? out.data : "", it->e.name, version, sizeof(version)))
            rc = set_candidate(it, version);
    } else if (rc == 0 && oa_tool_ok(status)) {
        rc = set_candidate(it, it->version);
    } else if (rc == 0) {
        snprintf(it->why, sizeof(it->why), "yum check-update failed: %s",
                 oa_pkg_first_line(err.len ? err.data : out.data, first, sizeof(first)));
        rc = -EIO;
    }
    oa_buf_done(&out);
    oa_buf_done(&err);
    return rc;
}

static int yum_query(struct oa_pkg_run *r, struct oa_pkg_item *it, bool with_index)
{
    int rc = run_rpm_query(r, it);

    /* yum chooses versions itself: only an installed `latest` package
     * needs to ask the index. */
    if (rc == 0 && with_index && it->e.want == OA_PKG_LATEST && it->f.installed)
        rc = check_update(r, it);
    return rc;
}

static int yum_refresh(struct oa_pkg_run *r)
{
    struct oa_pkg_argv a = {0};
    char why[256];
    int rc;

    oa_pkg_yum_argv(&a, OA_PKG_CALL_REFRESH, &r->opts, NULL, 0);
    rc = oa_pkg_exec(&a, NULL, "yum makecache", why, sizeof(why));
    if (rc != 0)
        printf("%s\n", why);
    oa_pkg_argv_done(&a);
    return rc;
}

/* The call an item of group g needs. */
static enum oa_pkg_call call_of(enum oa_pkg_group g, const struct oa_pkg_item *it)
{
    if (g == OA_PKG_G_PURGE || g == OA_PKG_G_REMOVE)
        return OA_PKG_CALL_REMOVE;
    if (it->e.want == OA_PKG_FILE)
        return OA_PKG_CALL_LOCALINSTALL;
    if (it->d.action == OA_PKG_DOWNGRADE)
        return OA_PKG_CALL_DOWNGRADE;
    if (it->d.action == OA_PKG_UPGRADE && !(it->e.want == OA_PKG_VERSION && it->target))
        return OA_PKG_CALL_UPDATE;
    return OA_PKG_CALL_INSTALL;
}

/* One yum call for the items of group g that need `call`. */
static int yum_call(struct oa_pkg_run *r, enum oa_pkg_group g, enum oa_pkg_call call,
                    struct oa_pkg_item *const *items, size_t n, char *failure, size_t len)
{
    struct oa_pkg_argv specs = {0}, a = {0};
    char label[32];
    int rc;

    for (size_t i = 0; i < n; i++) {
        const struct oa_pkg_item *it = items[i];
        if (call_of(g, it) != call)
            continue;
        if (call == OA_PKG_CALL_LOCALINSTALL)
            oa_pkg_argv_add(&specs, it->file);
        else if (it->e.want == OA_PKG_VERSION && it->target && call != OA_PKG_CALL_REMOVE)
            oa_pkg_argv_addf(&specs, "%s-%s", it->e.name, it->target);
        else
            oa_pkg_argv_add(&specs, it->e.name);
    }
    if (specs.n == 0 && !specs.oom)
        return 0;
    oa_pkg_yum_argv(&a, call, &r->opts, (const char *const *)specs.v, specs.n);
    snprintf(label, sizeof(label), "yum %s", yum_verb(call));
    rc = specs.oom ? -ENOMEM : oa_pkg_exec(&a, NULL, label, failure, len);
    if (rc == -ENOMEM)
        snprintf(failure, len, "out of memory");
    oa_pkg_argv_done(&a);
    oa_pkg_argv_done(&specs);
    return rc;
}

static int yum_act(struct oa_pkg_run *r, enum oa_pkg_group g, struct oa_pkg_item *const *items,
                   size_t n, char *failure, size_t len)
{
    static const enum oa_pkg_call order[] = {OA_PKG_CALL_REMOVE, OA_PKG_CALL_LOCALINSTALL,
                                             OA_PKG_CALL_DOWNGRADE, OA_PKG_CALL_INSTALL,
                                             OA_PKG_CALL_UPDATE};
    char why[256];
    int rc = 0;

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int one = yum_call(r, g, order[i], items, n, why, sizeof(why));
        if (one != 0 && rc == 0) {
            rc = one;
            snprintf(failure, len, "%s", why);
        }
    }
    return rc;
}

static bool yum_validate(const struct oa_params *p, struct oa_outcome *out)
{
    const char *repo = oa_params_str(p, "repo");

    if (repo && (repo[0] == '-' || repo[strcspn(repo, " \t\r\n,")])) {
        oa_outcome_set(out, false, false, "parameter 'repo': '%.100s' is not a repository id",
                       repo);
        return false;
    }
    return true;
}

static const struct oa_pkg_backend yum_backend = {
    .module = "linux.yum.package",
    .manager = "yum",
    .tool = "yum",
    .family = OA_OS_RHEL,
    .file_ext = ".rpm",
    .cmp = oa_pkg_rpm_vercmp,
    .validate = yum_validate,
    .query = yum_query,
    .refresh = yum_refresh,
    .act = yum_act,
};

static int yum_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    return oa_pkg_run(&yum_backend, ctx, p, out);
}

const struct oa_module oa_mod_linux_yum_package = {
    .name = "linux.yum.package",
    .params = yum_params,
    .n_params = sizeof(yum_params) / sizeof(yum_params[0]),
    .run = yum_run,
};
