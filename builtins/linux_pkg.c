/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver shared by linux.apt.package and linux.yum.package (modules.md
 * §5.0): every `name` entry is classified, looked up in the installed
 * package database, decided, and acted on in groups (removals, then
 * installs of files, versions and plain names, then `latest`), one
 * package-manager call per group, falling back to one call per package when
 * a group call fails so that every entry is attempted. Afterwards each
 * entry is looked up again and must be in the wanted state.
 *
 * The package index is refreshed only when an entry needs a package or
 * version the local index does not know, and for `latest` only when the
 * agent's record of the last refresh is more than an hour old (⚠ §D; the
 * original refreshed on every install). A dry run never refreshes and never
 * downloads. The backend (linux_apt.c, linux_yum.c) runs the tools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "linux_pkg.h"
#include "mem.h"
#include "tool.h"

#define DOWNLOAD_MAX ((size_t)2 << 30)

int oa_pkg_exec(const struct oa_pkg_argv *a, const char *const *extra_env, const char *label,
                char *why, size_t len)
{
    char line[1024], st[96];
    int status, r;

    if (!oa_pkg_argv_ok(a)) {
        snprintf(why, len, "out of memory");
        return -ENOMEM;
    }
    printf("+ %s\n", oa_pkg_argv_join(a, line, sizeof(line)));
    r = oa_tool_exec(a->v, extra_env, NULL, &status, why, len);
    if (r < 0)
        return r;
    if (oa_tool_ok(status))
        return 0;
    snprintf(why, len, "%s %s", label, oa_tool_status_text(status, st, sizeof(st)));
    return 1;
}

static void facts_free(struct oa_pkg_item *it)
{
    for (size_t i = 0; i < it->n_available; i++)
        oa_free(it->available[i]);
    oa_free(it->available);
    oa_free(it->version);
    oa_free(it->candidate);
    it->available = NULL;
    it->n_available = 0;
    it->version = it->candidate = NULL;
    memset(&it->f, 0, sizeof(it->f));
}

static void run_done(struct oa_pkg_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct oa_pkg_item *it = &r->items[i];
        facts_free(it);
        oa_free(it->before);
        oa_free(it->target);
        if (it->file && it->e.url)
            unlink(it->file);
        oa_free(it->file);
    }
    oa_free(r->items);
    if (r->tmpdir[0])
        rmdir(r->tmpdir);
}

static void item_fail(struct oa_pkg_item *it, const char *why)
{
    it->failed = true;
    if (why != it->why)
        snprintf(it->why, sizeof(it->why), "%.*s", (int)sizeof(it->why) - 1, why);
}

/* Classifies every entry; an invalid one fails the state before anything
 * is touched. */
static bool parse_entries(struct oa_pkg_run *r, struct oa_outcome *out)
{
    const struct oa_pvalue *names = oa_params_get(r->p, "name");
    char why[256];

    r->items = oa_calloc(names->n ? names->n : 1, sizeof(*r->items));
    if (!r->items) {
        oa_outcome_set(out, false, false, "out of memory");
        return false;
    }
    for (size_t i = 0; i < names->n; i++) {
        if (oa_pkg_entry_parse(names->kv[i].key, names->kv[i].value, r->b->file_ext, &r->items[i].e,
                               why, sizeof(why)) < 0) {
            oa_outcome_set(out, false, false, "parameter 'name': %s", why);
            return false;
        }
        r->n++;
    }
    return true;
}

/* Asks the backend; facts are replaced. */
static bool query(struct oa_pkg_run *r, struct oa_pkg_item *it, bool with_index)
{
    facts_free(it);
    if (r->b->query(r, it, with_index) < 0) {
        item_fail(it, it->why);
        return false;
    }
    return true;
}

static void refresh(struct oa_pkg_run *r)
{
    r->refreshed = true;
    if (r->b->refresh(r) == 0) {
        r->index_fresh = true;
        if (oa_pkg_index_touch(r->ctx->state_dir, r->b->manager, time(NULL)) < 0)
            printf("cannot record the refresh of the package index under %s, ignoring\n",
                   r->ctx->state_dir);
    } else {
        printf("refreshing the package index failed; carrying on with the index as it is\n");
    }
}

