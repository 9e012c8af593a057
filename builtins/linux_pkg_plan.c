/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure part of the package states (modules.md §5.0): what a `name`
 * entry asks for, dpkg's and rpm's version orderings, and the decision per
 * package from what the host and the index say. No tool runs here, so the
 * unit tests cover all of it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "linux_pkg.h"

#define NAME_MAX_LEN 200
#define VERSION_MAX_LEN 200

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Package names and versions go into argv: nothing may look like an
 * option, and only the characters dpkg and rpm use are allowed. */
static bool valid_token(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || !is_alnum(s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcasecmp(s + n - m, suffix) == 0;
}

static int parse_file(const char *value, const char *file_ext, struct oa_pkg_entry *e, char *why,
                      size_t len)
{
    e->want = OA_PKG_FILE;
    e->arg = value;
    if (!ends_with(value, file_ext)) {
        snprintf(why, len, "'%s' is not a %s file", value, file_ext);
        return OA_ESCHEMA;
    }
    if (strncasecmp(value, "http://", 7) == 0 || strncasecmp(value, "https://", 8) == 0) {
        e->url = true;
        return 0;
    }
    if (strstr(value, "://")) {
        snprintf(why, len, "'%s': only http:// and https:// URLs are supported", value);
        return OA_ESCHEMA;
    }
    if (value[0] != '/') {
        snprintf(why, len, "'%s' is neither an absolute path nor an http(s) URL", value);
        return OA_ESCHEMA;
    }
    return 0;
}

static const char *parse_op(const char *v, enum oa_pkg_op *op)
{
    static const struct {
        const char *text;
        enum oa_pkg_op op;
    } ops[] = {{"<=", OA_PKG_LE}, {">=", OA_PKG_GE}, {"==", OA_PKG_EQ},
               {"=", OA_PKG_EQ},  {"<", OA_PKG_LT},  {">", OA_PKG_GT}};

    *op = OA_PKG_EQ;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(v, ops[i].text, n) == 0) {
            *op = ops[i].op;
            v += n;
            break;
        }
    }
    return v + strspn(v, " ");
}

int oa_pkg_entry_parse(const char *name, const char *value, const char *file_ext,
                       struct oa_pkg_entry *ret, char *why, size_t len)
{
    struct oa_pkg_entry e = {name, OA_PKG_ANY, OA_PKG_EQ, "", false};

    if (!valid_token(name, "+-._:~", NAME_MAX_LEN)) {
        snprintf(why, len, "'%.100s' is not a valid package name", name);
        return OA_ESCHEMA;
    }
    if (!value[0])
        e.want = OA_PKG_ANY;
    else if (strcasecmp(value, "latest") == 0)
        e.want = OA_PKG_LATEST;
    else if (strcasecmp(value, "removed") == 0)
        e.want = OA_PKG_REMOVED;
    else if (strcasecmp(value, "purged") == 0)
        e.want = OA_PKG_PURGED;
    else if (ends_with(value, ".deb") || ends_with(value, ".rpm") || strstr(value, "://")) {
        if (parse_file(value, file_ext, &e, why, len) < 0)
            return OA_ESCHEMA;
    } else {
        e.want = OA_PKG_VERSION;
        e.arg = parse_op(value, &e.op);
        if (!valid_token(e.arg, "+-._:~^", VERSION_MAX_LEN)) {
            snprintf(why, len, "'%.100s' is not a valid version", value);
            return OA_ESCHEMA;
        }
    }
    *ret = e;
    return 0;
}

/* ---- dpkg ---- */

/* dpkg's character order: '~' first, then the end, letters, the rest. */
static int dpkg_order(const char *p, const char *end)
{
    if (p >= end || is_digit(*p))
        return 0;
    if (is_alpha(*p))
        return *p;
    if (*p == '~')
        return -1;
    return (unsigned char)*p + 256;
}

static int dpkg_verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        int first_diff = 0;
        while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
            int ac = dpkg_order(a, ae), bc = dpkg_order(b, be);
            if (ac != bc)
                return ac - bc;
            a++;
            b++;
        }
        while (a < ae && *a == '0')
            a++;
        while (b < be && *b == '0')
            b++;
        while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
            if (!first_diff)
                first_diff = *a - *b;
            a++;
            b++;
        }
        if (a < ae && is_digit(*a))
            return 1;
        if (b < be && is_digit(*b))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

struct evr {
    unsigned long epoch;
    const char *v, *ve; /* version */
    const char *r, *re; /* release / revision; r == re when absent */
    bool has_r;
};

static void split_evr(const char *s, struct evr *ret)
{
    const char *colon = strchr(s, ':'), *dash = strrchr(s, '-');
    const char *end = s + strlen(s);

    ret->epoch = 0;
    ret->v = s;
    if (colon) {
        for (const char *p = s; p < colon && is_digit(*p); p++)
            ret->epoch =
                ret->epoch < 100000000ul ? ret->epoch * 10 + (unsigned long)(*p - '0') : ret->epoch;
        ret->v = colon + 1;
    }
    ret->has_r = dash && dash >= ret->v;
    ret->ve = ret->has_r ? dash : end;
    ret->r = ret->has_r ? dash + 1 : end;
    ret->re = end;
}

