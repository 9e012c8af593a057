/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.npm.package (modules.md §6.2): Node.js packages installed with
 * npm, globally (-g) or, with `path`, into <path>/node_modules. What is
 * there is read with `npm ls --depth=0 --json`; an entry pinned to a
 * version or a range is checked here against npm's semver rules, so a
 * round with nothing to do makes no network request. `latest` asks `npm
 * outdated` (the registry) every round and installs name@latest only when
 * it lists a newer version.
 *
 * npm comes from the distribution when missing (§1.6: never the original's
 * download piped into a shell). It runs in a clean environment with HOME
 * (so ~/.npmrc and the cache apply), without its funding, audit and update
 * notices, and without a progress bar; NODE_EXTRA_CA_CERTS reaches it from
 * the module's environment, for a host behind a TLS-intercepting proxy.
 */
#include "common_npm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "json.h"
#include "langpkg.h"
#include "modules.h"

static const struct oa_param_spec npm_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
    {"path", OA_PT_LINE, 0},
};

static const struct oa_kv npm_env[] = {
    {(char *)"npm_config_fund", (char *)"false"},
    {(char *)"npm_config_audit", (char *)"false"},
    {(char *)"npm_config_update_notifier", (char *)"false"},
    {(char *)"npm_config_progress", (char *)"false"},
};

/* The extra CA certificates Node.js trusts (a TLS-intercepting proxy's),
 * passed on as pip's settings are (the agent hands it to its children). */
static const char *const npm_passed[] = {"NODE_EXTRA_CA_CERTS"};

/* ---- Names and versions ---- */

static bool name_part_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[0] == '_' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("-._~", s[i]))
            return false;
    return true;
}

bool oa_common_npm_name_ok(const char *name)
{
    size_t len = strlen(name);
    const char *slash = strchr(name, '/');

    if (len == 0 || len > 214)
        return false;
    if (name[0] != '@')
        return !slash && name_part_ok(name, len);
    return slash && name_part_ok(name + 1, (size_t)(slash - name - 1)) &&
           name_part_ok(slash + 1, strlen(slash + 1)) && !strchr(slash + 1, '/');
}

/* A semantic version's numbers; *pre tells whether a pre-release follows.
 * Reads "1.2.3[-pre][+build]" (after an optional 'v' or '=') and nothing
 * else. */
static bool parse_version(const char *s, long v[3], bool *pre)
{
    char *end;

    s += *s == 'v' || *s == '=';
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v[i] = strtol(s, &end, 10);
        s = end;
        if (i < 2 && *s++ != '.')
            return false;
    }
    *pre = *s == '-';
    if (*s == '-' || *s == '+')
        s += 1 + strspn(s + 1, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+");
    return *s == '\0';
}

bool oa_common_npm_is_version(const char *value)
{
    long v[3];
    bool pre;

    return parse_version(value, v, &pre);
}

/* One comparator of a desugared range: version op bound. A bound with
 * pre set stands just below its numbers ("<2.0.0-0"). */
enum cmp_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ };

static int compare(const long a[3], const long b[3], bool b_pre)
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return b_pre ? 1 : 0; /* a release is above its own pre-releases */
}

static bool holds(const long ver[3], enum cmp_op op, const long bound[3], bool bound_pre)
{
    int c = compare(ver, bound, bound_pre);

    switch (op) {
    case OP_LT:
        return c < 0;
    case OP_LE:
        return c <= 0;
    case OP_GT:
        return c > 0;
    case OP_GE:
        return c >= 0;
    default:
        return c == 0;
    }
}

/* A partial version ("1", "1.2", "1.x", "*", "1.2.3-rc.1"): the numbers
 * given before the first wildcard (*k of them; the rest 0) and whether a
 * pre-release follows a full version. */
