/* SPDX-License-Identifier: Apache-2.0 */
/* The language package driver (langpkg.h; modules.md §6.2, §6.3). */
#include "langpkg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_sources.h"
#include "mem.h"
#include "osinfo.h"
#include "prereq.h"
#include "runas.h"
#include "tool.h"

#define LIST_MAX ((size_t)4 << 20)

enum oa_langpkg_want oa_langpkg_want(const char *value, bool (*is_version)(const char *value))
{
    if (!value[0])
        return OA_LANGPKG_INSTALLED;
    if (strcasecmp(value, "latest") == 0)
        return OA_LANGPKG_LATEST;
    if (strcasecmp(value, "removed") == 0)
        return OA_LANGPKG_REMOVED;
    if (value[0] == '-' || !value[strspn(value, " ")])
        return OA_LANGPKG_INVALID;
    for (const char *c = value; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return OA_LANGPKG_INVALID;
    return is_version(value) ? OA_LANGPKG_VERSION : OA_LANGPKG_SPEC;
}

int oa_langpkg_call(struct oa_langpkg_run *r, struct oa_buf *capture, char *const *args,
                    const char *what, char *why, size_t len)
{
    char *argv[16], reason[512];
    size_t n = 0;
    int status, rc;

    argv[n++] = (char *)r->b->tool;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    struct oa_tool t = {
        .path = r->exe, .argv = argv, .envp = r->env, .cwd = r->cwd, .capture = capture};
    rc = oa_common_sources_run(&t, NULL, &status, reason, sizeof(reason));
    if (rc < 0) {
        snprintf(why, len, "%s", reason);
        return rc;
    }
    if (oa_tool_ok(status))
        return 0;
    oa_common_sources_failure(what, status, reason, why, len);
    return 1;
}

static int list(struct oa_langpkg_run *r, struct oa_buf *into, struct oa_outcome *out)
{
    int rc;

    oa_buf_init(into, LIST_MAX);
    rc = r->b->list(r, into, out->comment, sizeof(out->comment));
    if (rc < 0)
        out->result = false;
    return rc;
}

static void act(struct oa_langpkg_run *r, struct oa_langpkg_item *it, enum oa_langpkg_act a)
{
    char why[400];

    it->ran = true;
    it->failed = r->b->act(r, it, a, why, sizeof(why)) != 0;
    if (it->failed)
        snprintf(it->note, sizeof(it->note), "%s", why);
}

/* An installed `latest` entry: upgraded only when a newer version exists. */
static void latest(struct oa_langpkg_run *r, struct oa_langpkg_item *it)
{
    char ver[OA_LANGPKG_VERSION_MAX], why[400];
    int n = r->b->newer(r, it, ver, sizeof(ver), why, sizeof(why));

    if (n < 0) {
        it->failed = true;
        snprintf(it->note, sizeof(it->note), "%s: %s", it->name, why);
    } else if (n == 0) {
        snprintf(it->note, sizeof(it->note), "%s %.*s is the latest version", it->name,
                 (int)strcspn(it->was, ","), it->was);
    } else if (r->ctx->dry_run) {
        snprintf(it->note, sizeof(it->note), "would upgrade %s %s → %s", it->name, it->was, ver);
    } else {
        act(r, it, OA_LANGPKG_ACT_UPGRADE);
    }
}

static bool satisfied(struct oa_langpkg_run *r, const struct oa_langpkg_item *it)
{
    switch (it->want) {
    case OA_LANGPKG_REMOVED:
        return !it->present;
    case OA_LANGPKG_INSTALLED:
        return it->present;
    case OA_LANGPKG_VERSION:
    case OA_LANGPKG_SPEC:
        return it->present && r->b->satisfied(r, it, it->was) == 1;
    default:
        return false;
    }
}

/* Decides, and acts unless in a dry run. */
static void apply(struct oa_langpkg_run *r, struct oa_langpkg_item *it)
{
    bool versioned = it->want == OA_LANGPKG_VERSION || it->want == OA_LANGPKG_SPEC;

    if (it->want == OA_LANGPKG_LATEST && it->present)
        latest(r, it);
    else if (satisfied(r, it) && it->present)
        snprintf(it->note, sizeof(it->note), "%s %s is installed", it->name, it->was);
    else if (satisfied(r, it))
        snprintf(it->note, sizeof(it->note), "%s is not installed", it->name);
    else if (r->ctx->dry_run)
        snprintf(it->note, sizeof(it->note), "would %s %s%s%.200s%s%s%s",
                 it->want == OA_LANGPKG_REMOVED ? "remove" : "install", it->name,
                 versioned ? " " : "", versioned ? it->value : "", it->present ? " (now " : "",
                 it->present ? it->was : "", it->present ? ")" : "");
    else
        act(r, it, it->want == OA_LANGPKG_REMOVED ? OA_LANGPKG_ACT_REMOVE : OA_LANGPKG_ACT_INSTALL);
}

/* Judges an entry that ran, from the list taken after (§1.3 post-check).
 * Returns whether it changed the host. */
static bool judge(struct oa_langpkg_run *r, struct oa_langpkg_item *it, const char *after)
{
    char now[OA_LANGPKG_VERSION_MAX];
    bool there = r->b->find(after, it->name, now, sizeof(now));
    bool changed = there != it->present || (there && strcmp(now, it->was) != 0);

    if (it->failed)
        return changed;
    if (it->want == OA_LANGPKG_REMOVED) {
        it->failed = there;
        if (there)
            snprintf(it->note, sizeof(it->note), "%s is still installed (%s)", it->name, now);
        else
            snprintf(it->note, sizeof(it->note), "removed %s %s", it->name, it->was);
        return changed;
    }
    it->failed = !there || ((it->want == OA_LANGPKG_VERSION || it->want == OA_LANGPKG_SPEC) &&
                            r->b->satisfied(r, it, now) == 0);
    if (!there)
        snprintf(it->note, sizeof(it->note), "%s ran without error, but %s is not installed",
                 r->b->tool, it->name);
    else if (it->failed)
        snprintf(it->note, sizeof(it->note), "%s is at %s after the install, not %s", it->name, now,
                 it->value);
    else if (!it->present)
        snprintf(it->note, sizeof(it->note), "installed %s %s", it->name, now);
    else if (strcmp(now, it->was) != 0 && it->want == OA_LANGPKG_LATEST)
        snprintf(it->note, sizeof(it->note), "upgraded %s %.*s → %.*s", it->name,
                 (int)strcspn(it->was, ","), it->was, (int)strcspn(now, ","), now);
    else if (strcmp(now, it->was) != 0)
        snprintf(it->note, sizeof(it->note), "%s %s → %s", it->name, it->was, now);
    else
        snprintf(it->note, sizeof(it->note), "%s %s is installed", it->name, now);
    return changed;
}

static bool validate(struct oa_langpkg_run *r, const struct oa_pvalue *names,
                     struct oa_outcome *out)
{
    for (size_t i = 0; i < names->n; i++) {
        struct oa_langpkg_item *it = &r->items[i];
        it->name = names->kv[i].key;
        it->value = names->kv[i].value;
        it->want = oa_langpkg_want(it->value, r->b->is_version);
        if (!r->b->name_ok(it->name)) {
            oa_outcome_set(out, false, false, "parameter 'name': '%s' is not a package name",
                           it->name);
            return false;
        }
        if (it->want == OA_LANGPKG_INVALID) {
            oa_outcome_set(out, false, false, "parameter 'name': '%s' is not a version of %s",
                           it->value, it->name);
            return false;
        }
    }
    return !r->b->validate || r->b->validate(r, out);
}

/* The tool, installed from the distribution when missing (§1.6). Returns
 * 1 when it is usable, 0 when it is missing in a dry run. */
static int find_tool(struct oa_langpkg_run *r, struct oa_outcome *out)
{
    struct oa_osinfo os;
    bool installed;
    int rc;

    if (oa_tool_which(r->b->tool, r->exe, sizeof(r->exe)))
        return 1;
    oa_osinfo_read(&os);
    rc = oa_prereq_ensure(r->ctx, &os, r->b->tool, r->b->deb_pkg, r->b->rpm_pkg, &installed, out);
    if (rc < 0)
        return rc;
    r->tool_installed = installed;
    if (oa_tool_which(r->b->tool, r->exe, sizeof(r->exe)))
        return 1;
    return 0; /* a dry run: oa_prereq_ensure fails a real one */
}

static int make_env(struct oa_langpkg_run *r, struct oa_outcome *out)
{
    const struct oa_langpkg_backend *b = r->b;
    struct oa_kv extra[16];
    struct oa_runas ra;
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < b->n_env && n < 16; i++)
        extra[n++] = b->env[i];
    for (size_t i = 0; i < b->n_passed && n < 16; i++) {
        const char *v = getenv(b->passed[i]);
        if (v && v[0])
            extra[n++] = (struct oa_kv){(char *)b->passed[i], (char *)v};
    }
    if ((rc = oa_runas_lookup(NULL, NULL, &ra, out->comment, sizeof(out->comment))) < 0) {
        out->result = false;
        return rc;
    }
    r->env = oa_runas_env(&ra, extra, n);
    oa_runas_done(&ra);
    if (!r->env) {
        oa_outcome_set(out, false, false, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* The comment: every entry's outcome, in order (§1.3). */
static void summarize(const struct oa_langpkg_run *r, bool changed, struct oa_outcome *out)
{
    bool ok = true;
    size_t used = 0;

    for (size_t i = 0; i < r->n; i++)
        ok = ok && !r->items[i].failed;
    out->result = ok;
    out->changed = changed;
    out->comment[0] = '\0';
    for (size_t i = 0; i < r->n && used < sizeof(out->comment); i++) {
        int w = snprintf(out->comment + used, sizeof(out->comment) - used, "%s%s", i ? "; " : "",
                         r->items[i].note);
        used += w > 0 ? (size_t)w : 0;
    }
    if (ok && !changed && used < sizeof(out->comment))
        snprintf(out->comment + used, sizeof(out->comment) - used, ", no changes");
}

static void converge(struct oa_langpkg_run *r, struct oa_outcome *out)
{
    struct oa_buf before, after;
    bool changed = r->tool_installed, ran = false;

    oa_buf_init(&after, LIST_MAX);
    if (list(r, &before, out) < 0)
        goto done;
    for (size_t i = 0; i < r->n; i++) {
        struct oa_langpkg_item *it = &r->items[i];
        it->present =
            r->b->find(before.data ? before.data : "", it->name, it->was, sizeof(it->was));
        apply(r, it);
        ran = ran || it->ran;
        changed = changed || (r->ctx->dry_run && strncmp(it->note, "would ", 6) == 0);
    }
    if (ran && list(r, &after, out) < 0)
        goto done;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].ran)
            changed = judge(r, &r->items[i], after.data ? after.data : "") || changed;
    summarize(r, changed, out);
done:
    oa_buf_done(&before);
    oa_buf_done(&after);
}

int oa_langpkg_run(const struct oa_langpkg_backend *b, const struct oa_run_ctx *ctx,
                   const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *names = oa_params_get(p, "name");
    struct oa_langpkg_run r = {.b = b, .ctx = ctx, .p = p, .n = names->n};
    int rc = 0;

    r.items = oa_calloc(names->n ? names->n : 1, sizeof(*r.items));
    if (!r.items) {
        oa_outcome_set(out, false, false, "out of memory");
        return -ENOMEM;
    }
    if (validate(&r, names, out) && (rc = find_tool(&r, out)) >= 0) {
        if (rc == 0)
            oa_outcome_set(out, true, true, "would install %s, then %s install %s%s", b->deb_pkg,
                           b->tool, r.items[0].name, names->n > 1 ? " and more" : "");
        else if ((rc = make_env(&r, out)) == 0)
            converge(&r, out);
    }
    oa_runas_env_free(r.env);
    oa_free(r.items);
    return rc == -ENOMEM ? rc : 0;
}