int oa_pkg_dpkg_vercmp(const char *a, const char *b)
{
    struct evr x, y;
    int r;

    split_evr(a, &x);
    split_evr(b, &y);
    if (x.epoch != y.epoch)
        return x.epoch > y.epoch ? 1 : -1;
    r = dpkg_verrevcmp(x.v, x.ve, y.v, y.ve);
    if (r)
        return r;
    return dpkg_verrevcmp(x.r, x.re, y.r, y.re);
}

/* ---- rpm ---- */

static bool rpm_sep(const char *p, const char *end)
{
    return p < end && !is_alnum(*p) && *p != '~' && *p != '^';
}

/* Compares the alphanumeric segments at *one and *two and moves past them. */
static int rpm_segment(const char **one, const char *e1, const char **two, const char *e2)
{
    const char *s1 = *one, *s2 = *two;
    bool num = is_digit(**one);
    size_t l1, l2;
    int rc;

    while (s1 < e1 && (num ? is_digit(*s1) : is_alpha(*s1)))
        s1++;
    while (s2 < e2 && (num ? is_digit(*s2) : is_alpha(*s2)))
        s2++;
    if (*two == s2)
        return num ? 1 : -1; /* a number is newer than letters */
    if (num) {
        while (*one < s1 && **one == '0')
            (*one)++;
        while (*two < s2 && **two == '0')
            (*two)++;
        if ((s1 - *one) != (s2 - *two))
            return (s1 - *one) > (s2 - *two) ? 1 : -1;
    }
    l1 = (size_t)(s1 - *one);
    l2 = (size_t)(s2 - *two);
    rc = memcmp(*one, *two, l1 < l2 ? l1 : l2);
    if (rc == 0 && l1 != l2)
        rc = l1 > l2 ? 1 : -1;
    *one = s1;
    *two = s2;
    return rc < 0 ? -1 : rc > 0;
}

static int rpm_vercmp_range(const char *one, const char *e1, const char *two, const char *e2)
{
    while (one < e1 || two < e2) {
        while (rpm_sep(one, e1))
            one++;
        while (rpm_sep(two, e2))
            two++;
        if ((one < e1 && *one == '~') || (two < e2 && *two == '~')) {
            if (one >= e1 || *one != '~')
                return 1;
            if (two >= e2 || *two != '~')
                return -1;
            one++;
            two++;
            continue;
        }
        if ((one < e1 && *one == '^') || (two < e2 && *two == '^')) {
            if (one >= e1)
                return -1;
            if (two >= e2)
                return 1;
            if (*one != '^')
                return 1;
            if (*two != '^')
                return -1;
            one++;
            two++;
            continue;
        }
        if (one >= e1 || two >= e2)
            break;
        int rc = rpm_segment(&one, e1, &two, e2);
        if (rc)
            return rc;
    }
    if (one >= e1 && two >= e2)
        return 0;
    return one >= e1 ? -1 : 1;
}

int oa_pkg_rpm_vercmp(const char *a, const char *b)
{
    struct evr x, y;
    int r;

    split_evr(a, &x);
    split_evr(b, &y);
    if (x.epoch != y.epoch)
        return x.epoch > y.epoch ? 1 : -1;
    r = rpm_vercmp_range(x.v, x.ve, y.v, y.ve);
    if (r || !x.has_r || !y.has_r)
        return r;
    return rpm_vercmp_range(x.r, x.re, y.r, y.re);
}

bool oa_pkg_version_matches(enum oa_pkg_op op, const char *installed, const char *wanted,
                            oa_pkg_cmp_fn cmp)
{
    int c = cmp(installed, wanted);

    switch (op) {
    case OA_PKG_EQ:
        return c == 0;
    case OA_PKG_LT:
        return c < 0;
    case OA_PKG_LE:
        return c <= 0;
    case OA_PKG_GT:
        return c > 0;
    case OA_PKG_GE:
        return c >= 0;
    }
    return false;
}

/* ---- Decisions ---- */

static const char *op_text(enum oa_pkg_op op)
{
    static const char *const text[] = {[OA_PKG_EQ] = "",
                                       [OA_PKG_LT] = "< ",
                                       [OA_PKG_LE] = "<= ",
                                       [OA_PKG_GT] = "> ",
                                       [OA_PKG_GE] = ">= "};
    return text[op];
}

static void list_available(const struct oa_pkg_facts *f, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < f->n_available && i < 5 && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", f->available[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    if (f->n_available > 5 && off < len)
        snprintf(buf + off, len - off, ", …");
}

/* The best version the index offers that satisfies the entry, or NULL. */
static const char *pick_version(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f,
                                oa_pkg_cmp_fn cmp)
{
    const char *best = NULL;

    if (e->op != OA_PKG_EQ && f->candidate &&
        oa_pkg_version_matches(e->op, f->candidate, e->arg, cmp))
        return f->candidate;
    for (size_t i = 0; i < f->n_available; i++)
        if (oa_pkg_version_matches(e->op, f->available[i], e->arg, cmp) &&
            (!best || cmp(f->available[i], best) > 0))
            best = f->available[i];
    return best;
}