static bool parse_partial(const char *s, size_t n, long v[3], int *k, bool *pre)
{
    char buf[128], *p = buf, *end;
    bool wild = false;

    if (n >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
    p += *p == 'v' || *p == '=';
    *k = 0;
    *pre = false;
    v[0] = v[1] = v[2] = 0;
    for (int i = 0; i < 3 && *p; i++) {
        if (*p == 'x' || *p == 'X' || *p == '*') {
            wild = true;
            p++;
        } else if (isdigit((unsigned char)*p) && !wild) {
            v[i] = strtol(p, &end, 10);
            p = end;
            (*k)++;
        } else {
            return false;
        }
        if (i < 2 && *p == '.')
            p++;
        else
            break;
    }
    if (*k == 3 && (*p == '-' || *p == '+')) {
        *pre = *p == '-';
        p += 1 + strspn(p + 1, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+");
    }
    return *p == '\0';
}

/* The bound one above the last given number ("1.2" → 1.3.0), as the
 * exclusive upper end of an x-range. */
static void bump(const long v[3], int k, long out[3])
{
    out[0] = v[0];
    out[1] = k >= 2 ? v[1] : 0;
    out[2] = 0;
    if (k <= 1)
        out[0]++, out[1] = 0;
    else
        out[1]++;
}

/* One token ("^1.2", ">=2", "1.x") against ver: 1, 0, or -1 (unknown). */
static int token(const long ver[3], const char *s, size_t n)
{
    long v[3], up[3];
    int k;
    bool pre;
    char op[3] = "";
    size_t o = strspn(s, "<>=~^");

    if (o > 2 || o >= n)
        return -1;
    snprintf(op, sizeof(op), "%.*s", (int)o, s);
    if (!parse_partial(s + o, n - o, v, &k, &pre))
        return -1;
    if (!strcmp(op, "") || !strcmp(op, "=")) {
        if (k == 3)
            return holds(ver, OP_EQ, v, pre);
        if (k == 0)
            return 1;
        bump(v, k, up);
        return holds(ver, OP_GE, v, false) && holds(ver, OP_LT, up, true);
    }
    if (!strcmp(op, "~") || !strcmp(op, "~>")) {
        if (k == 0)
            return 1;
        bump(v, k < 2 ? 1 : 2, up);
        return holds(ver, OP_GE, v, pre) && holds(ver, OP_LT, up, true);
    }
    if (!strcmp(op, "^")) {
        if (k == 0)
            return 1;
        /* Up to the next change of the first non-zero number given. */
        int lead = v[0] != 0 || k == 1 ? 1 : v[1] != 0 || k == 2 ? 2 : 3;
        up[0] = v[0] + (lead == 1);
        up[1] = lead == 1 ? 0 : v[1] + (lead == 2);
        up[2] = lead == 3 ? v[2] + 1 : 0;
        return holds(ver, OP_GE, v, pre) && holds(ver, OP_LT, up, true);
    }
    if (k == 0) /* ">=*", "<=*": anything; ">*", "<*": nothing */
        return op[1] == '=';
    if (k < 3) {
        bump(v, k, up);
        if (!strcmp(op, ">"))
            return holds(ver, OP_GE, up, false);
        if (!strcmp(op, "<="))
            return holds(ver, OP_LT, up, true);
        return holds(ver, !strcmp(op, ">=") ? OP_GE : OP_LT, v, !strcmp(op, "<"));
    }
    if (!strcmp(op, ">"))
        return holds(ver, OP_GT, v, pre);
    if (!strcmp(op, ">="))
        return holds(ver, OP_GE, v, pre);
    if (!strcmp(op, "<"))
        return holds(ver, OP_LT, v, pre);
    if (!strcmp(op, "<="))
        return holds(ver, OP_LE, v, pre);
    return -1;
}

/* "A - B": 1, 0, or -1. */
static int hyphen(const long ver[3], const char *a, size_t an, const char *b, size_t bn)
{
    long v[3], up[3];
    int k;
    bool pre;

    if (!parse_partial(a, an, v, &k, &pre))
        return -1;
    bool low = k == 0 || holds(ver, OP_GE, v, pre);
    if (!parse_partial(b, bn, v, &k, &pre))
        return -1;
    if (k == 0)
        return low;
    if (k == 3)
        return low && holds(ver, OP_LE, v, pre);
    bump(v, k, up);
    return low && holds(ver, OP_LT, up, true);
}

/* One alternative (between "||"): every token must hold. */
static int alternative(const long ver[3], const char *s, size_t n)
{
    const char *end = s + n, *dash = NULL;
    int all = 1;

    for (const char *p = s; p + 2 < end; p++)
        if (p[0] == ' ' && p[1] == '-' && p[2] == ' ')
            dash = p;
    if (dash) {
        const char *a = s + strspn(s, " "), *b = dash + 3;
        size_t an = (size_t)(dash - a), bn;
        while (an && a[an - 1] == ' ')
            an--;
        b += strspn(b, " ");
        bn = (size_t)(end - b);
        while (bn && b[bn - 1] == ' ')
            bn--;
        return an && bn ? hyphen(ver, a, an, b, bn) : -1;
    }
    for (const char *p = s; p < end;) {
        char tok[160];
        size_t t = 0;
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        /* An operator may stand apart from its version (">= 1.2"). */
        while (p < end && strchr("<>=~^", *p) && t + 1 < sizeof(tok))
            tok[t++] = *p++;
        while (p < end && *p == ' ')
            p++;
        while (p < end && *p != ' ' && t + 1 < sizeof(tok))
            tok[t++] = *p++;
        if (p < end && *p != ' ')
            return -1;
        int r = token(ver, tok, t);
        if (r < 0)
            return -1;
        all = all && r;
    }
    return all;
}

int oa_common_npm_satisfies(const char *version, const char *range)
{
    long ver[3];
    bool pre;
    int any = 0;

    if (!parse_version(version, ver, &pre) || pre)
        return -1;
    for (const char *s = range;;) {
        const char *bar = strstr(s, "||");
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        int r = alternative(ver, s, n);
        if (r < 0)
            return -1;
        any = any || r;
        if (!bar)
            break;
        s = bar + 2;
    }
    return any;
}

/* ---- npm's JSON ---- */

static struct oa_json *parse_json(const char *text)
{
    struct oa_json *j = NULL;

    if (!text || oa_json_parse(text, strlen(text), NULL, &j, NULL, 0) != 0)
        return NULL;
    if (j->type != OA_JSON_OBJECT) {
        oa_json_free(j);
        return NULL;
    }
    return j;
}

static const char *str_of(const struct oa_json *o, const char *key)
{
    const struct oa_json *v = oa_json_get(o, key);
    return v && v->type == OA_JSON_STRING ? v->u.str : NULL;
}

bool oa_common_npm_ls_find(const char *json, const char *name, char *ver, size_t len)
{
    struct oa_json *j = parse_json(json);
    const struct oa_json *dep = oa_json_get(oa_json_get(j, "dependencies"), name);
    const struct oa_json *missing = oa_json_get(dep, "missing");
    const char *v = str_of(dep, "version");
    bool found = v && !(missing && missing->type == OA_JSON_BOOL && missing->u.boolean);

    if (found)
        snprintf(ver, len, "%s", v);
    oa_json_free(j);
    return found;
}

int oa_common_npm_outdated(const char *json, const char *name, char *ver, size_t len, char *why,
                           size_t wlen)
{
    struct oa_json *j = parse_json(json && json[strspn(json, " \n")] ? json : "{}");
    const struct oa_json *err = oa_json_get(j, "error"), *entry = oa_json_get(j, name);
    const char *latest = str_of(entry, "latest"), *current = str_of(entry, "current");
    int r = 0;

    if (!j || err) {
        const char *summary = str_of(err, "summary");
        snprintf(why, wlen, "npm outdated failed: %s",
                 summary ? summary : "its output is not JSON");
        r = -1;
    } else if (latest && (!current || strcmp(latest, current) != 0)) {
        snprintf(ver, len, "%s", latest);
        r = 1;
    }
    oa_json_free(j);
    return r;
}

void oa_common_npm_args(struct oa_pkg_argv *a, enum oa_npm_call call, const char *path,
                        const char *arg)
{
    static const char *const verbs[] = {"ls", "outdated", "install", "uninstall"};

    oa_pkg_argv_add(a, verbs[call]);
    if (path) {
        oa_pkg_argv_add(a, "--prefix");
        oa_pkg_argv_add(a, path);
    } else {
        oa_pkg_argv_add(a, "-g");
    }
    if (call == OA_NPM_LS) {
        oa_pkg_argv_add(a, "--depth=0");
        oa_pkg_argv_add(a, "--json");
    }
    if (call == OA_NPM_OUTDATED)
        oa_pkg_argv_add(a, "--json");
    /* ls and outdated: their problems are in the JSON, not on stderr. */
    if (call == OA_NPM_LS || call == OA_NPM_OUTDATED)
        oa_pkg_argv_add(a, "--loglevel=silent");
    if (arg)
        oa_pkg_argv_add(a, arg);
}

/* ---- The backend ---- */

static int npm_call(struct oa_langpkg_run *r, struct oa_buf *capture, enum oa_npm_call call,
                    const char *arg, char *why, size_t len)
{
    struct oa_pkg_argv a = {0};
    char what[300];
    int rc;

    oa_common_npm_args(&a, call, r->cwd, arg);
    if (!oa_pkg_argv_ok(&a)) {
        oa_pkg_argv_done(&a);
        snprintf(why, len, "out of memory");
        return -ENOMEM;
    }
    snprintf(what, sizeof(what), "npm %s%s%.200s", a.v[0], arg ? " " : "", arg ? arg : "");
    rc = oa_langpkg_call(r, capture, a.v, what, why, len);
    oa_pkg_argv_done(&a);
    return rc;
}

static bool npm_validate(struct oa_langpkg_run *r, struct oa_outcome *out)
{
    const char *path = oa_params_str(r->p, "path");
    struct stat st;

    r->cwd = path;
    if (!path)
        return true;
    if (!oa_fs_is_absolute(path)) {
        oa_outcome_set(out, false, false, "parameter 'path': '%s' is not an absolute path", path);
        return false;
    }
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        oa_outcome_set(out, false, false, "%s is not a directory", path);
        return false;
    }
    return true;
}

static int npm_list(struct oa_langpkg_run *r, struct oa_buf *list, char *why, size_t len)
{
    struct oa_json *j;
    int rc = npm_call(r, list, OA_NPM_LS, NULL, why, len);

    /* npm ls exits 1 on a missing or invalid dependency, with its JSON. */
    if (rc < 0)
        return rc;
    if (!(j = parse_json(list->data))) {
        if (rc == 0)
            snprintf(why, len, "npm ls printed no JSON object");
        return -EIO;
    }
    oa_json_free(j);
    return 0;
}

static int npm_satisfied(struct oa_langpkg_run *r, const struct oa_langpkg_item *it,
                         const char *ver)
{
    const char *want = it->value + (it->value[0] == 'v' || it->value[0] == '=');

    if (it->want == OA_LANGPKG_VERSION)
        return strcmp(ver, want) == 0;
    return oa_common_npm_satisfies(ver, it->value);
}

static int npm_newer(struct oa_langpkg_run *r, const struct oa_langpkg_item *it, char *ver,
                     size_t len, char *why, size_t wlen)
{
    struct oa_buf out;
    int rc;

    oa_buf_init(&out, 1 << 20);
    /* npm outdated exits 1 when something is outdated. */
    rc = npm_call(r, &out, OA_NPM_OUTDATED, it->name, why, wlen);
    rc = rc < 0 ? -1 : oa_common_npm_outdated(out.data, it->name, ver, len, why, wlen);
    oa_buf_done(&out);
    return rc;
}

static int npm_act(struct oa_langpkg_run *r, const struct oa_langpkg_item *it,
                   enum oa_langpkg_act act, char *why, size_t len)
{
    char spec[512];
    bool versioned = it->want == OA_LANGPKG_VERSION || it->want == OA_LANGPKG_SPEC;

    if (act == OA_LANGPKG_ACT_REMOVE)
        return npm_call(r, NULL, OA_NPM_UNINSTALL, it->name, why, len);
    snprintf(spec, sizeof(spec), "%s%s%s", it->name,
             act == OA_LANGPKG_ACT_UPGRADE || it->want == OA_LANGPKG_LATEST ? "@latest"
             : versioned                                                    ? "@"
                                                                            : "",
             versioned && act == OA_LANGPKG_ACT_INSTALL ? it->value : "");
    return npm_call(r, NULL, OA_NPM_INSTALL, spec, why, len);
}

static bool npm_find(const char *list, const char *name, char *ver, size_t len)
{
    return oa_common_npm_ls_find(list, name, ver, len);
}

static const struct oa_langpkg_backend npm_backend = {
    .tool = "npm",
    .deb_pkg = "npm",
    .rpm_pkg = "npm",
    .env = npm_env,
    .n_env = sizeof(npm_env) / sizeof(npm_env[0]),
    .passed = npm_passed,
    .n_passed = sizeof(npm_passed) / sizeof(npm_passed[0]),
    .name_ok = oa_common_npm_name_ok,
    .is_version = oa_common_npm_is_version,
    .validate = npm_validate,
    .list = npm_list,
    .find = npm_find,
    .satisfied = npm_satisfied,
    .newer = npm_newer,
    .act = npm_act,
};

static int npm_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    return oa_langpkg_run(&npm_backend, ctx, p, out);
}

const struct oa_module oa_mod_common_npm_package = {
    .name = "common.npm.package",
    .params = npm_params,
    .n_params = sizeof(npm_params) / sizeof(npm_params[0]),
    .run = npm_run,
};