static void decide(struct oa_pkg_run *r, struct oa_pkg_item *it)
{
    oa_pkg_decide(&it->e, &it->f, r->b->cmp, true, r->refreshed, &it->d);
    if (it->d.action == OA_PKG_NEED_INDEX) {
        if (!query(r, it, true))
            return;
        oa_pkg_decide(&it->e, &it->f, r->b->cmp, false, r->refreshed, &it->d);
    }
    oa_free(it->target);
    it->target = NULL;
    if (it->d.target && !(it->target = oa_strdup(it->d.target)))
        item_fail(it, "out of memory");
    it->d.target = it->target;
    if (it->d.action == OA_PKG_FAIL)
        item_fail(it, it->d.why);
}

static bool has_latest(const struct oa_pkg_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->items[i].failed && r->items[i].e.want == OA_PKG_LATEST)
            return true;
    return false;
}

/* Looks everything up and decides; refreshes the index where §5.0 says. */
static void plan(struct oa_pkg_run *r)
{
    bool need_refresh = false;

    for (size_t i = 0; i < r->n; i++) {
        struct oa_pkg_item *it = &r->items[i];
        if (query(r, it, false) && it->version && !(it->before = oa_strdup(it->version)))
            item_fail(it, "out of memory");
    }
    r->index_fresh =
        oa_pkg_index_fresh(r->ctx->state_dir, r->b->manager, time(NULL), OA_PKG_INDEX_MAX_AGE_S);
    if (has_latest(r) && !r->index_fresh) {
        if (r->ctx->dry_run)
            printf("the package index was not refreshed in the last hour: a real run refreshes "
                   "it before looking for the latest versions\n");
        else
            refresh(r);
    }
    for (size_t i = 0; i < r->n; i++) {
        if (!r->items[i].failed)
            decide(r, &r->items[i]);
        need_refresh |= !r->items[i].failed && r->items[i].d.action == OA_PKG_NEED_INDEX;
    }
    if (!need_refresh || r->refreshed || r->ctx->dry_run)
        return;
    refresh(r);
    for (size_t i = 0; i < r->n; i++)
        if (!r->items[i].failed && r->items[i].d.action == OA_PKG_NEED_INDEX &&
            query(r, &r->items[i], false))
            decide(r, &r->items[i]);
}

static bool acts(const struct oa_pkg_item *it)
{
    return !it->failed && it->d.action != OA_PKG_KEEP;
}

static bool in_group(const struct oa_pkg_item *it, enum oa_pkg_group g)
{
    if (!acts(it))
        return false;
    switch (g) {
    case OA_PKG_G_PURGE:
        return it->d.action == OA_PKG_PURGE;
    case OA_PKG_G_REMOVE:
        return it->d.action == OA_PKG_REMOVE;
    case OA_PKG_G_INSTALL:
    case OA_PKG_G_LATEST:
        return it->d.action != OA_PKG_PURGE && it->d.action != OA_PKG_REMOVE &&
               (it->e.want == OA_PKG_LATEST) == (g == OA_PKG_G_LATEST);
    }
    return false;
}

/* Makes the file of a FILE entry available: a local one must exist, a URL
 * is downloaded into a private directory. */
static void fetch_file(struct oa_pkg_run *r, struct oa_pkg_item *it)
{
    char path[4096], fallback[256], why[512], shown[OA_FETCH_SHOWN_MAX];
    struct stat st;

    if (!it->e.url) {
        if (stat(it->e.arg, &st) < 0 || !S_ISREG(st.st_mode))
            item_fail(it, "the file does not exist");
        else if (!(it->file = oa_strdup(it->e.arg)))
            item_fail(it, "out of memory");
        return;
    }
    if (!r->tmpdir[0]) {
        snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/opsagent-pkg.XXXXXX");
        if (!mkdtemp(r->tmpdir) || chmod(r->tmpdir, 0755) < 0) {
            snprintf(why, sizeof(why), "cannot create a directory for downloads: %s",
                     strerror(errno));
            r->tmpdir[0] = '\0';
            item_fail(it, why);
            return;
        }
    }
    snprintf(fallback, sizeof(fallback), "%s%s", it->e.name, r->b->file_ext);
    printf("downloading %s\n", oa_fetch_shown_url(it->e.arg, shown, sizeof(shown)));
    if (oa_pkg_download(r->ctx, it->e.arg, r->tmpdir, r->b->file_ext, fallback, DOWNLOAD_MAX, path,
                        sizeof(path), why, sizeof(why)) < 0)
        item_fail(it, why);
    else if (!(it->file = oa_strdup(path)))
        item_fail(it, "out of memory");
}

