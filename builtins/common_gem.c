/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.gem.package (modules.md §6.3): Ruby gems installed system-wide
 * with gem. What is there is read with `gem list --local`; an entry pinned
 * to a version or a requirement is checked with `gem list -i '^name$'
 * --version V`, which applies RubyGems' own rules ("1.0" is 1.0.0, "~>
 * 1.2"), without the network. Installs pass --no-document. `latest` asks
 * `gem outdated` (the gem sources) every round and runs `gem update` only
 * when it lists the gem; `removed` runs `gem uninstall -a -x`, which
 * refuses, and so fails the state, while another gem depends on it.
 *
 * gem comes from the distribution when missing (§1.6; Debian: ruby, RHEL:
 * rubygems). The sources are gem's own configuration (/etc/gemrc,
 * ~/.gemrc): that is where an offline host or a test points gem at a
 * mirror.
 */
#include "common_gem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "langpkg.h"
#include "modules.h"

static const struct oa_param_spec gem_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
};

bool oa_common_gem_name_ok(const char *name)
{
    if (!isalnum((unsigned char)name[0]) && name[0] != '_')
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
            return false;
    return strlen(name) <= 200;
}

bool oa_common_gem_is_version(const char *value)
{
    return isdigit((unsigned char)value[0]) &&
           value[strspn(value, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ."
                               "-_")] == '\0';
}

/* The text between "name (" and ")" on name's line of gem's output, or
 * NULL; its length in *n. */
static const char *paren_of(const char *text, const char *name, size_t *n)
{
    size_t nl = strlen(name);

    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        if (len > nl + 2 && strncmp(line, name, nl) == 0 && line[nl] == ' ' &&
            line[nl + 1] == '(') {
            const char *close = memchr(line, ')', len);
            if (close) {
                *n = (size_t)(close - line - nl - 2);
                return line + nl + 2;
            }
        }
        line = line[len] ? line + len + 1 : NULL;
    }
    return NULL;
}

bool oa_common_gem_list_find(const char *list, const char *name, char *ver, size_t len)
{
    size_t n = 0, used = 0;
    const char *p = paren_of(list, name, &n), *end;

    if (!p || len == 0)
        return false;
    end = p + n;
    ver[0] = '\0';
    while (p < end) {
        size_t item = strcspn(p, ",");
        const char *v = p;
        if (item > (size_t)(end - p))
            item = (size_t)(end - p);
        v += strspn(v, " ");
        if (strncmp(v, "default: ", 9) == 0)
            v += 9;
        /* "1.13.0 x86_64-linux": the version without its platform. */
        size_t vn = strcspn(v, " ,)");
        if (vn && used < len)
            used +=
                (size_t)snprintf(ver + used, len - used, "%s%.*s", used ? ", " : "", (int)vn, v);
        p += item + (p + item < end);
    }
    if (used >= len)
        ver[len - 1] = '\0';
    return ver[0] != '\0';
}

bool oa_common_gem_outdated_find(const char *text, const char *name, char *ver, size_t len)
{
    size_t n;
    const char *p = paren_of(text, name, &n);
    const char *lt = p ? memchr(p, '<', n) : NULL;

    if (!lt)
        return false;
    lt += 1 + strspn(lt + 1, " ");
    snprintf(ver, len, "%.*s", (int)(n - (size_t)(lt - p)), lt);
    return ver[0] != '\0';
}

const char *oa_common_gem_name_regex(const char *name, char *buf, size_t len)
{
    size_t o = 0;

    if (len < 3)
        return buf;
    buf[o++] = '^';
    for (const char *c = name; *c && o + 3 < len; c++) {
        if (*c == '.')
            buf[o++] = '\\';
        buf[o++] = *c;
    }
    buf[o++] = '$';
    buf[o] = '\0';
    return buf;
}

/* ---- The backend ---- */

static int gem_list(struct oa_langpkg_run *r, struct oa_buf *list, char *why, size_t len)
{
    char *args[] = {"list", "--local", NULL};

    return oa_langpkg_call(r, list, args, "gem list", why, len) == 0 ? 0 : -EIO;
}

static bool gem_find(const char *list, const char *name, char *ver, size_t len)
{
    return oa_common_gem_list_find(list, name, ver, len);
}

static int gem_satisfied(struct oa_langpkg_run *r, const struct oa_langpkg_item *it,
                         const char *ver)
{
    char re[256], why[256];
    char *args[] = {"list", "--local", "-i", re, "--version", (char *)it->value, NULL};
    struct oa_buf out;
    int rc;

    oa_common_gem_name_regex(it->name, re, sizeof(re));
    oa_buf_init(&out, 4096);
    /* It prints true (exit 0) or false (exit 1). */
    rc = oa_langpkg_call(r, &out, args, "gem list -i", why, sizeof(why));
    rc = rc < 0 || !out.data ? -1 : strncmp(out.data, "true", 4) == 0;
    oa_buf_done(&out);
    return rc;
}

static int gem_newer(struct oa_langpkg_run *r, const struct oa_langpkg_item *it, char *ver,
                     size_t len, char *why, size_t wlen)
{
    char *args[] = {"outdated", NULL};
    struct oa_buf out;
    int rc;

    oa_buf_init(&out, 4 << 20);
    rc = oa_langpkg_call(r, &out, args, "gem outdated", why, wlen);
    if (rc == 0)
        rc = oa_common_gem_outdated_find(out.data ? out.data : "", it->name, ver, len);
    else
        rc = -1;
    oa_buf_done(&out);
    return rc;
}

static int gem_act(struct oa_langpkg_run *r, const struct oa_langpkg_item *it,
                   enum oa_langpkg_act act, char *why, size_t len)
{
    char *install[] = {"install", (char *)it->name, "--no-document", NULL, NULL, NULL};
    char *update[] = {"update", (char *)it->name, "--no-document", NULL};
    char *uninstall[] = {"uninstall", "-a", "-x", (char *)it->name, NULL};
    char what[300];

    if (act == OA_LANGPKG_ACT_REMOVE) {
        snprintf(what, sizeof(what), "gem uninstall %s", it->name);
        return oa_langpkg_call(r, NULL, uninstall, what, why, len);
    }
    if (act == OA_LANGPKG_ACT_UPGRADE) {
        snprintf(what, sizeof(what), "gem update %s", it->name);
        return oa_langpkg_call(r, NULL, update, what, why, len);
    }
    if (it->want == OA_LANGPKG_VERSION || it->want == OA_LANGPKG_SPEC) {
        install[3] = "--version";
        install[4] = (char *)it->value;
    }
    snprintf(what, sizeof(what), "gem install %s%s%.100s", it->name,
             install[3] ? " --version " : "", install[3] ? it->value : "");
    return oa_langpkg_call(r, NULL, install, what, why, len);
}

static const struct oa_langpkg_backend gem_backend = {
    .tool = "gem",
    .deb_pkg = "ruby",
    .rpm_pkg = "rubygems",
    .name_ok = oa_common_gem_name_ok,
    .is_version = oa_common_gem_is_version,
    .list = gem_list,
    .find = gem_find,
    .satisfied = gem_satisfied,
    .newer = gem_newer,
    .act = gem_act,
};

static int gem_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    return oa_langpkg_run(&gem_backend, ctx, p, out);
}

const struct oa_module oa_mod_common_gem_package = {
    .name = "common.gem.package",
    .params = gem_params,
    .n_params = sizeof(gem_params) / sizeof(gem_params[0]),
    .run = gem_run,
};
