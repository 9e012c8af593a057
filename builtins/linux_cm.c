/* SPDX-License-Identifier: Apache-2.0 */
/* The pure helpers of the configuration-management runners (linux_cm.h). */
#include "linux_cm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "err.h"
#include "mem.h"

void oa_cm_argv_add(struct oa_cm_argv *a, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    int n;

    if (a->n >= OA_CM_ARGV_MAX) {
        a->full = true;
        return;
    }
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        a->full = true;
        return;
    }
    /* vasprintf's memory goes back through the project's allocator. */
    a->v[a->n] = oa_strdup(s);
    free(s);
    if (!a->v[a->n]) {
        a->full = true;
        return;
    }
    a->v[++a->n] = NULL;
}

void oa_cm_argv_done(struct oa_cm_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        oa_free(a->v[i]);
    memset(a, 0, sizeof(*a));
}

const char *oa_cm_argv_line(const struct oa_cm_argv *a, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < a->n && o + 1 < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", a->v[i]);
    return buf;
}

static bool key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if ((unsigned char)*k <= ' ' || *k == '=' || *k == 0x7f)
            return false;
    return true;
}

int oa_cm_arguments(struct oa_cm_argv *a, const struct oa_pvalue *args, char *err, size_t len)
{
    for (size_t i = 0; args && args->present && i < args->n; i++) {
        const char *k = args->kv[i].key, *v = args->kv[i].value;

        while (*k == '-')
            k++;
        if (!key_ok(k)) {
            snprintf(err, len, "parameter 'arguments': '%.200s' is not an option name",
                     args->kv[i].key);
            return OA_ESCHEMA;
        }
        if (v && v[0])
            oa_cm_argv_add(a, "--%s=%s", k, v);
        else
            oa_cm_argv_add(a, "--%s", k);
    }
    return 0;
}

const char *oa_cm_parse_version(const char *text, char *buf, size_t len)
{
    buf[0] = '\0';
    for (const char *p = text; p && *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]))))
            continue;
        size_t n = strspn(p, "0123456789.");
        while (n > 0 && p[n - 1] == '.')
            n--;
        if (memchr(p, '.', n) && n < len) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            break;
        }
    }
    return buf;
}

bool oa_cm_version_matches(const char *installed, const char *wanted)
{
    size_t n = strlen(wanted);

    return n > 0 && strncmp(installed, wanted, n) == 0 &&
           (installed[n] == '\0' || installed[n] == '.');
}

enum oa_cm_puppet_exit oa_cm_puppet_exit(int wait_status)
{
    if (!WIFEXITED(wait_status))
        return OA_CM_FAILED;
    switch (WEXITSTATUS(wait_status)) {
    case 0:
        return OA_CM_NO_CHANGES;
    case 2:
        return OA_CM_CHANGES;
    default:
        return OA_CM_FAILED;
    }
}

bool oa_cm_puppet_noop_events(const char *out)
{
    for (const char *p = out; p && (p = strstr(p, "(noop)")); p++)
        if (p[6] == '\n' || p[6] == '\r' || p[6] == '\0')
            return true;
    return false;
}

const char *oa_cm_puppet_cache_flag(const char *puppet_version)
{
    /* Puppet 1 to 3 (a major version of one digit before the first '.'). */
    bool old = strspn(puppet_version, "0123456789") == 1 && puppet_version[0] >= '1' &&
               puppet_version[0] <= '3';

    return old ? "--ignorecache" : "--no-use_cached_catalog";
}

bool oa_cm_chef_summary(const char *out, unsigned long *updated, unsigned long *total)
{
    const char *p = out ? strstr(out, " finished, ") : NULL;
    char *end;

    if (!p)
        return false;
    p += strlen(" finished, ");
    *updated = strtoul(p, &end, 10);
    if (end == p)
        return false;
    *total = 0;
    if (*end == '/') {
        p = end + 1;
        *total = strtoul(p, &end, 10);
        if (end == p)
            return false;
    }
    return strncmp(end, " resource", 9) == 0;
}

const char *oa_cm_chef_reason(const char *out, char *buf, size_t len)
{
    buf[0] = '\0';
    for (const char *p = out; p && (p = strstr(p, "FATAL: ")); p++) {
        const char *s = p + strlen("FATAL: ");
        int n = (int)strcspn(s, "\r\n");
        if (strncmp(s, "Stacktrace dumped", 17) == 0 || strncmp(s, "Please provide", 14) == 0 ||
            strncmp(s, "---", 3) == 0 || n == 0)
            continue;
        snprintf(buf, len, "%.*s", n, s);
        break;
    }
    return buf;
}