/* A dry run downloads nothing, but a local file must exist. */
static void check_files(struct oa_pkg_run *r)
{
    struct stat st;

    for (size_t i = 0; i < r->n; i++) {
        struct oa_pkg_item *it = &r->items[i];
        if (in_group(it, OA_PKG_G_INSTALL) && it->e.want == OA_PKG_FILE && !it->e.url &&
            (stat(it->e.arg, &st) < 0 || !S_ISREG(st.st_mode)))
            item_fail(it, "the file does not exist");
    }
}

/* Files, then the backend's preparation (debconf), before any install. */
static void prepare_installs(struct oa_pkg_run *r)
{
    bool any = false;
    char why[256];

    for (size_t i = 0; i < r->n; i++) {
        struct oa_pkg_item *it = &r->items[i];
        if (in_group(it, OA_PKG_G_INSTALL) && it->e.want == OA_PKG_FILE)
            fetch_file(r, it);
        any |= in_group(it, OA_PKG_G_INSTALL) || in_group(it, OA_PKG_G_LATEST);
    }
    if (!any || !r->b->prepare || r->b->prepare(r, why, sizeof(why)) == 0)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (in_group(&r->items[i], OA_PKG_G_INSTALL) || in_group(&r->items[i], OA_PKG_G_LATEST))
            item_fail(&r->items[i], why);
}

static void run_group(struct oa_pkg_run *r, enum oa_pkg_group g)
{
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct oa_pkg_item **list = oa_calloc(r->n ? r->n : 1, sizeof(*list));
    char failure[256];
    size_t n = 0;

    if (!list) {
        for (size_t i = 0; i < r->n; i++)
            if (in_group(&r->items[i], g))
                item_fail(&r->items[i], "out of memory");
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        if (in_group(&r->items[i], g))
            list[n++] = &r->items[i];
    if (n > 0 && r->b->act(r, g, list, n, failure, sizeof(failure)) != 0) {
        /* Attempt every package on its own, so that the comment can say
         * which one failed (modules.md §1.3). */
        for (size_t i = 0; i < n; i++) {
            if (n > 1 && r->b->act(r, g, &list[i], 1, failure, sizeof(failure)) == 0)
                continue;
            list[i]->call_failed = true;
            snprintf(list[i]->why, sizeof(list[i]->why), "%s", failure);
        }
    }
    oa_free(list);
}

static void unsatisfied(struct oa_pkg_item *it)
{
    bool removal = it->e.want == OA_PKG_REMOVED || it->e.want == OA_PKG_PURGED;

    if (removal && (it->f.installed || it->f.present))
        snprintf(it->why, sizeof(it->why), "still installed afterwards");
    else if (removal)
        snprintf(it->why, sizeof(it->why), "configuration files still there afterwards");
    else if (!it->f.installed)
        snprintf(it->why, sizeof(it->why), "not installed afterwards");
    else
        snprintf(it->why, sizeof(it->why), "at version %s afterwards",
                 it->version ? it->version : "(unknown)");
    it->failed = true;
}

/* Looks every acted-on entry up again: it must be in the wanted state. */
static void verify(struct oa_pkg_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct oa_pkg_item *it = &r->items[i];
        if (!acts(it) || !query(r, it, false))
            continue;
        /* A call can fail because of another package (a broken one
         * elsewhere on the host): what counts is the package's state. */
        bool ok = oa_pkg_satisfied(&it->e, &it->f, it->target, r->b->cmp);
        if (!ok && it->call_failed)
            item_fail(it, it->why);
        else if (!ok)
            unsatisfied(it);
        else if (it->call_failed)
            printf("%s: %s, but the package is in the wanted state\n", it->e.name, it->why);
    }
}

static void execute(struct oa_pkg_run *r)
{
    run_group(r, OA_PKG_G_PURGE);
    run_group(r, OA_PKG_G_REMOVE);
    prepare_installs(r);
    run_group(r, OA_PKG_G_INSTALL);
    run_group(r, OA_PKG_G_LATEST);
    verify(r);
}

/* ---- The comment ---- */

