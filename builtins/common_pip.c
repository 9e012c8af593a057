/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.pip.package (modules.md §6.1): Python distributions installed
 * system-wide with pip (pip3, else pip), each entry of `name` being
 * installed (any version), pinned to a version, kept at the latest (⚠ the
 * original treated `latest` as installed; §D) or removed. What is there is
 * read with `pip list --format=freeze` before and after; pip only runs for
 * entries that need it, except `latest`, which asks the index every round.
 *
 * pip is installed from the distribution (python3-pip) when missing, and
 * never upgrades itself (§1.6). Where the interpreter carries PEP 668's
 * EXTERNALLY-MANAGED marker, installing system-wide is this module's
 * purpose, so --break-system-packages is passed and the output says so.
 * PIP_INDEX_URL, PIP_FIND_LINKS and PIP_NO_INDEX reach pip from the
 * module's environment; nothing else of it does (a clean environment).
 */
#include "common_pip.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_sources.h"
#include "fsutil.h"
#include "mem.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "runas.h"
#include "tool.h"

#define FREEZE_MAX ((size_t)4 << 20)
#define VERSION_MAX 128

static const struct oa_param_spec pip_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
};

/* The settings a test (or an offline host) points pip at local wheels with. */
static const char *const passed_env[] = {"PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"};

struct pip {
    const struct oa_run_ctx *ctx;
    char exe[PATH_MAX];
    char marker[PATH_MAX]; /* the EXTERNALLY-MANAGED file, "" when none */
    bool marker_told;
    char **env;
    struct oa_buf before, after; /* pip list --format=freeze */
};

/* One entry of `name`. */
struct item {
    const char *name, *value;
    enum oa_pip_want want;
    bool present;
    char was[VERSION_MAX];
    bool ran, failed;
    char note[512];
};

enum oa_pip_want oa_common_pip_want(const char *value)
{
    if (!value[0])
        return OA_PIP_INSTALLED;
    if (strcasecmp(value, "latest") == 0)
        return OA_PIP_LATEST;
    if (strcasecmp(value, "removed") == 0)
        return OA_PIP_REMOVED;
    if (value[0] == '-' || strpbrk(value, " \t\r\n;,"))
        return OA_PIP_INVALID;
    return strchr("<>=!~", value[0]) ? OA_PIP_SPEC : OA_PIP_VERSION;
}