/* Installing or moving to target, from what is installed now. */
static void move_to(const struct oa_pkg_facts *f, const char *target, oa_pkg_cmp_fn cmp,
                    struct oa_pkg_decision *d)
{
    int c = f->installed && target ? cmp(target, f->version) : 1;

    d->target = target;
    if (!f->installed)
        d->action = OA_PKG_INSTALL;
    else
        d->action = c > 0 ? OA_PKG_UPGRADE : c < 0 ? OA_PKG_DOWNGRADE : OA_PKG_KEEP;
}

/* The package is unknown to the index, or it has no candidate. */
static void not_in_index(const struct oa_pkg_facts *f, bool refreshed, struct oa_pkg_decision *d)
{
    d->action = refreshed ? OA_PKG_FAIL : OA_PKG_NEED_INDEX;
    snprintf(d->why, sizeof(d->why), "%s",
             f->n_available ? "no installation candidate" : "no such package in the package index");
}

static void decide_version(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f,
                           oa_pkg_cmp_fn cmp, bool need_index_ok, bool refreshed,
                           struct oa_pkg_decision *d)
{
    char avail[160];

    if (f->installed && f->version && oa_pkg_version_matches(e->op, f->version, e->arg, cmp))
        return;
    if (!f->indexed && need_index_ok) {
        d->action = OA_PKG_NEED_INDEX;
    } else if (!f->indexed) {
        /* The manager chooses (yum): an exact version, or its newest. */
        if (e->op == OA_PKG_EQ) {
            move_to(f, e->arg, cmp, d);
        } else if (e->op == OA_PKG_GT || e->op == OA_PKG_GE) {
            d->action = f->installed ? OA_PKG_UPGRADE : OA_PKG_INSTALL;
        } else {
            d->action = OA_PKG_FAIL;
            snprintf(d->why, sizeof(d->why),
                     "cannot choose a version %s%s without the package index; give the exact "
                     "version",
                     op_text(e->op), e->arg);
        }
    } else if (!f->candidate && f->n_available == 0) {
        not_in_index(f, refreshed, d);
    } else if (!(d->target = pick_version(e, f, cmp))) {
        d->action = refreshed ? OA_PKG_FAIL : OA_PKG_NEED_INDEX;
        list_available(f, avail, sizeof(avail));
        snprintf(d->why, sizeof(d->why), "version %s%s is not available%s%s%s", op_text(e->op),
                 e->arg, avail[0] ? " (available: " : "", avail, avail[0] ? ")" : "");
    } else {
        move_to(f, d->target, cmp, d);
    }
}

static void decide_install(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f,
                           oa_pkg_cmp_fn cmp, bool need_index_ok, bool refreshed,
                           struct oa_pkg_decision *d)
{
    bool latest = e->want == OA_PKG_LATEST;

    if (f->installed && !latest)
        return;
    if (!f->indexed) {
        if (need_index_ok)
            d->action = OA_PKG_NEED_INDEX;
        else
            d->action = f->installed ? OA_PKG_UPGRADE : OA_PKG_INSTALL;
        return;
    }
    if (!f->candidate) {
        if (!f->installed)
            not_in_index(f, refreshed, d);
        return;
    }
    if (!f->installed || cmp(f->candidate, f->version) > 0)
        move_to(f, f->candidate, cmp, d);
}

void oa_pkg_decide(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f, oa_pkg_cmp_fn cmp,
                   bool need_index_ok, bool refreshed, struct oa_pkg_decision *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->action = OA_PKG_KEEP;
    switch (e->want) {
    case OA_PKG_REMOVED:
        if (f->installed || f->present)
            ret->action = OA_PKG_REMOVE;
        break;
    case OA_PKG_PURGED:
        if (f->installed || f->present || f->config_left)
            ret->action = OA_PKG_PURGE;
        break;
    case OA_PKG_FILE:
        if (!f->installed)
            ret->action = OA_PKG_INSTALL;
        break;
    case OA_PKG_ANY:
    case OA_PKG_LATEST:
        decide_install(e, f, cmp, need_index_ok, refreshed, ret);
        break;
    case OA_PKG_VERSION:
        decide_version(e, f, cmp, need_index_ok, refreshed, ret);
        break;
    }
}

bool oa_pkg_satisfied(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f,
                      const char *target, oa_pkg_cmp_fn cmp)
{
    switch (e->want) {
    case OA_PKG_REMOVED:
        return !f->installed && !f->present;
    case OA_PKG_PURGED:
        return !f->installed && !f->present && !f->config_left;
    case OA_PKG_ANY:
    case OA_PKG_FILE:
        return f->installed;
    case OA_PKG_LATEST:
        return f->installed && (!target || (f->version && cmp(f->version, target) >= 0));
    case OA_PKG_VERSION:
        return f->installed && f->version && oa_pkg_version_matches(e->op, f->version, e->arg, cmp);
    }
    return false;
}