enum section { S_INSTALLED, S_UPGRADED, S_DOWNGRADED, S_REMOVED, S_PURGED, S_OK, S_FAILED, S_N };

static enum section section_of(const struct oa_pkg_item *it)
{
    if (it->failed)
        return S_FAILED;
    switch (it->d.action) {
    case OA_PKG_INSTALL:
    case OA_PKG_NEED_INDEX:
        return S_INSTALLED;
    case OA_PKG_UPGRADE:
        return S_UPGRADED;
    case OA_PKG_DOWNGRADE:
        return S_DOWNGRADED;
    case OA_PKG_REMOVE:
        return S_REMOVED;
    case OA_PKG_PURGE:
        return S_PURGED;
    default:
        return S_OK;
    }
}

/* One entry as its section shows it: "nginx 1.22.1-9", "nginx 1.0 → 2.0". */
static void describe(const struct oa_pkg_run *r, const struct oa_pkg_item *it, enum section s,
                     struct oa_buf *b)
{
    bool dry = r->ctx->dry_run;
    const char *now = dry ? it->target : it->version;
    char shown[OA_FETCH_SHOWN_MAX];

    oa_buf_puts(b, it->e.name);
    if (s == S_FAILED)
        oa_buf_printf(b, " (%s)", it->why);
    else if (s == S_OK)
        oa_buf_printf(b, " %s", it->f.installed && it->version ? it->version : "(not installed)");
    else if (s == S_UPGRADED || s == S_DOWNGRADED)
        oa_buf_printf(b, " %s → %s", it->before ? it->before : "?", now ? now : "(newest)");
    else if (s == S_INSTALLED && dry && it->e.want == OA_PKG_FILE)
        oa_buf_printf(b, " from %s", oa_fetch_shown_url(it->e.arg, shown, sizeof(shown)));
    else if (s == S_INSTALLED && dry && it->d.action == OA_PKG_NEED_INDEX)
        oa_buf_puts(b, " (not in the local package index yet)");
    else if (s == S_INSTALLED && now)
        oa_buf_printf(b, " %s", now);
}

static void report(const struct oa_pkg_run *r, struct oa_outcome *out)
{
    static const char *const titles[S_N] = {"installed", "upgraded",   "downgraded", "removed",
                                            "purged",    "already ok", "failed"};
    static const char *const would[S_N] = {"would install", "would upgrade", "would downgrade",
                                           "would remove",  "would purge",   "already ok",
                                           "failed"};
    bool dry = r->ctx->dry_run, changed = false, failed = false;
    struct oa_buf b;

    oa_buf_init(&b, sizeof(out->comment) - 1);
    for (int s = 0; s < S_N; s++) {
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++) {
            const struct oa_pkg_item *it = &r->items[i];
            if (section_of(it) != (enum section)s)
                continue;
            if (n++ == 0)
                oa_buf_printf(&b, "%s%s: ", b.len ? "; " : "", dry ? would[s] : titles[s]);
            else
                oa_buf_puts(&b, ", ");
            describe(r, it, (enum section)s, &b);
            changed |= s < S_OK;
            failed |= s == S_FAILED;
        }
    }
    if (!changed && !failed)
        oa_buf_puts(&b, "; no changes");
    oa_outcome_set(out, !failed, changed, "%s", b.data ? b.data : "");
    oa_buf_done(&b);
}

int oa_pkg_run(const struct oa_pkg_backend *b, const struct oa_run_ctx *ctx,
               const struct oa_params *p, struct oa_outcome *out)
{
    struct oa_pkg_run r = {.b = b, .ctx = ctx, .p = p};
    char path[4096];

    oa_osinfo_read(&r.os);
    if (!oa_osinfo_allows(&r.os, b->family, b->module, out->comment, sizeof(out->comment))) {
        out->result = false;
        return 0;
    }
    if (!b->validate(p, out) || !parse_entries(&r, out))
        goto done;
    if (!oa_tool_which(b->tool, path, sizeof(path))) {
        oa_outcome_set(out, false, false, "%s is not installed", b->tool);
        goto done;
    }
    r.opts.repo = oa_params_str(p, "repo");
    r.opts.verify_gpg = oa_params_bool(p, "verify-gpg", true);
    plan(&r);
    if (ctx->dry_run)
        check_files(&r);
    else
        execute(&r);
    report(&r, out);
done:
    run_done(&r);
    return 0;
}