bool oa_common_pip_name_ok(const char *name)
{
    size_t n = strcspn(name, "[");

    if (n == 0 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return false;
    if (!name[n])
        return true;
    size_t extras = strspn(name + n + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789._-,");
    return name[n + 1 + extras] == ']' && name[n + 2 + extras] == '\0';
}

/* The next character of a normalized name: runs of "-_." become '-'. */
static int norm_next(const char **s)
{
    const char *p = *s;

    if (!*p || *p == '[')
        return 0;
    if (strchr("-_.", *p)) {
        while (*p && strchr("-_.", *p))
            p++;
        *s = p;
        return '-';
    }
    *s = p + 1;
    return tolower((unsigned char)*p);
}

bool oa_common_pip_name_eq(const char *a, const char *b)
{
    int ca, cb;

    do {
        ca = norm_next(&a);
        cb = norm_next(&b);
    } while (ca && ca == cb);
    return ca == cb;
}

bool oa_common_pip_freeze_find(const char *freeze, const char *name, char *ver, size_t len)
{
    char want[256];

    for (const char *line = freeze; line && *line;) {
        size_t n = strcspn(line, "\n");
        const char *eq = memmem(line, n, "==", 2);
        if (eq && (size_t)(eq - line) < sizeof(want)) {
            snprintf(want, sizeof(want), "%.*s", (int)(eq - line), line);
            if (oa_common_pip_name_eq(want, name)) {
                eq += 2 + (eq[2] == '=');
                snprintf(ver, len, "%.*s", (int)(n - (size_t)(eq - line)), eq);
                ver[strcspn(ver, "\r")] = '\0';
                return true;
            }
        }
        line = line[n] ? line + n + 1 : NULL;
    }
    return false;
}

/* Reads the numeric release ("1.2.0") at *s; the rest stays in *s. */
static size_t release(const char **s, unsigned long nums[], size_t max)
{
    size_t n = 0;

    if (**s == 'v' || **s == 'V')
        (*s)++;
    while (n < max && isdigit((unsigned char)**s)) {
        char *end;
        nums[n++] = strtoul(*s, &end, 10);
        *s = end;
        if (**s != '.' || !isdigit((unsigned char)(*s)[1]))
            break;
        (*s)++;
    }
    return n;
}

bool oa_common_pip_version_eq(const char *a, const char *b)
{
    unsigned long na[16], nb[16];
    size_t la = release(&a, na, 16), lb = release(&b, nb, 16);

    for (size_t i = 0; i < la || i < lb; i++)
        if ((i < la ? na[i] : 0) != (i < lb ? nb[i] : 0))
            return false;
    return strcasecmp(a, b) == 0;
}

/* Compares two purely numeric releases; false when either is not one. */
static bool release_cmp(const char *a, const char *b, int *ret)
{
    unsigned long na[16], nb[16];
    size_t la = release(&a, na, 16), lb = release(&b, nb, 16);

    if (!la || !lb || *a || *b)
        return false;
    *ret = 0;
    for (size_t i = 0; i < la || i < lb; i++) {
        unsigned long x = i < la ? na[i] : 0, y = i < lb ? nb[i] : 0;
        if (x != y) {
            *ret = x < y ? -1 : 1;
            break;
        }
    }
    return true;
}

/* One clause ("~=1.2", ">=2") against version: 1, 0, or -1 (unknown). */
static int clause(const char *version, const char *c, size_t n)
{
    static const char *const ops[] = {"~=", "==", "!=", "<=", ">=", "<", ">"};
    char want[VERSION_MAX], prefix[VERSION_MAX];
    size_t op = 0, olen = 0;
    int cmp, pcmp;

    while (op < sizeof(ops) / sizeof(ops[0]) && strncmp(c, ops[op], olen = strlen(ops[op])) != 0)
        op++;
    if (op == sizeof(ops) / sizeof(ops[0]) || c[olen] == '=' || n - olen >= sizeof(want))
        return -1; /* "===" and unknown operators: pip decides */
    snprintf(want, sizeof(want), "%.*s", (int)(n - olen), c + olen);
    if (!release_cmp(version, want, &cmp))
        return -1; /* pre-releases, wildcards, local versions: pip decides */
    switch (op) {
    case 0: /* ~=X.Y: >= X.Y and == X.* */
        snprintf(prefix, sizeof(prefix), "%s", want);
        if (!strrchr(prefix, '.'))
            return -1;
        *strrchr(prefix, '.') = '\0';
        snprintf(want, sizeof(want), "%.*s", (int)strlen(prefix), version);
        return cmp >= 0 && release_cmp(want, prefix, &pcmp) && pcmp == 0 &&
               (version[strlen(prefix)] == '.' || !version[strlen(prefix)]);
    case 1:
        return cmp == 0;
    case 2:
        return cmp != 0;
    case 3:
        return cmp <= 0;
    case 4:
        return cmp >= 0;
    case 5:
        return cmp < 0;
    default:
        return cmp > 0;
    }
}

int oa_common_pip_spec_satisfied(const char *version, const char *spec)
{
    int all = 1;

    if (!spec[strspn(spec, " ")])
        return -1;
    for (const char *c = spec; *c;) {
        c += strspn(c, " ");
        size_t n = strcspn(c, ",");
        while (n && c[n - 1] == ' ')
            n--;
        int r = n ? clause(version, c, n) : -1;
        if (r < 0)
            return -1;
        all = all && r;
        c += strcspn(c, ",");
        c += *c == ',';
    }
    return all;
}

const char *oa_common_pip_python_version(const char *out, char *buf, size_t len)
{
    const char *p = strstr(out, "(python ");
    size_t n;

    buf[0] = '\0';
    if (!p)
        return buf;
    p += 8;
    n = strspn(p, "0123456789.");
    if (n && n < len)
        snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

bool oa_common_pip_would_install(const char *out, const char *name, char *ver, size_t len)
{
    const char *line = strstr(out, "Would install ");
    char tok[512];

    if (!line)
        return false;
    line += 14;
    while (*line && *line != '\n') {
        size_t n = strcspn(line, " \n");
        snprintf(tok, sizeof(tok), "%.*s", (int)(n < sizeof(tok) ? n : sizeof(tok) - 1), line);
        char *dash = strrchr(tok, '-');
        if (dash) {
            *dash = '\0';
            if (oa_common_pip_name_eq(tok, name)) {
                snprintf(ver, len, "%s", dash + 1);
                return true;
            }
        }
        line += n;
        line += strspn(line, " ");
    }
    return false;
}

/* Runs pip with args (NULL-terminated, at most 8). Returns 0 when it
 * exited 0, 1 when it failed, or a negative errno when it could not start;
 * why says how for both. */
static int pip_call(struct pip *p, struct oa_buf *capture, const char *const *args, char *why,
                    size_t len)
{
    char *argv[12], reason[512], what[64];
    size_t n = 0;
    int status, r;

    argv[n++] = (char *)"pip";
    while (args[n - 1] && n < 11)
        argv[n] = (char *)args[n - 1], n++;
    argv[n] = NULL;
    struct oa_tool t = {.path = p->exe, .argv = argv, .envp = p->env, .capture = capture};
    r = oa_common_sources_run(&t, NULL, &status, reason, sizeof(reason));
    if (r < 0) {
        snprintf(why, len, "%s", reason);
        return r;
    }
    if (oa_tool_ok(status))
        return 0;
    snprintf(what, sizeof(what), "pip %s", args[0]);
    oa_common_sources_failure(what, status, reason, why, len);
    return 1;
}

static int list(struct pip *p, struct oa_buf *freeze, struct oa_outcome *out)
{
    static const char *const args[] = {"list", "--format=freeze", NULL};

    oa_buf_init(freeze, FREEZE_MAX);
    if (pip_call(p, freeze, args, out->comment, sizeof(out->comment)) == 0)
        return 0;
    out->result = false;
    return -EIO;
}

/* The Python version pip runs under, from its script's interpreter line
 * ("#!/usr/bin/python3" → python3.11 → "3.11"), without starting Python. */
static const char *shebang_version(const char *exe, char *buf, size_t len)
{
    char line[PATH_MAX], real[PATH_MAX], found[PATH_MAX];
    const char *interp = line + 2, *base;
    FILE *f = fopen(exe, "re");
    bool ok = f && fgets(line, sizeof(line), f) && strncmp(line, "#!", 2) == 0;

    buf[0] = '\0';
    if (f)
        fclose(f);
    if (!ok)
        return buf;
    size_t cut = strcspn(line, " \t\r\n");
    bool has_arg = line[cut] == ' ' || line[cut] == '\t';
    line[cut] = '\0';
    if (strcmp(interp, "/usr/bin/env") == 0) {
        if (!has_arg)
            return buf;
        char *arg = line + strlen(line) + 1;
        arg += strspn(arg, " \t");
        arg[strcspn(arg, " \t\r\n")] = '\0';
        interp = oa_tool_which(arg, found, sizeof(found));
    }
    if (interp && realpath(interp, real) && (base = strrchr(real, '/')) &&
        strncmp(base, "/python", 7) == 0 && base[7] &&
        strspn(base + 7, "0123456789.") == strlen(base + 7) &&
        (size_t)snprintf(buf, len, "%s", base + 7) >= len)
        buf[0] = '\0';
    return buf;
}

/* PEP 668: the marker next to the standard library of pip's Python. */
static void find_marker(struct pip *p)
{
    static const char *const args[] = {"--version", NULL};
    static const char *const dirs[] = {"/usr/lib", "/usr/lib64", "/usr/local/lib"};
    char why[512], py[32];
    struct oa_buf out;

    p->marker[0] = '\0';
    oa_buf_init(&out, 4096);
    /* Only when the interpreter line does not tell (pip --version takes a
     * second). */
    if (!strchr(shebang_version(p->exe, py, sizeof(py)), '.') &&
        pip_call(p, &out, args, why, sizeof(why)) == 0 && out.data)
        oa_common_pip_python_version(out.data, py, sizeof(py));
    for (size_t i = 0; py[0] && i < sizeof(dirs) / sizeof(dirs[0]) && !p->marker[0]; i++) {
        snprintf(p->marker, sizeof(p->marker), "%s/python%s/EXTERNALLY-MANAGED", dirs[i], py);
        if (!oa_fs_exists(p->marker))
            p->marker[0] = '\0';
    }
    oa_buf_done(&out);
}

/* Runs pip install/uninstall for one item; args[0] is the command and
 * --break-system-packages is added after it when needed. */
static void change(struct pip *p, struct item *it, const char *const *args)
{
    const char *full[10];
    char why[400];
    size_t n = 0;

    full[n++] = args[0];
    if (p->marker[0]) {
        if (!p->marker_told)
            printf("%s exists (PEP 668): passing --break-system-packages to pip\n", p->marker);
        p->marker_told = true;
        full[n++] = "--break-system-packages";
    }
    for (size_t i = 1; args[i] && n < 9; i++)
        full[n++] = args[i];
    full[n] = NULL;
    it->ran = true;
    it->failed = pip_call(p, NULL, full, why, sizeof(why)) != 0;
    if (it->failed)
        snprintf(it->note, sizeof(it->note), "%s: %s", it->name, why);
}

/* `latest` in a dry run: asks pip what an upgrade would install. */
static void dry_latest(struct pip *p, struct item *it)
{
    const char *args[8] = {"install", "--dry-run", "--upgrade", "--no-deps"};
    char ver[VERSION_MAX], why[400];
    struct oa_buf out;
    size_t n = 4;

    if (p->marker[0])
        args[n++] = "--break-system-packages";
    args[n++] = it->name;
    args[n] = NULL;
    oa_buf_init(&out, 1 << 20);
    if (pip_call(p, &out, args, why, sizeof(why)) != 0) {
        it->failed = true;
        snprintf(it->note, sizeof(it->note), "%s: %s", it->name, why);
    } else if (out.data && oa_common_pip_would_install(out.data, it->name, ver, sizeof(ver))) {
        snprintf(it->note, sizeof(it->note), "would upgrade %s %s → %s", it->name, it->was, ver);
    } else {
        snprintf(it->note, sizeof(it->note), "%s %s is the latest version", it->name, it->was);
    }
    oa_buf_done(&out);
}

/* Decides, and acts unless in a dry run (§6.1). */
static void apply(struct pip *p, struct item *it)
{
    char spec[512];
    const char *install[] = {"install", spec, NULL};
    const char *upgrade[] = {"install", "--upgrade", it->name, NULL};
    const char *removal[] = {"uninstall", "-y", it->name, NULL};
    bool dry = p->ctx->dry_run, satisfied;

    snprintf(spec, sizeof(spec), "%s%s%s", it->name, it->want == OA_PIP_VERSION ? "==" : "",
             it->want == OA_PIP_VERSION || it->want == OA_PIP_SPEC ? it->value : "");
    satisfied = it->want == OA_PIP_REMOVED ? !it->present
                : it->want == OA_PIP_VERSION
                    ? it->present && oa_common_pip_version_eq(it->was, it->value)
                : it->want == OA_PIP_SPEC
                    ? it->present && oa_common_pip_spec_satisfied(it->was, it->value) == 1
                    : it->present && it->want == OA_PIP_INSTALLED;
    if (satisfied && it->present)
        snprintf(it->note, sizeof(it->note), "%s %s is installed", it->name, it->was);
    else if (satisfied)
        snprintf(it->note, sizeof(it->note), "%s is not installed", it->name);
    else if (dry && it->want == OA_PIP_LATEST && it->present)
        dry_latest(p, it);
    else if (dry)
        snprintf(it->note, sizeof(it->note), "would %s %.300s%s%s%s",
                 it->want == OA_PIP_REMOVED ? "remove" : "install",
                 it->want == OA_PIP_REMOVED ? it->name : spec, it->present ? " (now " : "",
                 it->present ? it->was : "", it->present ? ")" : "");
    else
        change(p, it,
               it->want == OA_PIP_REMOVED                 ? removal
               : it->want == OA_PIP_LATEST && it->present ? upgrade
                                                          : install);
}

/* Judges an item that ran, from the list taken after (§1.3 post-check). */
static bool judge(struct pip *p, struct item *it)
{
    char now[VERSION_MAX];
    bool there =
        oa_common_pip_freeze_find(p->after.data ? p->after.data : "", it->name, now, sizeof(now));

    if (it->failed)
        return false;
    if (it->want == OA_PIP_REMOVED) {
        it->failed = there;
        if (there)
            snprintf(it->note, sizeof(it->note), "%s is still installed (%s)", it->name, now);
        else
            snprintf(it->note, sizeof(it->note), "removed %s %s", it->name, it->was);
        return !there;
    }
    it->failed =
        !there || (it->want == OA_PIP_VERSION && !oa_common_pip_version_eq(now, it->value));
    if (!there)
        snprintf(it->note, sizeof(it->note), "pip install %s succeeded, but %s is not installed",
                 it->name, it->name);
    else if (it->failed)
        snprintf(it->note, sizeof(it->note), "%s is at %s after the install, not %s", it->name, now,
                 it->value);
    else if (!it->present)
        snprintf(it->note, sizeof(it->note), "installed %s %s", it->name, now);
    else if (strcmp(now, it->was) != 0)
        snprintf(it->note, sizeof(it->note), "%s%s %s → %s",
                 it->want == OA_PIP_LATEST ? "upgraded " : "", it->name, it->was, now);
    else
        snprintf(it->note, sizeof(it->note), "%s %s is %s", it->name, now,
                 it->want == OA_PIP_LATEST ? "the latest version" : "installed");
    return there && strcmp(now, it->was) != 0;
}

static bool validate(struct item *items, const struct oa_pvalue *names, struct oa_outcome *out)
{
    for (size_t i = 0; i < names->n; i++) {
        items[i].name = names->kv[i].key;
        items[i].value = names->kv[i].value;
        items[i].want = oa_common_pip_want(items[i].value);
        if (!oa_common_pip_name_ok(items[i].name)) {
            oa_outcome_set(out, false, false, "parameter 'name': '%s' is not a package name",
                           items[i].name);
            return false;
        }
        if (items[i].want == OA_PIP_INVALID) {
            oa_outcome_set(out, false, false, "parameter 'name': '%s' is not a version of %s",
                           items[i].value, items[i].name);
            return false;
        }
    }
    return true;
}

/* pip3, else pip; python3-pip is installed when neither exists (§1.6).
 * Returns 1 when pip is usable, 0 when it is missing in a dry run. */
static int find_pip(struct pip *p, struct oa_outcome *out)
{
    struct oa_osinfo os;
    bool installed;
    int r;

    if (oa_tool_which("pip3", p->exe, sizeof(p->exe)) ||
        oa_tool_which("pip", p->exe, sizeof(p->exe)))
        return 1;
    oa_osinfo_read(&os);
    if ((r = oa_prereq_ensure(p->ctx, &os, "pip3", "python3-pip", "python3-pip", &installed, out)) <
        0)
        return r;
    if (oa_tool_which("pip3", p->exe, sizeof(p->exe)))
        return 1;
    if (p->ctx->dry_run)
        return 0;
    oa_outcome_set(out, false, false, "pip is not installed");
    return -ENOENT;
}

char **oa_common_pip_env(char *why, size_t len)
{
    struct oa_kv extra[6] = {{(char *)"PIP_DISABLE_PIP_VERSION_CHECK", (char *)"1"},
                             {(char *)"PIP_NO_INPUT", (char *)"1"},
                             {(char *)"PIP_ROOT_USER_ACTION", (char *)"ignore"}};
    size_t n = 3;
    struct oa_runas ra;
    char **env;

    for (size_t i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]); i++) {
        const char *v = getenv(passed_env[i]);
        if (v && v[0])
            extra[n++] = (struct oa_kv){(char *)passed_env[i], (char *)v};
    }
    if (oa_runas_lookup(NULL, NULL, &ra, why, len) < 0)
        return NULL;
    env = oa_runas_env(&ra, extra, n);
    oa_runas_done(&ra);
    if (!env)
        snprintf(why, len, "out of memory");
    return env;
}

/* The comment: every item's outcome, in order (§1.3). */
static void summarize(const struct item *items, size_t n, bool changed, struct oa_outcome *out)
{
    bool ok = true;
    size_t used = 0;

    for (size_t i = 0; i < n; i++)
        ok = ok && !items[i].failed;
    out->result = ok;
    out->changed = changed;
    out->comment[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof(out->comment); i++) {
        int w = snprintf(out->comment + used, sizeof(out->comment) - used, "%s%s", i ? "; " : "",
                         items[i].note);
        used += w > 0 ? (size_t)w : 0;
    }
    if (ok && !changed && used < sizeof(out->comment))
        snprintf(out->comment + used, sizeof(out->comment) - used, ", no changes");
}

static void converge(struct pip *p, struct item *items, size_t n, struct oa_outcome *out)
{
    bool changed = false, ran = false;

    if (list(p, &p->before, out) < 0)
        return;
    find_marker(p);
    for (size_t i = 0; i < n; i++) {
        items[i].present =
            oa_common_pip_freeze_find(p->before.data ? p->before.data : "", items[i].name,
                                      items[i].was, sizeof(items[i].was));
        apply(p, &items[i]);
        ran = ran || items[i].ran;
        changed = changed || (p->ctx->dry_run && strncmp(items[i].note, "would ", 6) == 0);
    }
    if (ran && list(p, &p->after, out) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (items[i].ran)
            changed = judge(p, &items[i]) || changed;
    summarize(items, n, changed, out);
}

static int pip_run(const struct oa_run_ctx *ctx, const struct oa_params *params,
                   struct oa_outcome *out)
{
    const struct oa_pvalue *names = oa_params_get(params, "name");
    struct pip p = {.ctx = ctx};
    struct item *items = oa_calloc(names->n ? names->n : 1, sizeof(*items));
    int r;

    if (!items) {
        oa_outcome_set(out, false, false, "out of memory");
        return -ENOMEM;
    }
    if (validate(items, names, out) && (r = find_pip(&p, out)) >= 0) {
        if (r == 0)
            oa_outcome_set(out, true, true, "would install python3-pip, then pip install %s%s",
                           items[0].name, names->n > 1 ? " and more" : "");
        else if ((p.env = oa_common_pip_env(out->comment, sizeof(out->comment))))
            converge(&p, items, names->n, out);
        else
            out->result = false;
    }
    oa_buf_done(&p.before);
    oa_buf_done(&p.after);
    oa_runas_env_free(p.env);
    oa_free(items);
    return 0;
}

const struct oa_module oa_mod_common_pip_package = {
    .name = "common.pip.package",
    .params = pip_params,
    .n_params = sizeof(pip_params) / sizeof(pip_params[0]),
    .run = pip_run,
};
